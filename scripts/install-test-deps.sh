#!/bin/sh
# Installs the OS packages the end-to-end tests need: throwaway Redis,
# PostgreSQL and NATS servers on loopback (redis-server, redis-cli; postgresql
# for initdb/postgres and psql; nats-server), and groff and man-db to render
# the man page. Idempotent: does nothing when present.
#
# Works as root, or through sudo when it is available. Debian/Ubuntu (apt-get)
# only; on anything else it says what to install and fails.
set -eu

say() { printf 'install-test-deps: %s\n' "$*" >&2; }

packages=""
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
    packages="redis-server redis-tools"
# initdb and postgres live in /usr/lib/postgresql/<version>/bin, off PATH.
pg_found() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; }
pg_found || packages="$packages postgresql"
command -v nats-server >/dev/null 2>&1 || packages="$packages nats-server"
command -v groff >/dev/null 2>&1 || packages="$packages groff"
command -v man >/dev/null 2>&1 || packages="$packages man-db"
# `script` (util-linux) gives the terminal tests a pty.
command -v script >/dev/null 2>&1 || packages="$packages bsdutils"
if [ -z "$packages" ]; then
    say "redis-server, redis-cli, postgresql, nats-server, groff and man already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    say "apt-get not found: install redis-server and redis-cli (Redis >= 6, for ACLs), postgresql (server and psql), nats-server, groff and man-db with your package manager"
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
    as_root() { sudo "$@"; }
else
    say "not root and sudo is not available: run as root, or: apt-get install -y $packages"
    exit 1
fi

say "installing $packages with apt-get"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# --no-install-recommends: no systemd units or extras a test run does not need.
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    $packages

# The packages may start system-wide instances (Redis on 6379, PostgreSQL on
# 5432) where an init system runs; the tests use their own instances on other
# ports, so they are left alone.
command -v redis-server >/dev/null 2>&1 || { say "redis-server still missing after apt-get install"; exit 1; }
pg_found || { say "postgresql (initdb, psql) still missing after apt-get install"; exit 1; }
command -v nats-server >/dev/null 2>&1 || { say "nats-server still missing after apt-get install"; exit 1; }
command -v groff >/dev/null 2>&1 || { say "groff still missing after apt-get install"; exit 1; }
command -v man >/dev/null 2>&1 || { say "man still missing after apt-get install"; exit 1; }
say "installed $(redis-server --version)"
