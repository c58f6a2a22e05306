#!/usr/bin/env bash
# The whole test suite, from a fresh machine: sets up its own tools, then
# formatting, lints, unit and integration tests (real ansible-vault,
# ansible-playbook and redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-test-env.sh
export VAULTROT_ANSIBLE_BIN="$PWD/.venv/bin"

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --no-fail-fast
