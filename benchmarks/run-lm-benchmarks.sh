#!/usr/bin/env bash
# One command for the language-model figures of issue 11: memory (LmMemory), the machine's limits
# (MachineProbe), JMH LmBenchmark at SmolLM2-135M and Qwen3-0.6B shapes, and the plain-PyTorch peer
# (benchmarks/src/main/python/lm_peer.py) right after it in the same run, then the table
# (lm_report.py) in docs/results/lm-performance/<UTC time>/README.md with every raw file beside it.
#
#   benchmarks/run-lm-benchmarks.sh            # all (about 10 min on a quiet machine)
#   SHAPES=smollm2-135m benchmarks/run-lm-benchmarks.sh
#
# Environment: SHAPES (comma list, default both), OUT (run directory), JAR (default
# benchmarks/target/benchmarks.jar, built offline if absent), PEER_PYTHON (default /usr/bin/python3,
# Debian's python3-torch), PEER_BLAS_DIR (a directory holding OpenBLAS's libblas.so.3; default the
# system's openblas-pthread directory if present: Debian's torch uses whatever libblas.so.3 it finds,
# and the reference BLAS is ~30x slower), THREADS (default 2), WARMUPS / ITERATIONS (JMH iterations of
# one second each, at least one invocation each; default 1 / 3), BENCHMARKS (default
# prefill,decode,decodeBatched,loraStep), MEMORY=0 to skip the memory runs.
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPES=${SHAPES:-smollm2-135m,qwen3-0.6b}
THREADS=${THREADS:-2}
WARMUPS=${WARMUPS:-1}
ITERATIONS=${ITERATIONS:-3}
BENCHMARKS=${BENCHMARKS:-prefill,decode,decodeBatched,loraStep}
MEMORY=${MEMORY:-1}
OUT=${OUT:-docs/results/lm-performance/$(date -u +%Y-%m-%dT%H%MZ)}
JAR=${JAR:-benchmarks/target/benchmarks.jar}
PEER_PYTHON=${PEER_PYTHON:-/usr/bin/python3}
PEER_BLAS_DIR=${PEER_BLAS_DIR:-/usr/lib/x86_64-linux-gnu/openblas-pthread}
JAVA_OPTS=(-Xmx6g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1)

if [ ! -f "$JAR" ]; then
  mvn -o -q -pl benchmarks -am package -DskipTests
fi
mkdir -p "$OUT"
uptime > "$OUT/load-before.txt"
lscpu > "$OUT/lscpu.txt" 2>/dev/null || true
echo "run directory: $OUT; load: $(cat "$OUT/load-before.txt")"

# the checkpoints (random weights, seed 1, BF16) once, then memory in a fresh JVM per setting
IFS=',' read -r -a shape_list <<< "$SHAPES"
for s in "${shape_list[@]}"; do
  if [ "$MEMORY" = 1 ]; then
    for w in bf16 f32; do
      java "${JAVA_OPTS[@]}" -cp "$JAR" dev.keel.benchmarks.LmMemory "$s" "$w" 2>>"$OUT/stderr.log" | grep '^{' >> "$OUT/memory.jsonl"
    done
  else
    java "${JAVA_OPTS[@]}" -Dkeel.memory.prepareOnly=true -cp "$JAR" dev.keel.benchmarks.LmMemory "$s" bf16 2>>"$OUT/stderr.log"
  fi
done
java "${JAVA_OPTS[@]}" -cp "$JAR" dev.keel.benchmarks.MachineProbe 2>>"$OUT/stderr.log" | grep '^{' > "$OUT/probe.json"

# JMH: few iterations, each at least one invocation (an invocation takes seconds)
jmh() {
  local name=$1; shift
  java -jar "$JAR" "$@" -p shape="$SHAPES" -jvmArgsAppend "-Dai.djl.pytorch.num_threads=$THREADS" \
    -rf json -rff "$OUT/jmh-$name.json" 2>>"$OUT/stderr.log" | tee -a "$OUT/jmh.log" | grep -E '^(Benchmark|LmBenchmark)' || true
}
has() { [[ ",$BENCHMARKS," == *",$1,"* ]]; }
has prefill && jmh prefill 'LmBenchmark\.prefill$' -p weights=bf16,f32 -wi "$WARMUPS" -i "$ITERATIONS" -w 1 -r 1
has decode && jmh decode 'LmBenchmark\.decode$' -p weights=bf16,f32 -wi "$WARMUPS" -i "$ITERATIONS" -w 1 -r 1
has decodeBatched && jmh batched 'LmBenchmark\.decodeBatched$' -p weights=bf16,f32 -wi "$WARMUPS" -i "$ITERATIONS" -w 1 -r 1
has loraStep && jmh lora 'LmBenchmark\.loraStep$' -p weights=bf16 -wi "$WARMUPS" -i "$ITERATIONS" -w 1 -r 1

# the peer, right after
PEER_ENV=(OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS")
if [ -f "$PEER_BLAS_DIR/libblas.so.3" ]; then
  PEER_ENV+=(LD_LIBRARY_PATH="$PEER_BLAS_DIR")
  echo "peer BLAS: $PEER_BLAS_DIR" > "$OUT/peer-blas.txt"
else
  echo "peer BLAS: the system's libblas.so.3 ($PEER_BLAS_DIR has none)" > "$OUT/peer-blas.txt"
fi
env "${PEER_ENV[@]}" "$PEER_PYTHON" benchmarks/src/main/python/lm_peer.py --threads "$THREADS" --shapes "$SHAPES" \
  --benchmarks "$BENCHMARKS" --repeats "$ITERATIONS" > "$OUT/peer.json" 2>>"$OUT/stderr.log"

uptime > "$OUT/load-after.txt"
"$PEER_PYTHON" benchmarks/src/main/python/lm_report.py "$OUT" > "$OUT/README.md"
echo "wrote $OUT/README.md"
