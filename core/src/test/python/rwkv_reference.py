#!/usr/bin/env python3
"""Independent RWKV-4 reference for Keel's RwkvModel (NumPy, float64).

Written from the RWKV-4 equations (Peng et al. 2023), not from any implementation's code:

  token shift      x'_t = mu * x_t + (1 - mu) * x_{t-1}           (x_{-1} = 0)
  time mixing      k = K x'_k, v = V x'_v, r = sigmoid(R x'_r), w = exp(time_decay), u = time_first
                   wkv_t = (sum_{s<t} e^{-(t-1-s) w + k_s} v_s + e^{u + k_t} v_t)
                         / (sum_{s<t} e^{-(t-1-s) w + k_s}     + e^{u + k_t})
                   out = O (r * wkv)
  channel mixing   out = sigmoid(R x'_r) * V relu(K x'_k)^2
  block            (block 0: x = pre_ln(x)); x += att(ln1(x)); x += ffn(ln2(x))
  rescale_every R  (inference) block i's att/ffn outputs times 2^-(i // R); x /= 2 after blocks i with (i+1) % R == 0
  model            logits = head(ln_out(x))   (ln_out's epsilon is 1e-5, the blocks' layer_norm_epsilon)

The wkv sums are evaluated directly, as a quadratic sum over s for every t, in float64 with the
largest exponent of each (t, channel) factored out. The script writes a random checkpoint in the layout of
transformers' RwkvForCausalLM (config.json + model.safetensors, F32) and the logits for fixed token ids.

Usage: /usr/bin/python3 rwkv_reference.py OUT_DIR      (writes OUT_DIR/<variant>/{config.json,model.safetensors,logits.json})
"""
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors):
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        s, e = info["data_offsets"]
        out[name] = np.frombuffer(data[s:e], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def shifted(x):
    out = np.zeros_like(x)
    out[:, 1:] = x[:, :-1]
    return out


def wkv(k, v, w, u):
    """k, v: [B, T, A]; w, u: [A]. Direct quadratic sums, stabilised per (b, t, channel)."""
    bsz, t_len, a = k.shape
    out = np.zeros_like(k)
    for t in range(t_len):
        s = np.arange(t)
        # exponents of every contribution: [B, t + 1, A]
        past = k[:, :t, :] - (t - 1 - s)[None, :, None] * w[None, None, :]
        here = (u[None, :] + k[:, t, :])[:, None, :]
        expo = np.concatenate([past, here], axis=1)
        vals = np.concatenate([v[:, :t, :], v[:, t:t + 1, :]], axis=1)
        top = expo.max(axis=1, keepdims=True)
        e = np.exp(expo - top)
        out[:, t, :] = (e * vals).sum(1) / e.sum(1)
    return out


def forward(cfg, wts, ids):
    p = "rwkv."
    x = wts[p + "embeddings.weight"][ids]
    eps = cfg["layer_norm_epsilon"]
    rescale = cfg.get("rescale_every", 0) or 0
    for i in range(cfg["num_hidden_layers"]):
        q = p + "blocks.%d." % i
        if i == 0:
            x = layer_norm(x, wts[q + "pre_ln.weight"], wts[q + "pre_ln.bias"], eps)
        h = layer_norm(x, wts[q + "ln1.weight"], wts[q + "ln1.bias"], eps)
        hp = shifted(h)

        def mixed(name):
            mu = wts[q + "attention.time_mix_" + name].reshape(-1)
            return mu * h + (1 - mu) * hp

        k = mixed("key") @ wts[q + "attention.key.weight"].T
        v = mixed("value") @ wts[q + "attention.value.weight"].T
        r = sigmoid(mixed("receptance") @ wts[q + "attention.receptance.weight"].T)
        w = np.exp(wts[q + "attention.time_decay"])
        u = wts[q + "attention.time_first"]
        att = (r * wkv(k, v, w, u)) @ wts[q + "attention.output.weight"].T
        scale = 2.0 ** -(i // rescale) if rescale > 0 else 1.0
        x = x + att * scale
        g = layer_norm(x, wts[q + "ln2.weight"], wts[q + "ln2.bias"], eps)
        gp = shifted(g)
        mk = wts[q + "feed_forward.time_mix_key"].reshape(-1)
        mr = wts[q + "feed_forward.time_mix_receptance"].reshape(-1)
        kk = np.maximum((mk * g + (1 - mk) * gp) @ wts[q + "feed_forward.key.weight"].T, 0) ** 2
        ffn = sigmoid((mr * g + (1 - mr) * gp) @ wts[q + "feed_forward.receptance.weight"].T) * (
            kk @ wts[q + "feed_forward.value.weight"].T)
        x = x + ffn * scale
        if rescale > 0 and (i + 1) % rescale == 0:
            x = x / 2
    x = layer_norm(x, wts[p + "ln_out.weight"], wts[p + "ln_out.bias"], 1e-5)
    head = wts[p + "embeddings.weight"] if cfg["tie_word_embeddings"] else wts["head.weight"]
    return x @ head.T


def random_checkpoint(cfg, rng, key_std):
    h, a, im, vocab = cfg["hidden_size"], cfg["attention_hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    f = lambda *s: rng.standard_normal(s)
    wts = {"rwkv.embeddings.weight": f(vocab, h) * 0.5}
    for i in range(cfg["num_hidden_layers"]):
        q = "rwkv.blocks.%d." % i
        if i == 0:
            wts[q + "pre_ln.weight"] = 1 + 0.1 * f(h)
            wts[q + "pre_ln.bias"] = 0.1 * f(h)
        for ln in ("ln1", "ln2"):
            wts[q + ln + ".weight"] = 1 + 0.1 * f(h)
            wts[q + ln + ".bias"] = 0.1 * f(h)
        wts[q + "attention.time_decay"] = rng.uniform(-3, 2.5, a)
        wts[q + "attention.time_first"] = rng.uniform(-1, 1, a)
        for n in ("key", "value", "receptance"):
            wts[q + "attention.time_mix_" + n] = rng.uniform(0, 1, (1, 1, h))
        wts[q + "attention.key.weight"] = f(a, h) * key_std
        wts[q + "attention.value.weight"] = f(a, h) * 0.3
        wts[q + "attention.receptance.weight"] = f(a, h) * 0.3
        wts[q + "attention.output.weight"] = f(h, a) * 0.3
        for n in ("key", "receptance"):
            wts[q + "feed_forward.time_mix_" + n] = rng.uniform(0, 1, (1, 1, h))
        wts[q + "feed_forward.key.weight"] = f(im, h) * 0.3
        wts[q + "feed_forward.receptance.weight"] = f(h, h) * 0.3
        wts[q + "feed_forward.value.weight"] = f(h, im) * 0.3
    wts["rwkv.ln_out.weight"] = 1 + 0.1 * f(h)
    wts["rwkv.ln_out.bias"] = 0.1 * f(h)
    if not cfg["tie_word_embeddings"]:
        wts["head.weight"] = f(vocab, h) * 0.3
    # stored in F32: the reference computes from the F32 values, as Keel reads them
    return {k: v.astype(np.float32) for k, v in wts.items()}


VARIANTS = {
    # untied head, rescaling every 2 blocks, a sequence longer than Keel's chunk of 16
    "untied-rescale": dict(cfg=dict(vocab_size=50, hidden_size=16, attention_hidden_size=16, intermediate_size=40,
                                    num_hidden_layers=3, layer_norm_epsilon=1e-5, context_length=64,
                                    rescale_every=2, tie_word_embeddings=False, bos_token_id=0, eos_token_id=0),
                           seed=1, key_std=0.3, batch=2, length=37),
    # tied head, attention width != hidden width, large keys (exponents far from 0), no rescaling
    "tied-wide-keys": dict(cfg=dict(vocab_size=40, hidden_size=16, attention_hidden_size=12, intermediate_size=64,
                                    num_hidden_layers=2, layer_norm_epsilon=1e-6, context_length=64,
                                    rescale_every=0, tie_word_embeddings=True, bos_token_id=0, eos_token_id=1),
                           seed=2, key_std=3.0, batch=2, length=21),
}


def main(out):
    for name, spec in VARIANTS.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        rng = np.random.default_rng(spec["seed"])
        cfg = dict(spec["cfg"], model_type="rwkv", architectures=["RwkvForCausalLM"])
        wts = random_checkpoint(cfg, rng, spec["key_std"])
        write_safetensors(os.path.join(d, "model.safetensors"), wts)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
        ids = rng.integers(0, cfg["vocab_size"], (spec["batch"], spec["length"]))
        # read back what was written, to compute from exactly the stored values
        logits = forward(cfg, read_safetensors(os.path.join(d, "model.safetensors")), ids)
        with open(os.path.join(d, "logits.json"), "w") as f:
            json.dump({"ids": ids.tolist(), "shape": list(logits.shape),
                       "logits": [round(float(v), 7) for v in logits.reshape(-1)],
                       "source": "core/src/test/python/rwkv_reference.py (NumPy float64)"}, f)
        print(name, "logits", logits.shape, "max |logit|", float(np.abs(logits).max()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
