#!/usr/bin/env bash
# Benchmarks vaultrot against the real ansible-vault on this machine, in one
# run: whole-process `view` of the same files, the two tools run as
# interleaved pairs (scripts/bench_interleaved.py: medians, and the median of
# the per-pair ratios), then one key derivation against the raw SHA-256 rate
# and in-process decryption (criterion: benches/kdf.rs, benches/view.rs).
# Figures and how to read them: docs/benchmarks.md.
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
VR="$(scripts/build-release.sh)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
# The binary is timed as installed (`cargo install` copies it). Measured on
# Linux 6.18: the file as the linker wrote it starts ~0.3 ms slower (206
# page faults instead of 169 for a small `view`), because the page cache
# holds it in small pieces until it is copied or read back from disk.
cp "$VR" "$WORK/vaultrot"
VR="$WORK/vaultrot"
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

# Whole processes, interleaved (vaultrot, ansible-vault, vaultrot, ...):
# scripts/bench_interleaved.py prints medians and the median per-round ratio.
INTERLEAVED="$ROOT/scripts/bench_interleaved.py"
RESULTS=()
for f in small.vault large.vault; do
  echo "== view $f: $RUNS interleaved rounds" >&2
  python3 "$INTERLEAVED" --runs "$RUNS" --warmup 3 --json "$WORK/$f.json" \
    "vaultrot=$VR view --vault-password-file pw $f" \
    "ansible-vault=$AV view --vault-password-file pw $f" >&2
  RESULTS+=("$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
vr, av = d["results"]
print("%-12s %8s bytes  vaultrot %7.2f ms (min %.2f, cpu %.2f)  ansible-vault %7.1f ms  ratio %6.1fx (median of %d interleaved pairs)"
      % (sys.argv[2], sys.argv[3], vr["median_ms"], vr["min_ms"], vr["cpu_mean_ms"], av["median_ms"], av["ratio_to_first"], d["runs"]))
' "$WORK/$f.json" "$f" "$(wc -c < "$f")")")
done
echo "== start-up: $RUNS interleaved rounds" >&2
python3 "$INTERLEAVED" --runs "$RUNS" --warmup 3 --json "$WORK/startup.json" \
  "vaultrot --version=$VR --version" "true=/bin/true" >&2
STARTUP="$(python3 -c '
import json, sys
vr, t = json.load(open(sys.argv[1]))["results"]
print("vaultrot --version %.2f ms, /bin/true %.2f ms (medians)" % (vr["median_ms"], t["median_ms"]))
' "$WORK/startup.json")"

cd "$ROOT"
echo "== cargo bench --bench kdf, --bench view" >&2
# `tee /dev/stderr` would reopen stderr and truncate it when it is a log file.
KDF_OUT="$(cargo bench --locked --bench kdf --bench view -- --noplot 2>&1 | tee >(cat >&2))"

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
echo "view (whole process, ansible-vault $("$AV" --version 2>/dev/null | head -1 | grep -o 'core [0-9.]*'); targets: small <= 2.5 ms and >= 120x, large <= 8 ms):"
printf '  %s\n' "${RESULTS[@]}"
echo "  $STARTUP"
echo "key derivation (criterion medians, then interleaved medians; target <= 1.2x):"
criterion_medians kdf
grep -E '^kdf-(ratio|detail):' <<<"$KDF_OUT" | sed 's/^/  /'
echo "in-process decryption (criterion medians, no process start):"
criterion_medians view
