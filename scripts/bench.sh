#!/usr/bin/env bash
# Benchmarks vaultrot against the real ansible-vault on this machine, in one
# run: whole-process `view` of the same files (median wall time, hyperfine),
# then one key derivation against the raw SHA-256 rate (criterion,
# benches/kdf.rs). Figures and how to read them: docs/benchmarks.md.
#
#   scripts/bench.sh            # BENCH_RUNS=30 runs per command by default
#   BENCH_RUNS=50 scripts/bench.sh
#   VAULTROT_ANSIBLE_BIN=/path/to/venv/bin scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUNS="${BENCH_RUNS:-30}"

if [ -z "${VAULTROT_ANSIBLE_BIN:-}" ]; then
  scripts/setup-test-env.sh
  VAULTROT_ANSIBLE_BIN="$ROOT/.venv/bin"
fi
AV="$VAULTROT_ANSIBLE_BIN/ansible-vault"
[ -x "$AV" ] || { echo "bench: $AV is missing" >&2; exit 1; }

echo "== building vaultrot (release)" >&2
cargo build --release --locked --bin vaultrot >&2
VR="$ROOT/target/release/vaultrot"

if ! command -v hyperfine >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing hyperfine" >&2
  apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y hyperfine >/dev/null 2>&1; } || true
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# The tools run with HOME in the scratch dir (no ~/.ansible.cfg); cargo keeps its own.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export HOME="$WORK" ANSIBLE_LOCAL_TEMP="$WORK/.ansible-tmp"
unset ANSIBLE_VAULT_PASSWORD_FILE ANSIBLE_VAULT_IDENTITY_LIST ANSIBLE_CONFIG ANSIBLE_VAULT_ENCRYPT_SALT || true
printf 'bench password\n' > pw
python3 - <<'EOF'
lines = [f"var_{i:03d}: value number {i} for the benchmark\n" for i in range(30)]
open("small.yml", "w").write("".join(lines))
with open("large.yml", "w") as f:
    i = 0
    while f.tell() < (1 << 20):
        f.write(f"key_{i:06d}: {'v' * 40}\n")
        i += 1
EOF
# ansible-vault writes the files both tools then read.
"$AV" encrypt --vault-password-file pw --output small.vault small.yml 2>/dev/null
"$AV" encrypt --vault-password-file pw --output large.vault large.yml 2>/dev/null
for f in small large; do
  cmp -s <("$VR" view --vault-password-file pw "$f.vault") <("$AV" view --vault-password-file pw "$f.vault" 2>/dev/null) \
    || { echo "bench: the two tools show different plaintext for $f.vault" >&2; exit 1; }
done

# Median wall time (ms) of "$@" over $RUNS runs, without hyperfine.
loop_median() {
  local i t0 t1
  for ((i = 0; i < 3; i++)); do "$@" >/dev/null 2>&1; done
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
  done | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f\n", m / 1000}'
}

# Prints "wall_vaultrot wall_ansible cpu_vaultrot cpu_ansible" in ms for one
# file: median wall time, and mean user+system CPU time (less sensitive to a
# busy machine; "nan" without hyperfine).
measure() {
  local file="$1"
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --shell=none --warmup 3 --runs "$RUNS" --style none \
      --export-json "$WORK/$file.json" \
      -n "vaultrot view $file" "$VR view --vault-password-file pw $file" \
      -n "ansible-vault view $file" "$AV view --vault-password-file pw $file" >&2
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join(["%.3f" % (x["median"]*1e3) for x in r] + ["%.3f" % ((x["user"]+x["system"])*1e3) for x in r]))' "$WORK/$file.json"
  else
    echo "$(loop_median "$VR" view --vault-password-file pw "$file") $(loop_median "$AV" view --vault-password-file pw "$file") nan nan"
  fi
}

echo "== whole-process view, $RUNS runs each ($(command -v hyperfine >/dev/null && hyperfine --version || echo 'timing loop'))" >&2
RESULTS=()
for f in small.vault large.vault; do
  read -r vr_ms av_ms vr_cpu av_cpu < <(measure "$f")
  RESULTS+=("$(printf '%-12s %8s bytes  wall: vaultrot %7.2f ms  ansible-vault %7.1f ms  ratio %6.1fx   cpu: %6.2f ms vs %6.1f ms  ratio %6.1fx' \
    "$f" "$(wc -c < "$f")" "$vr_ms" "$av_ms" "$(python3 -c "print($av_ms / $vr_ms)")" \
    "$vr_cpu" "$av_cpu" "$(python3 -c "print($av_cpu / $vr_cpu)")")")
done

cd "$ROOT"
echo "== cargo bench --bench kdf, --bench view" >&2
KDF_OUT="$(cargo bench --locked --bench kdf --bench view -- --noplot 2>&1 | tee /dev/stderr)"

# "group/name   [low median high]" for each criterion result of a group.
criterion_medians() {
  awk -v group="$1" '
    index($0, group "/") == 1 {
      name = $0; sub(/ +time:.*/, "", name)
      line = $0; if (line !~ /time:/) getline line
      sub(/.*time: +/, "", line)
      printf "  %-52s %s\n", name, line
    }' <<<"$KDF_OUT"
}

echo
echo "== summary ($(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "view (median wall time, whole process, ansible-vault $("$AV" --version 2>/dev/null | head -1 | grep -o 'core [0-9.]*'), target >= 100x):"
printf '  %s\n' "${RESULTS[@]}"
echo "key derivation (criterion medians, then interleaved medians; target <= 1.2x):"
criterion_medians kdf
grep -E '^kdf-(ratio|detail):' <<<"$KDF_OUT" | sed 's/^/  /'
echo "in-process decryption (criterion medians, no process start):"
criterion_medians view
