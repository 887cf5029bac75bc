// Renders conversations.jsonl with each model directory's chat template using @huggingface/jinja,
// the reference renderer of transformers.js, and writes <model>/expected.jsonl ({"id","text"} or
// {"id","error"}). Not run by the build; see README.md.
import { Template } from "@huggingface/jinja";
import fs from "node:fs";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const conversations = fs.readFileSync(path.join(here, "conversations.jsonl"), "utf8")
  .split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l));
for (const model of process.argv.slice(2)) {
  const dir = path.join(here, model);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  let source = cfg.chat_template;
  if (Array.isArray(source)) source = source.find((t) => t.name === "default").template;
  const token = (t) => (t == null ? "" : typeof t === "string" ? t : t.content);
  const template = new Template(source);
  const lines = conversations.map((c) => {
    try {
      const text = template.render({
        messages: c.messages,
        add_generation_prompt: c.add_generation_prompt ?? false,
        bos_token: token(cfg.bos_token),
        eos_token: token(cfg.eos_token),
      });
      return JSON.stringify({ id: c.id, text });
    } catch (e) {
      return JSON.stringify({ id: c.id, error: String(e.message ?? e) });
    }
  });
  fs.writeFileSync(path.join(dir, "expected.jsonl"), lines.join("\n") + "\n");
  console.log(model + ": " + lines.length + " conversations");
}
