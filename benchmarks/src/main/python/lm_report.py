#!/usr/bin/python3
"""Writes the Markdown table of one run of benchmarks/run-lm-benchmarks.sh from the files it left in
RUN_DIR: jmh-*.json (JMH, LmBenchmark), peer.json (lm_peer.py), memory.jsonl (LmMemory),
probe.json (MachineProbe), load-before.txt / load-after.txt (uptime), lscpu.txt.

Usage: lm_report.py RUN_DIR > RUN_DIR/README.md
"""
import glob
import json
import os
import sys

ISSUE_PEAK_GFLOPS = 294.0   # the issue's FP32 peak of its machine (2 cores AVX-512)
ISSUE_BANDWIDTH_GBS = 31.0  # the issue's read bandwidth

SHAPES = {
    "smollm2-135m": dict(vocab=49152, hidden=576, inter=1536, layers=30, heads=9, kv=3, head_dim=64),
    "qwen3-0.6b": dict(vocab=151936, hidden=1024, inter=3072, layers=28, heads=16, kv=8, head_dim=128),
}


def matrix_params(c):
    h, q, kv = c["hidden"], c["heads"] * c["head_dim"], c["kv"] * c["head_dim"]
    per_layer = h * q + 2 * h * kv + q * h + 3 * h * c["inter"]
    return c["layers"] * per_layer + c["vocab"] * h  # the tied head is a product over the embedding


def prefill_flops_per_token(c, t=512):
    # 2 per weight per token, plus QK^T and PV over the full T x T (masked half included: it is computed)
    return 2 * matrix_params(c) + 4 * t * c["heads"] * c["head_dim"] * c["layers"]


def weight_bytes(c, bytes_per_weight):
    return matrix_params(c) * bytes_per_weight


def load_jmh(run):
    out = {}
    for f in sorted(glob.glob(os.path.join(run, "jmh-*.json"))):
        with open(f) as fh:
            for r in json.load(fh):
                name = r["benchmark"].rsplit(".", 1)[1]
                p = r.get("params", {})
                raw = [x for fork in r["primaryMetric"]["rawData"] for x in fork]
                out[(name, p.get("shape"), p.get("weights"))] = dict(score=r["primaryMetric"]["score"], raw=raw)
    return out


def fmt(x, d=1):
    return "—" if x is None else f"{x:,.{d}f}"


def main():
    run = sys.argv[1]
    jmh = load_jmh(run)
    peer = {}
    if os.path.exists(os.path.join(run, "peer.json")):
        with open(os.path.join(run, "peer.json")) as fh:
            peer = json.load(fh)
    probe = {}
    if os.path.exists(os.path.join(run, "probe.json")):
        with open(os.path.join(run, "probe.json")) as fh:
            probe = json.load(fh)
    memory = []
    if os.path.exists(os.path.join(run, "memory.jsonl")):
        with open(os.path.join(run, "memory.jsonl")) as fh:
            memory = [json.loads(line) for line in fh if line.strip().startswith("{")]

    def text(name):
        p = os.path.join(run, name)
        return open(p).read().strip() if os.path.exists(p) else "—"

    gemm = probe.get("gemmF32GflopPerSecond")
    bw = probe.get("readGBPerSecond")
    print(f"# LmBenchmark run {os.path.basename(os.path.normpath(run))}\n")
    print(f"Load before: `{text('load-before.txt')}`  ")
    print(f"Load after: `{text('load-after.txt')}`\n")
    print("The machine is shared: these numbers were taken under the load above; compare the Keel/peer "
          "ratios (same run) rather than absolute figures across runs.\n")
    print(f"Measured limits in this run (MachineProbe, DJL's PyTorch, 2 threads): F32 GEMM {fmt(gemm)} GFLOP/s, "
          f"read bandwidth {fmt(bw, 2)} GB/s. The issue's figures (another machine: 2 AVX-512 cores) are "
          f"{ISSUE_PEAK_GFLOPS:.0f} GFLOP/s and {ISSUE_BANDWIDTH_GBS:.0f} GB/s; shares are given against both.\n")
    peer_torch = peer.get("torch", "—")
    print(f"Peer: `lm_peer.py`, PyTorch {peer_torch}, {peer.get('threads', '—')} threads, F32 weights, "
          f"{peer.get('repeats', '—')} timed runs after a warm-up. Keel: JMH throughput, mean of the iterations "
          "(raw iterations in brackets).\n")

    def peer_value(shape, bench):
        v = peer.get("peer", {}).get(shape, {}).get(bench)
        if not v:
            return None
        xs = v["tokensPerSecond"]
        return sum(xs) / len(xs)

    def raw(r):
        return "[" + ", ".join(fmt(x) for x in r["raw"]) + "]"

    print("## Prefill, 512 tokens (tokens/s)\n")
    print("| shape | weights | Keel | peer (F32) | Keel / peer | GFLOP/s | share of 294 | share of measured GEMM |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for shape, c in SHAPES.items():
        for w in ("bf16", "f32"):
            r = jmh.get(("prefill", shape, w))
            if not r:
                continue
            p = peer_value(shape, "prefill")
            gf = r["score"] * prefill_flops_per_token(c) / 1e9
            print(f"| {shape} | {w} | {fmt(r['score'])} {raw(r)} | {fmt(p)} | {fmt(r['score'] / p, 2) if p else '—'}× "
                  f"| {fmt(gf)} | {100 * gf / ISSUE_PEAK_GFLOPS:.0f}% | "
                  f"{(f'{100 * gf / gemm:.0f}%') if gemm else '—'} |")
    print("\nFLOPs per token: 2 × (weights of every product, the tied head included) + 4 × 512 × heads × head_dim "
          "× layers (QKᵀ and PV over the whole 512 × 512, as computed).\n")

    print("## Greedy generation, batch 1, KV cache (tokens/s)\n")
    print("| shape | weights kept | Keel | peer (F32) | Keel / peer | floor at 31 GB/s | share | "
          "floor at measured GB/s | share |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape, c in SHAPES.items():
        for w, bpw in (("bf16", 2), ("f32", 4)):
            r = jmh.get(("decode", shape, w))
            if not r:
                continue
            p = peer_value(shape, "decode")
            floor = ISSUE_BANDWIDTH_GBS * 1e9 / weight_bytes(c, bpw)
            mfloor = bw * 1e9 / weight_bytes(c, bpw) if bw else None
            print(f"| {shape} | {w} | {fmt(r['score'])} {raw(r)} | {fmt(p)} | {fmt(r['score'] / p, 2) if p else '—'}× "
                  f"| {fmt(floor)} | {100 * r['score'] / floor:.0f}% | {fmt(mfloor)} | "
                  + (f"{100 * r['score'] / mfloor:.0f}%" if mfloor else "—") + " |")
    print("\nBytes per token: every weight of every product read once (2 bytes each as kept in 16 bits, 4 in F32).\n")

    print("## Batched generation, 16 left-padded prompts, one [16, 1] forward a step (aggregate tokens/s)\n")
    print("| shape | weights | Keel batched | Keel batch 1 | batched / batch 1 | peer batched | peer batch 1 | "
          "Keel / peer (batched) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for shape in SHAPES:
        for w in ("bf16", "f32"):
            r = jmh.get(("decodeBatched", shape, w))
            if not r:
                continue
            one = jmh.get(("decode", shape, w))
            pb = peer_value(shape, "decodeBatched")
            p1 = peer_value(shape, "decode")
            print(f"| {shape} | {w} | {fmt(r['score'])} {raw(r)} | {fmt(one['score']) if one else '—'} | "
                  f"{fmt(r['score'] / one['score'], 2) + '×' if one else '—'} | {fmt(pb)} | {fmt(p1)} | "
                  f"{fmt(r['score'] / pb, 2) + '×' if pb else '—'} |")
    print()

    print("## One LoRA step, r 16, every linear layer, 4 × 256 tokens (tokens/s)\n")
    print("| shape | base weights | Keel | peer (F32 base) | Keel / peer |")
    print("|---|---|---:|---:|---:|")
    for shape in SHAPES:
        for w in ("bf16", "f32"):
            r = jmh.get(("loraStep", shape, w))
            if not r:
                continue
            p = peer_value(shape, "loraStep")
            print(f"| {shape} | {w} | {fmt(r['score'])} {raw(r)} | {fmt(p)} | "
                  f"{fmt(r['score'] / p, 2) + '×' if p else '—'} |")
    print()

    if memory:
        print("## Resident memory of a process holding the loaded model (LmMemory, fresh JVM each)\n")
        print("| shape | weights kept | weights on the device | VmRSS after load | of it anonymous / file | VmHWM "
              "| heap used / committed | RSS − committed heap | VmRSS after a 16-token forward |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for m in memory:
            print(f"| {m['shape']} | {m['weights']} | {m['weightBytes'] / 2**20:,.0f} MiB | {m['rssMiB']:,.0f} MiB | "
                  f"{m['rssAnonMiB']:,.0f} / {m['rssFileMiB']:,.0f} MiB | {m['hwmMiB']:,.0f} MiB | {m['heapUsedMiB']:,.0f} / {m['heapCommittedMiB']:,.0f} MiB | "
                  f"{m['rssMiB'] - m['heapCommittedMiB']:,.0f} MiB | {m['rssAfterForwardMiB']:,.0f} MiB |")
        print()


if __name__ == "__main__":
    main()
