#!/usr/bin/python3
"""The peer of LmBenchmark: the same four workloads in plain PyTorch (a straightforward Llama/Qwen3
forward written here, random weights, F32), on the same shapes and thread count.

  prefill        one forward over 512 tokens (all logits), no cache
  decode         greedy batch-1 generation, 32 steps after a 64-token prompt, with a KV cache
  decodeBatched  16 left-padded prompts (33..64 tokens), 16 steps of one [16, 1] forward with the cache
  loraStep       one LoRA step (r 16, alpha 32, q/k/v/o/gate/up/down, no dropout): forward,
                 cross-entropy, backward (autograd), AdamW on the adapter, on 4 x 256 tokens

Each is timed over --repeats runs after one warm-up run, prompt prefill outside the timed part, as in
LmBenchmark. Prints one JSON object: {"peer": {shape: {benchmark: {"tokensPerSecond": [...], ...}}}}.
Run with Debian's python3-torch; for a fair BLAS point LD_LIBRARY_PATH at OpenBLAS (see
benchmarks/run-lm-benchmarks.sh).
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

SHAPES = {
    "smollm2-135m": dict(vocab=49152, hidden=576, inter=1536, layers=30, heads=9, kv=3, head_dim=64,
                         qk_norm=False, theta=100000.0, eps=1e-5),
    "qwen3-0.6b": dict(vocab=151936, hidden=1024, inter=3072, layers=28, heads=16, kv=8, head_dim=128,
                       qk_norm=True, theta=1000000.0, eps=1e-6),
}


class Model:
    def __init__(self, c, gen):
        self.c = c
        h, q, kv, im = c["hidden"], c["heads"] * c["head_dim"], c["kv"] * c["head_dim"], c["inter"]

        def w(*shape):
            return (torch.randn(*shape, generator=gen) * 0.02).contiguous()

        self.embed = w(c["vocab"], h)
        self.layers = []
        for _ in range(c["layers"]):
            self.layers.append(dict(
                ln1=torch.ones(h), ln2=torch.ones(h), q=w(q, h), k=w(kv, h), v=w(kv, h), o=w(h, q),
                gate=w(im, h), up=w(im, h), down=w(h, im),
                qn=torch.ones(c["head_dim"]) if c["qk_norm"] else None,
                kn=torch.ones(c["head_dim"]) if c["qk_norm"] else None))
        self.norm = torch.ones(h)
        half = c["head_dim"] // 2
        self.inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, half, dtype=torch.float32) / half))
        self.lora = None

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["eps"]) * w

    def lin(self, x, layer, name):
        y = F.linear(x, layer[name])
        if self.lora is not None and (id(layer), name) in self.lora:
            a, b, s = self.lora[(id(layer), name)]
            y = y + F.linear(F.linear(x, a), b) * s
        return y

    @staticmethod
    def rotate(x, cos, sin):
        x1, x2 = x.chunk(2, dim=-1)
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin

    def forward(self, ids, mask=None, cache=None):
        """ids [B, T]; mask [B, S] (1 real, 0 pad) over cached + new; cache: list of (k, v) or None."""
        c = self.c
        b, t = ids.shape
        past = 0 if cache is None or cache[0] is None else cache[0][0].shape[2]
        s = past + t
        if mask is None:
            pos = torch.arange(past, s).unsqueeze(0).expand(b, t)
            keep = torch.ones(b, s, dtype=torch.bool)
        else:
            keep = mask.bool()
            pos = (mask.long().cumsum(-1) - 1).clamp(min=0)[:, past:]
        ang = pos.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat((ang, ang), dim=-1)
        cos, sin = emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        causal = torch.arange(s).unsqueeze(0) <= torch.arange(past, s).unsqueeze(1)
        allowed = causal.unsqueeze(0) & keep.unsqueeze(1)
        bias = torch.zeros(b, 1, t, s).masked_fill(~allowed.unsqueeze(1), -1e9)
        x = self.embed[ids]
        nh, nkv, hd = c["heads"], c["kv"], c["head_dim"]
        for li, L in enumerate(self.layers):
            hN = self.rms(x, L["ln1"])
            q = self.lin(hN, L, "q").view(b, t, nh, hd)
            k = self.lin(hN, L, "k").view(b, t, nkv, hd)
            v = self.lin(hN, L, "v").view(b, t, nkv, hd).transpose(1, 2)
            if L["qn"] is not None:
                q, k = self.rms(q, L["qn"]), self.rms(k, L["kn"])
            q = self.rotate(q.transpose(1, 2), cos, sin)
            k = self.rotate(k.transpose(1, 2), cos, sin)
            if cache is not None:
                if cache[li] is not None:
                    k = torch.cat((cache[li][0], k), dim=2)
                    v = torch.cat((cache[li][1], v), dim=2)
                cache[li] = (k, v)
            rep = nh // nkv
            kk = k.repeat_interleave(rep, dim=1)
            vv = v.repeat_interleave(rep, dim=1)
            att = torch.softmax(q @ kk.transpose(-1, -2) / math.sqrt(hd) + bias, dim=-1)
            out = (att @ vv).transpose(1, 2).reshape(b, t, nh * hd)
            x = x + self.lin(out, L, "o")
            hN = self.rms(x, L["ln2"])
            x = x + self.lin(F.silu(self.lin(hN, L, "gate")) * self.lin(hN, L, "up"), L, "down")
        return F.linear(self.rms(x, self.norm), self.embed)

    def add_lora(self, r, alpha, gen):
        self.lora = {}
        params = []
        for L in self.layers:
            for name in ("q", "k", "v", "o", "gate", "up", "down"):
                out_f, in_f = L[name].shape
                a = (torch.rand(r, in_f, generator=gen) * 2 - 1) / math.sqrt(in_f)
                a.requires_grad_(True)
                b = torch.zeros(out_f, r, requires_grad=True)
                self.lora[(id(L), name)] = (a, b, alpha / r)
                params += [a, b]
        return params


def timed(fn, repeats, setup=None):
    times = []
    for i in range(repeats + 1):
        state = setup() if setup else None
        t0 = time.perf_counter()
        fn(state)
        el = time.perf_counter() - t0
        if i > 0:
            times.append(el)
    return times


def run(shape, repeats, benchmarks):
    gen = torch.Generator().manual_seed(1)
    m = Model(SHAPES[shape], gen)
    vocab = SHAPES[shape]["vocab"]
    g = torch.Generator().manual_seed(7)
    out = {}
    with torch.no_grad():
        if "prefill" in benchmarks:
            ids = torch.randint(3, vocab, (1, 512), generator=g)
            t = timed(lambda _: m.forward(ids), repeats)
            out["prefill"] = dict(tokens=512, seconds=t, tokensPerSecond=[512 / x for x in t])
        if "decode" in benchmarks:
            prompt = torch.randint(3, vocab, (1, 64), generator=g)

            def setup():
                cache = [None] * len(m.layers)
                nxt = m.forward(prompt, cache=cache)[:, -1].argmax(-1, keepdim=True)
                return cache, nxt

            def decode(state):
                cache, tok = state
                for _ in range(32):
                    tok = m.forward(tok, cache=cache)[:, -1].argmax(-1, keepdim=True)

            t = timed(decode, repeats, setup)
            out["decode"] = dict(tokens=32, seconds=t, tokensPerSecond=[32 / x for x in t])
        if "decodeBatched" in benchmarks:
            ids = torch.randint(3, vocab, (16, 64), generator=g)
            mask = torch.ones(16, 64)
            for i in range(16):
                pad = (i * 31 // 15) % 32
                mask[i, :pad] = 0
                ids[i, :pad] = 0

            def setup():
                cache = [None] * len(m.layers)
                nxt = m.forward(ids, mask=mask, cache=cache)[:, -1].argmax(-1, keepdim=True)
                return cache, nxt

            def decode(state):
                cache, tok = state
                msk = mask
                for _ in range(16):
                    msk = torch.cat((msk, torch.ones(16, 1)), dim=1)
                    tok = m.forward(tok, mask=msk, cache=cache)[:, -1].argmax(-1, keepdim=True)

            t = timed(decode, repeats, setup)
            out["decodeBatched"] = dict(tokens=256, seconds=t, tokensPerSecond=[256 / x for x in t])
    if "loraStep" in benchmarks:
        params = m.add_lora(16, 32, torch.Generator().manual_seed(3))
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
        ids = torch.randint(3, vocab, (4, 256), generator=g)

        def step(_):
            logits = m.forward(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
            loss.backward()
            opt.step()
            opt.zero_grad()

        t = timed(step, max(1, repeats - 1))
        out["loraStep"] = dict(tokens=1024, seconds=t, tokensPerSecond=[1024 / x for x in t])
        m.lora = None
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--shapes", default="smollm2-135m,qwen3-0.6b")
    p.add_argument("--benchmarks", default="prefill,decode,decodeBatched,loraStep")
    p.add_argument("--repeats", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    result = {"torch": torch.__version__, "threads": a.threads, "repeats": a.repeats, "peer": {}}
    for shape in a.shapes.split(","):
        result["peer"][shape] = run(shape, a.repeats, a.benchmarks.split(","))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
