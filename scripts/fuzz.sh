#!/usr/bin/env bash
# Coverage-guided fuzzing of one target for a while, seeded from the test
# fixtures:  scripts/fuzz.sh TARGET SECONDS   (scripts/fuzz.sh list: the targets)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain, or the
# stable one with RUSTC_BOOTSTRAP=1 (used when no nightly is installed). Not
# part of CI. Crashes land in fuzz/artifacts/TARGET/; copy each into
# tests/fixtures/fuzz/TARGET/ so tests/fuzz_regressions.rs replays it for ever.
# The last lines printed are libFuzzer's totals (executions, coverage), the
# figures docs/fuzzing.md records.
set -euo pipefail
cd "$(dirname "$0")/.."

targets="vault_envelope password_file yaml_parse yaml_edit manifest changelog"
if [ "${1:-}" = list ] || [ $# -ne 2 ]; then
  echo "usage: scripts/fuzz.sh TARGET SECONDS   (targets: $targets)" >&2
  [ "${1:-}" = list ] && exit 0 || exit 2
fi
target="$1" seconds="$2"
case " $targets " in *" $target "*) ;; *) echo "fuzz.sh: unknown target $target (targets: $targets)" >&2; exit 2 ;; esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz missing: cargo install cargo-fuzz" >&2
  exit 1
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi

# Seeds: the fixtures that show each format at its trickiest.
corpus="fuzz/corpus/$target"
mkdir -p "$corpus"
seed() { for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done; true; }
case "$target" in
  vault_envelope) seed tests/fixtures/ansible_upstream/*.vault ;;
  password_file) seed tests/fixtures/ansible_upstream/*.password ;;
  yaml_parse) seed tests/fixtures/yaml/*.input.yml ;;
  yaml_edit)
    # The editor's input layout: op, entry, value length, value, document.
    for f in tests/fixtures/yaml/*.input.yml; do
      [ -f "$f" ] || continue
      for op in 0 1 2 3; do
        { printf "\\$(printf %03o "$op")\\001\\005hello"; cat "$f"; } > "$corpus/seed-$op-$(basename "$f")"
      done
    done ;;
  manifest) seed tests/fixtures/manifest/*.yml tests/fixtures/manifest/golden/*.yml infra/group_vars/all/_secrets_manifest.yml ;;
  changelog) seed tests/fixtures/changelog/*/input.md tests/fixtures/changelog/*/* CHANGELOG.md infra/CHANGELOG.md ;;
esac

# 8 MiB of stack, as the main thread of a real vaultrot process has.
"${fuzz[@]}" run -O "$target" "$corpus" -- \
  -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
  2>&1 | tee "fuzz/last-$target.log" | grep -E '^(#[0-9]+.*(DONE|pulse)|stat::|==[0-9]+==|SUMMARY|artifact)' | tail -n 12
