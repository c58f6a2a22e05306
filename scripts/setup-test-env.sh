#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine, idempotently:
# ansible-core (pinned) in the project-local virtualenv .venv, and the OS
# packages the end-to-end tests use (redis-server; groff and man-db for the
# man page test).
set -euo pipefail
cd "$(dirname "$0")/.."

ANSIBLE_CORE_VERSION="2.19.14"
installed=""
if [ -x .venv/bin/ansible-vault ]; then
  installed="$(.venv/bin/ansible-vault --version 2>/dev/null | head -n 1 || true)"
fi
if [[ "$installed" != *"core ${ANSIBLE_CORE_VERSION}]"* ]]; then
  echo "setup: installing ansible-core ${ANSIBLE_CORE_VERSION} into .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "ansible-core==${ANSIBLE_CORE_VERSION}"
fi

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi
