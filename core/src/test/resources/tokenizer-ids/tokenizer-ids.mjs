// Reference token ids for Keel's real-tokenizer test (see README.md in this folder).
//
//   node tokenizer-ids.mjs strings OUT.jsonl [COUNT] [SEED]
//       writes COUNT (default 1200) seeded test strings, one {"text"} a line
//   node tokenizer-ids.mjs ids NODE_MODULES TOKENIZER_DIR STRINGS.jsonl OUT.jsonl
//       tokenizes each string with @lenml/tokenizers (the transformers.js tokenizers, from NODE_MODULES) loaded
//       from TOKENIZER_DIR/tokenizer.json + tokenizer_config.json, and writes one line a string:
//       {"ids": encode without special tokens, "ids_special": encode with them (add_special_tokens; left out
//        when equal to ids), "decoded": decode(ids) keeping special tokens (left out when it is the text),
//        "decoded_skip": decode(ids) skipping them (left out when equal to decoded)}
//       (decoding without clean_up_tokenization_spaces: the tokenizer.json decoder alone)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// mulberry32: a small seeded generator, so the strings are the same on every machine
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the of and to in is was for on that with as by at it from this be are or an have not which '
  + 'model token language train data safety answer question truth forget weight layer attention window '
  + 'rotary frequency context Keel Java library embed judge refuse harmful score mixing sharpness '
  + "don't can't it's we're you'll I'm they've O'Neil naïve café résumé coöperate Straße").split(' ');
const CODE = [
  'public static void main(String[] args) {\n    System.out.println("hi");\n}',
  'def f(x):\n\treturn x ** 2  # square\n',
  'for (int i = 0; i < n; i++) { sum += a[i]; }',
  '{"id": 12, "messages": [{"role": "user", "content": "Hi!"}]}',
  'SELECT name, COUNT(*) FROM t WHERE x >= 10 GROUP BY name;',
  '#include <stdio.h>\nint main(void){return 0;}',
  'const add = (a, b) => a + b; // arrow',
  '<div class="a">&amp; &lt;tag&gt;</div>',
  'x = [1,2,3]; y = {k: v for k, v in d.items()}',
  '    if (a && b || !c) {\r\n        return;\r\n    }',
  'git commit -m "fix: off-by-one in i - j < window"',
  '$ mvn -o -q -pl core -am test-compile 2>&1 | tail',
  'λx.x + 1 ≠ ∀y∃z (y ≤ z)',
  'fn main() -> Result<(), Box<dyn Error>> { Ok(()) }',
];
const UNICODE = [
  '你好，世界！今天天气很好。', '机器学习模型的安全性', '東京都は日本の首都です。', 'ひらがなとカタカナ',
  '한국어 문장입니다.', 'Привет, мир!', 'Γειά σου Κόσμε', 'مرحبا بالعالم', 'שלום עולם', 'नमस्ते दुनिया',
  'สวัสดีชาวโลก', 'Xin chào thế giới', 'Zażółć gęślą jaźń', 'ǅemal Ǉubljana',
  '😀😃😄', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇯🇵🇫🇷', '❤️', '🤖 robots', '∑∫√∞≈',
  'e\u0301', 'n\u0303o', 'a\u0308\u0304', 'Ā̀', 'Z\u0351\u0352\u0353algo', '\u00e9 vs e\u0301',
  '\u200b zero\u200bwidth', '\u00a0nbsp\u00a0', '\ufeffbom', 'full　width　space', 'ｆｕｌｌｗｉｄｔｈ',
  '①②③', 'ﬁ ligature', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '𝟙𝟚𝟛', '\u2028line sep', 'tab\there',
];
const SPECIAL = ['<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<tool_call>', '</tool_call>',
  '<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>', '<start_of_turn>', '<end_of_turn>',
  '<bos>', '<eos>', '<pad>', '<|im_start', 'im_end|>', '< |im_start| >', '<|IM_START|>', '<s>', '</s>', '[INST]'];

function pick(r, a) {
  return a[Math.floor(r() * a.length)];
}

function sentence(r) {
  const n = 1 + Math.floor(r() * 14);
  const w = [];
  for (let i = 0; i < n; i++) {
    let x = pick(r, WORDS);
    const c = r();
    if (c < 0.1) x = x.toUpperCase();
    else if (c < 0.25) x = x[0].toUpperCase() + x.slice(1);
    w.push(x);
  }
  return w.join(' ') + pick(r, ['.', '!', '?', '', ',', '...', ';', ':', ' —', '"']);
}

function number(r) {
  switch (Math.floor(r() * 9)) {
    case 0: return String(Math.floor(r() * 10));
    case 1: return String(Math.floor(r() * 1e6));
    case 2: return (r() * 1000).toFixed(Math.floor(r() * 6));
    case 3: return String(Math.floor(r() * 1e9)) + String(Math.floor(r() * 1e9));
    case 4: return '2026-' + String(1 + Math.floor(r() * 12)).padStart(2, '0') + '-' + String(1 + Math.floor(r() * 28)).padStart(2, '0');
    case 5: return '+1 (555) ' + Math.floor(100 + r() * 900) + '-' + Math.floor(1000 + r() * 9000);
    case 6: return (r() < 0.5 ? '-' : '') + (r() * 10).toExponential(3);
    case 7: return '0x' + Math.floor(r() * 0xffffffff).toString(16);
    default: return Math.floor(r() * 1e5).toLocaleString('en-US') + ' and ' + Math.floor(r() * 100) + '%';
  }
}

function spaces(r) {
  return pick(r, [' ', '  ', '   ', '    ', '\t', '\t\t', '\n', '\n\n', '\n\n\n', '\r\n', ' \n ', '\n    ', '        ',
    ' \t \n', '\u00a0', '\u3000']);
}

function piece(r) {
  const c = r();
  if (c < 0.3) return sentence(r);
  if (c < 0.45) return number(r);
  if (c < 0.6) return pick(r, CODE);
  if (c < 0.8) return pick(r, UNICODE);
  if (c < 0.9) return pick(r, SPECIAL);
  return spaces(r);
}

function strings(count, seed) {
  const r = rng(seed);
  const out = ['', ' ', '\n', 'a', ' a', '  a', 'a ', 'Hello world', ' Hello world', 'Hello  world', '<|im_start|>user\nHi<|im_end|>\n',
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>', '<start_of_turn>user\nHi<end_of_turn>\n',
    '<think>\n\n</think>\n\n', '{{ not a template }} {% raw %}', '12345678901234567890', '3.14159', '   leading', 'trailing   '];
  for (const u of UNICODE) out.push(u);
  for (const s of SPECIAL) out.push(s, ' ' + s, s + s, 'x' + s + 'y');
  for (const c of CODE) out.push(c);
  while (out.length < count - 10) {
    const n = 1 + Math.floor(r() * 6);
    let s = '';
    for (let i = 0; i < n; i++) {
      if (i > 0 && r() < 0.6) s += r() < 0.7 ? ' ' : spaces(r);
      s += piece(r);
    }
    if (r() < 0.15) s = spaces(r) + s;
    if (r() < 0.1) s = s + spaces(r);
    out.push(s);
  }
  // a few long ones
  while (out.length < count) {
    let s = '';
    while (s.length < 2000) s += piece(r) + (r() < 0.5 ? ' ' : spaces(r));
    out.push(s);
  }
  return out;
}

async function ids(nodeModules, tokenizerDir, stringsFile, outFile) {
  const entry = path.join(nodeModules, '@lenml', 'tokenizers', 'dist', 'main.mjs');
  const { TokenizerLoader } = await import(pathToFileURL(entry).href);
  const tokenizer = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(path.join(tokenizerDir, 'tokenizer.json'), 'utf8')),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(tokenizerDir, 'tokenizer_config.json'), 'utf8')),
  });
  const lines = fs.readFileSync(stringsFile, 'utf8').split('\n').filter((l) => l.length > 0);
  const out = [];
  for (const line of lines) {
    const text = JSON.parse(line).text;
    const plain = tokenizer.encode(text, { add_special_tokens: false });
    const special = tokenizer.encode(text, { add_special_tokens: true });
    // (transformers.js refuses to decode no ids; the empty string is what every decoder gives for them)
    const decode = (skip) => plain.length === 0 ? ''
      : tokenizer.decode(plain, { skip_special_tokens: skip, clean_up_tokenization_spaces: false });
    const decoded = decode(false);
    const skip = decode(true);
    // fields equal to another are left out: ids_special when it is ids, decoded when it is the text itself,
    // decoded_skip when it is decoded
    const row = { ids: plain };
    if (JSON.stringify(special) !== JSON.stringify(plain)) row.ids_special = special;
    if (decoded !== text) row.decoded = decoded;
    if (skip !== decoded) row.decoded_skip = skip;
    out.push(JSON.stringify(row));
  }
  fs.writeFileSync(outFile, out.join('\n') + '\n');
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'strings') {
  const list = strings(Number(args[1] || 1200), Number(args[2] || 20261201));
  fs.writeFileSync(args[0], list.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
} else if (cmd === 'ids') {
  await ids(args[0], args[1], args[2], args[3]);
} else {
  console.error('usage: node tokenizer-ids.mjs strings OUT [COUNT] [SEED] | ids NODE_MODULES TOKENIZER_DIR STRINGS OUT');
  process.exit(2);
}
