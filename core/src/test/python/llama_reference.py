"""Independent NumPy reference of the Llama decoder (float64), for test vectors the shared ones do not cover.

Usage: python3 llama_reference.py check DIR            -- compares with DIR/expected.safetensors
       python3 llama_reference.py make SRC OUT          -- writes OUT from SRC's weights with a linear
                                                           rope_scaling (factor 4) and random q/k/v/o and
                                                           MLP biases (attention_bias, mlp_bias true)
Written from the formulas of transformers' modeling_llama (RMSNorm, rotate-half RoPE, GQA, SwiGLU), not
from Keel's code.
"""
import json
import struct
import sys
import numpy as np


def read_st(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        raw = data[a:b]
        if v['dtype'] == 'BF16':
            u = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif v['dtype'] == 'F32':
            arr = np.frombuffer(raw, dtype=np.float32)
        else:
            raise ValueError(v['dtype'])
        out[k] = arr.reshape(v['shape']).astype(np.float32)
    return out


def write_st(path, tensors):
    header, blobs, off = {}, [], 0
    for k, a in tensors.items():
        b = np.ascontiguousarray(a, dtype=np.float32).tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def inv_freq(cfg, hd):
    theta = cfg.get('rope_theta', 10000.0)
    f = 1.0 / theta ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    rs = cfg.get('rope_scaling')
    if rs:
        t = rs.get('rope_type', rs.get('type'))
        if t == 'linear':
            f = f / rs['factor']
        elif t == 'llama3':
            old = rs['original_max_position_embeddings']
            lo, hi, fac = rs['low_freq_factor'], rs['high_freq_factor'], rs['factor']
            wl = 2 * np.pi / f
            scaled = np.where(wl > old / lo, f / fac, f)
            smooth = (old / wl - lo) / (hi - lo)
            mid = (wl >= old / hi) & (wl <= old / lo)
            f = np.where(mid, (1 - smooth) * scaled / fac + smooth * scaled, scaled)
        else:
            raise ValueError(t)
    return f


def forward(cfg, w, ids):
    H, nh, nkv = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    hd = cfg.get('head_dim') or H // nh
    eps = cfg['rms_norm_eps']
    w = {k: v.astype(np.float64) for k, v in w.items()}

    def lin(x, name):
        y = x @ w[name + '.weight'].T
        return y + w[name + '.bias'] if name + '.bias' in w else y

    def rms(x, g):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    B, T = ids.shape
    f = inv_freq(cfg, hd)
    ang = np.arange(T)[:, None] * f[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, -1)
    sin = np.concatenate([np.sin(ang)] * 2, -1)

    def rope(x):  # [B, heads, T, hd]
        x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
        return x * cos + np.concatenate([-x2, x1], -1) * sin

    h = w['model.embed_tokens.weight'][ids]
    causal = np.tril(np.ones((T, T), dtype=bool))
    for i in range(cfg['num_hidden_layers']):
        p = 'model.layers.%d.' % i
        x = rms(h, w[p + 'input_layernorm.weight'])
        q = lin(x, p + 'self_attn.q_proj').reshape(B, T, nh, hd).transpose(0, 2, 1, 3)
        k = lin(x, p + 'self_attn.k_proj').reshape(B, T, nkv, hd).transpose(0, 2, 1, 3)
        v = lin(x, p + 'self_attn.v_proj').reshape(B, T, nkv, hd).transpose(0, 2, 1, 3)
        q, k = rope(q), rope(k)
        rep = nh // nkv
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        s = np.where(causal, s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        o = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, nh * hd)
        h = h + lin(o, p + 'self_attn.o_proj')
        x = rms(h, w[p + 'post_attention_layernorm.weight'])
        g = lin(x, p + 'mlp.gate_proj')
        h = h + lin(g / (1 + np.exp(-g)) * lin(x, p + 'mlp.up_proj'), p + 'mlp.down_proj')
    h = rms(h, w['model.norm.weight'])
    head = w['lm_head.weight'] if 'lm_head.weight' in w else w['model.embed_tokens.weight']
    return h @ head.T


def main():
    if sys.argv[1] == 'check':
        d = sys.argv[2]
        cfg = json.load(open(d + '/config.json'))
        ids = np.array(json.load(open(d + '/vectors.json'))['input_ids'])
        got = forward(cfg, read_st(d + '/model.safetensors'), ids)
        want = read_st(d + '/expected.safetensors')['logits']
        print(d, 'max diff', np.abs(got - want).max())
    else:
        src, out = sys.argv[2], sys.argv[3]
        cfg = json.load(open(src + '/config.json'))
        cfg['rope_scaling'] = {'rope_type': 'linear', 'factor': 4.0}
        cfg['attention_bias'] = True
        cfg['mlp_bias'] = True
        cfg['torch_dtype'] = 'float32'
        w = read_st(src + '/model.safetensors')
        rng = np.random.default_rng(11)
        for i in range(cfg['num_hidden_layers']):
            p = 'model.layers.%d.' % i
            for m in ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj',
                      'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj']:
                n = w[p + m + '.weight'].shape[0]
                w[p + m + '.bias'] = (rng.standard_normal(n) * 0.5).astype(np.float32)
        vec = json.load(open(src + '/vectors.json'))
        vec['variant'] = 'llama-linear-bias'
        ids = np.array(vec['input_ids'])
        logits = forward(cfg, w, ids).astype(np.float32)
        json.dump(cfg, open(out + '/config.json', 'w'), indent=2)
        json.dump(vec, open(out + '/vectors.json', 'w'), indent=2)
        write_st(out + '/model.safetensors', w)
        write_st(out + '/expected.safetensors', {'logits': logits})
        print('wrote', out, logits.shape)


if __name__ == '__main__':
    main()
