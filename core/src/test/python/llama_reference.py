"""Independent NumPy reference of the Llama decoder (float64), for test vectors the shared ones do not cover.

Usage: python3 llama_reference.py check DIR            -- compares with DIR/expected.safetensors
       python3 llama_reference.py variant ROOT NAME...  -- writes the own vectors ROOT/NAME (see VARIANTS:
                                                           llama-yarn, qwen2-yarn, qwen2-sliding,
                                                           llama-dynamic) from ROOT's source vectors
       python3 llama_reference.py make SRC OUT          -- writes OUT from SRC's weights with a linear
                                                           rope_scaling (factor 4) and random q/k/v/o and
                                                           MLP biases (attention_bias, mlp_bias true)
Written from the formulas of transformers' modeling_llama / modeling_rope_utils (RMSNorm, rotate-half RoPE
with linear, llama3, dynamic NTK and YaRN scaling, GQA, SwiGLU, per-layer sliding windows, Qwen3's q/k norm),
not from Keel's code; everything in float64, with a KV cache emulated as the rotated keys of earlier calls.
"""
import json
import os
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


def rope_params(cfg):
    """The rope_scaling / rope_parameters object (None for the default RoPE) and rope_theta."""
    rs = cfg.get('rope_parameters') or cfg.get('rope_scaling')
    theta = cfg.get('rope_theta')
    if rs is not None and 'rope_theta' in rs:
        theta = rs['rope_theta']
    if theta is None:
        theta = 10000.0
    if rs is not None and rs.get('rope_type', rs.get('type')) == 'default':
        rs = None
    return rs, theta


def yarn_mscale(scale, m):
    return 1.0 if scale <= 1 else 0.1 * m * np.log(scale) + 1.0


def inv_freq(cfg, hd, seq_len=None):
    """Inverse frequencies (float64) and the factor cos/sin are multiplied by, for a forward call whose
    highest position is seq_len - 1 (only dynamic NTK reads it)."""
    rs, theta = rope_params(cfg)
    even = np.arange(0, hd, 2, dtype=np.float64) / hd
    f = 1.0 / theta ** even
    if not rs:
        return f, 1.0
    t = rs.get('rope_type', rs.get('type'))
    fac = rs.get('factor')
    if t == 'linear':
        return f / fac, 1.0
    if t == 'llama3':
        old = rs.get('original_max_position_embeddings') or cfg['max_position_embeddings']
        lo, hi = rs['low_freq_factor'], rs['high_freq_factor']
        wl = 2 * np.pi / f
        scaled = np.where(wl > old / lo, f / fac, f)
        smooth = (old / wl - lo) / (hi - lo)
        mid = (wl >= old / hi) & (wl <= old / lo)
        return np.where(mid, (1 - smooth) * scaled / fac + smooth * scaled, scaled), 1.0
    if t == 'dynamic':
        # NTK-aware base growth once the call reaches beyond max_position_embeddings
        M = cfg['max_position_embeddings']
        L = max(seq_len or M, M)
        grown = theta * (fac * L / M - (fac - 1)) ** (hd / (hd - 2))
        return 1.0 / grown ** even, 1.0
    if t == 'yarn':
        old = rs.get('original_max_position_embeddings') or cfg.get('original_max_position_embeddings') \
            or cfg['max_position_embeddings']
        if rs.get('attention_factor') is not None:
            att = rs['attention_factor']
        elif rs.get('mscale') and rs.get('mscale_all_dim'):
            att = yarn_mscale(fac, rs['mscale']) / yarn_mscale(fac, rs['mscale_all_dim'])
        else:
            att = yarn_mscale(fac, 1.0)
        fast = rs.get('beta_fast') or 32
        slow = rs.get('beta_slow') or 1

        def dim_of(rotations):  # the dimension that turns `rotations` times over the original context
            return hd * np.log(old / (rotations * 2 * np.pi)) / (2 * np.log(theta))

        lo, up = dim_of(fast), dim_of(slow)
        if rs.get('truncate', True):
            lo, up = np.floor(lo), np.ceil(up)
        lo, up = max(lo, 0), min(up, hd - 1)
        if lo == up:
            up += 0.001
        ramp = np.clip((np.arange(hd // 2, dtype=np.float64) - lo) / (up - lo), 0, 1)
        keep = 1 - ramp  # weight of the unscaled (extrapolated) frequency
        return (f / fac) * (1 - keep) + f * keep, att
    raise ValueError(t)


def layer_windows(cfg):
    """Per layer: the sliding window (None for full causal attention), as transformers reads config.json."""
    n = cfg['num_hidden_layers']
    mt = cfg.get('model_type', 'llama')
    if mt == 'mistral':
        w = cfg.get('sliding_window', 4096)
        return [w] * n
    if mt in ('qwen2', 'qwen3'):
        w = cfg.get('sliding_window', 4096) if cfg.get('use_sliding_window') else None
        types = cfg.get('layer_types')
        if types is None:
            mwl = cfg.get('max_window_layers', 28)
            types = ['sliding_attention' if w is not None and i >= mwl else 'full_attention' for i in range(n)]
        return [w if t == 'sliding_attention' else None for t in types]
    return [None] * n


def forward(cfg, w, ids, cache=None):
    """Logits [B, T, V] for ids [B, T] after the cache's positions; cache (a dict, may be empty) gets the
    rotated keys and the values of every layer appended, as a KV cache does."""
    H, nh, nkv = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    hd = cfg.get('head_dim') or H // nh
    eps = cfg['rms_norm_eps']
    w = {k: v.astype(np.float64) for k, v in w.items()}
    cache = {} if cache is None else cache
    past = cache.get('length', 0)

    def lin(x, name):
        y = x @ w[name + '.weight'].T
        return y + w[name + '.bias'] if name + '.bias' in w else y

    def rms(x, g):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g

    B, T = ids.shape
    S = past + T
    f, att = inv_freq(cfg, hd, seq_len=S)
    pos = past + np.arange(T)
    ang = pos[:, None] * f[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, -1) * att
    sin = np.concatenate([np.sin(ang)] * 2, -1) * att

    def rope(x):  # [B, heads, T, hd]
        x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
        return x * cos + np.concatenate([-x2, x1], -1) * sin

    h = w['model.embed_tokens.weight'][ids]
    qpos, kpos = pos[:, None], np.arange(S)[None, :]
    windows = layer_windows(cfg)
    qk_norm = cfg.get('model_type') == 'qwen3'
    for i in range(cfg['num_hidden_layers']):
        p = 'model.layers.%d.' % i
        x = rms(h, w[p + 'input_layernorm.weight'])
        q = lin(x, p + 'self_attn.q_proj').reshape(B, T, nh, hd)
        k = lin(x, p + 'self_attn.k_proj').reshape(B, T, nkv, hd)
        if qk_norm:
            q, k = rms(q, w[p + 'self_attn.q_norm.weight']), rms(k, w[p + 'self_attn.k_norm.weight'])
        q, k = q.transpose(0, 2, 1, 3), k.transpose(0, 2, 1, 3)
        v = lin(x, p + 'self_attn.v_proj').reshape(B, T, nkv, hd).transpose(0, 2, 1, 3)
        q, k = rope(q), rope(k)
        if i in cache:
            k = np.concatenate([cache[i][0], k], 2)
            v = np.concatenate([cache[i][1], v], 2)
        cache[i] = (k, v)
        allowed = kpos <= qpos
        if windows[i] is not None:
            allowed &= (qpos - kpos) < windows[i]
        rep = nh // nkv
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        s = np.where(allowed, s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        o = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, nh * hd)
        h = h + lin(o, p + 'self_attn.o_proj')
        x = rms(h, w[p + 'post_attention_layernorm.weight'])
        g = lin(x, p + 'mlp.gate_proj')
        h = h + lin(g / (1 + np.exp(-g)) * lin(x, p + 'mlp.up_proj'), p + 'mlp.down_proj')
    cache['length'] = S
    h = rms(h, w['model.norm.weight'])
    head = w['lm_head.weight'] if 'lm_head.weight' in w else w['model.embed_tokens.weight']
    return h @ head.T


def forward_stepwise(cfg, w, ids, prefill):
    """Logits of `prefill` tokens in one call, then of one token a call through the cache."""
    cache = {}
    out = [forward(cfg, w, ids[:, :prefill], cache)]
    for t in range(prefill, ids.shape[1]):
        out.append(forward(cfg, w, ids[:, t:t + 1], cache))
    return np.concatenate(out, 1)


# The project's own vectors: a source vector's weights under a new config, with new (longer) input ids.
VARIANTS = {
    # YaRN with transformers' defaults (beta 32/1, truncate, attention factor 0.1 ln 4 + 1), rope_scaling spelling,
    # 48 positions against an original context of 32
    'llama-yarn': ('llama3-a', 48, 0, lambda c: c.update({
        'rope_theta': 10000.0, 'max_position_embeddings': 128,
        'rope_scaling': {'rope_type': 'yarn', 'factor': 4.0, 'original_max_position_embeddings': 32}})),
    # YaRN with every option (mscale / mscale_all_dim, betas, no truncation), rope_parameters spelling with
    # rope_theta inside, on Qwen2 (q/k/v biases): 40 positions against an original context of 24
    'qwen2-yarn': ('qwen2-a', 40, 0, lambda c: (c.pop('rope_theta'), c.update({
        'max_position_embeddings': 64,
        'rope_parameters': {'rope_type': 'yarn', 'rope_theta': 10000.0, 'factor': 8.0,
                            'original_max_position_embeddings': 24, 'beta_fast': 8, 'beta_slow': 0.5,
                            'mscale': 0.8, 'mscale_all_dim': 0.5, 'truncate': False}}))),
    # Qwen2's use_sliding_window: layer 0 full (below max_window_layers 1), layer 1 with a window of 5
    'qwen2-sliding': ('qwen2-a', 20, 0, lambda c: c.update({
        'use_sliding_window': True, 'sliding_window': 5, 'max_window_layers': 1})),
    # dynamic NTK (old 'type' spelling), 40 positions against max_position_embeddings 16; also the logits of a
    # prefill of 12 then one token a call through the KV cache (logits_cached), whose frequencies grow per call
    'llama-dynamic': ('llama3-a', 40, 12, lambda c: (c.pop('rope_scaling'), c.update({
        'rope_theta': 10000.0, 'max_position_embeddings': 16,
        'rope_scaling': {'type': 'dynamic', 'factor': 2.0}}))),
}


def make_variant(root, name):
    src, length, prefill, edit = VARIANTS[name]
    cfg = json.load(open(root + '/' + src + '/config.json'))
    edit(cfg)
    cfg['torch_dtype'] = 'float32'
    w = read_st(root + '/' + src + '/model.safetensors')
    rng = np.random.default_rng(sum(map(ord, name)))
    ids = rng.integers(0, cfg['vocab_size'], size=(2, length))
    out = {'logits': forward(cfg, w, ids).astype(np.float32)}
    if prefill:
        out['logits_cached'] = forward_stepwise(cfg, w, ids, prefill).astype(np.float32)
    d = root + '/' + name
    os.makedirs(d, exist_ok=True)
    json.dump(cfg, open(d + '/config.json', 'w'), indent=2)
    vec = {'input_ids': ids.tolist(), 'variant': name, 'source_weights': src, 'tolerance': {'abs': 1e-4}}
    if prefill:
        vec['prefill'] = prefill
    json.dump(vec, open(d + '/vectors.json', 'w'), indent=2)
    write_st(d + '/model.safetensors', w)
    write_st(d + '/expected.safetensors', out)
    print('wrote', d, {k: v.shape for k, v in out.items()})


def main():
    if sys.argv[1] == 'check':
        d = sys.argv[2]
        cfg = json.load(open(d + '/config.json'))
        vec = json.load(open(d + '/vectors.json'))
        ids = np.array(vec['input_ids'])
        w = read_st(d + '/model.safetensors')
        want = read_st(d + '/expected.safetensors')
        print(d, 'max diff', np.abs(forward(cfg, w, ids) - want['logits']).max())
        if 'logits_cached' in want:
            got = forward_stepwise(cfg, w, ids, vec['prefill'])
            print(d, 'cached: max diff', np.abs(got - want['logits_cached']).max())
    elif sys.argv[1] == 'variant':
        for name in sys.argv[3:]:
            make_variant(sys.argv[2], name)
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
