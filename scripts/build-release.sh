#!/usr/bin/env bash
# Builds the release binary and prints its path. `.cargo/config.toml` names
# this machine's own target (so that glibc is linked statically), which puts
# the binary in target/<host tuple>/release/ instead of target/release/.
#
#   VR="$(scripts/build-release.sh)"            # build output on stderr
#   scripts/build-release.sh --quiet
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin vaultrot "$@" >&2
host="$(rustc -vV | sed -n 's/^host: //p')"
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
echo "$target_dir/$host/release/vaultrot"
