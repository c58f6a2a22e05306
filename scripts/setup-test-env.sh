#!/usr/bin/env bash
# Installs what the test suite needs on a fresh machine, idempotently:
# ansible-core (pinned) in the project-local virtualenv .venv, ansible-lint
# (pinned) in a virtualenv of its own, .venv-lint, and the OS packages the
# end-to-end tests use (redis-server; groff and man-db for the man page test).
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

# ansible-lint pulls in an ansible-core of its choosing: kept out of .venv so
# the pinned one there stays the one the tests run (tests/recipes_lint.rs).
ANSIBLE_LINT_VERSION="26.10.1"
lint_installed=""
if [ -x .venv-lint/bin/ansible-lint ]; then
  lint_installed="$(.venv-lint/bin/ansible-lint --nocolor --version 2>/dev/null | head -n 1 || true)"
fi
if [[ "$lint_installed" != "ansible-lint ${ANSIBLE_LINT_VERSION} "* ]]; then
  echo "setup: installing ansible-lint ${ANSIBLE_LINT_VERSION} into .venv-lint" >&2
  python3 -m venv .venv-lint
  .venv-lint/bin/pip install --quiet --disable-pip-version-check \
    "ansible-lint==${ANSIBLE_LINT_VERSION}" "ansible-core==${ANSIBLE_CORE_VERSION}"
fi

if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi
