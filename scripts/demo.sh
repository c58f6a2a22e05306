#!/usr/bin/env bash
# A rolling rotation of a real credential, end to end, on this machine:
# the Redis ACL user `app` of the example infra gets a new password through
# vaultrot's `_new` dual window (start → both passwords work → finish → only
# the new one works), driven by the real ansible-playbook.
#
#   scripts/setup-test-env.sh && cargo build --release && scripts/demo.sh
#
# Works on a copy of infra/ in a temp dir, with a throwaway Redis on a free
# loopback port (scripts/redis-test-server.sh); both are removed on exit
# (KEEP=1 keeps the directory). Secret values are never printed: the demo
# only says which password Redis accepts.
#
# Environment: VAULTROT (default: the release build, made by
# scripts/build-release.sh), VAULTROT_ANSIBLE_BIN
# (the directory holding ansible-playbook, default .venv/bin).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
vaultrot=${VAULTROT:-$("$repo/scripts/build-release.sh" --quiet)}
ansible_bin=${VAULTROT_ANSIBLE_BIN:-$repo/.venv/bin}

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
else
    bold='' dim='' reset=''
fi
step=0
say() { step=$((step + 1)); printf '\n%s==> %d. %s%s\n' "$bold" "$step" "$*" "$reset"; }
note() { printf '%s    %s%s\n' "$dim" "$*" "$reset"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$reset"; "$@"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$vaultrot" ] || die "$vaultrot not found: run \`cargo build --release\` (or set VAULTROT)"
[ -x "$ansible_bin/ansible-playbook" ] || die "$ansible_bin/ansible-playbook not found: run scripts/setup-test-env.sh (or set VAULTROT_ANSIBLE_BIN)"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    die "redis-server/redis-cli not found: run scripts/install-test-deps.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/vaultrot-demo.XXXXXX")
mkdir "$work/bin"
ln -s "$vaultrot" "$work/bin/vaultrot"
export PATH="$work/bin:$ansible_bin:$PATH"
cleanup() {
    "$repo/scripts/redis-test-server.sh" stop "$work/redis" >/dev/null 2>&1 || true
    if [ "${KEEP:-}" = 1 ]; then
        printf '\ndemo: kept %s\n' "$work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port on loopback: bind port 0, read what the kernel chose.
port=$("$ansible_bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# `AUTH app <password>` with the password on stdin; prints accepted/refused.
auth() {
    local answer
    answer=$(printf '%s' "$2" | redis-cli -h 127.0.0.1 -p "$port" -x AUTH app 2>&1 || true)
    case $answer in
        OK) printf '    %-14s accepted\n' "$1" ;;
        WRONGPASS*) printf '    %-14s refused (WRONGPASS)\n' "$1" ;;
        *) die "unexpected answer from Redis: $answer" ;;
    esac
}

say "Copy the example infra to $work/infra and start a throwaway Redis on 127.0.0.1:$port"
cp -R "$repo/infra" "$work/infra"
# Beside it as in the repository: ansible.cfg finds the redis_acl role in ../playbooks/roles.
cp -R "$repo/playbooks" "$work/playbooks"
cd "$work/infra"
# The playbooks read redis_port; this host's value points them at our Redis.
mkdir -p inventory/host_vars
printf 'redis_port: %s\n' "$port" >inventory/host_vars/localhost.yml
"$repo/scripts/redis-test-server.sh" start "$work/redis" "$port"
cp group_vars/all/_secrets_manifest.yml "$work/manifest.before.yml"
cp CHANGELOG.md "$work/CHANGELOG.before.md"
note "vault: group_vars/all/vault.yml (password: DEMO-ONLY-vault-password.txt via ansible.cfg)"
note "manifest: group_vars/all/_secrets_manifest.yml; vault_redis_password deploys"
note "playbooks/deploy_redis.yml and verifies with playbooks/verify_redis.yml"

say "Plain deploy of the current password (ansible-playbook), then vaultrot verify"
printf '%s$ %s%s\n' "$bold" "ansible-playbook playbooks/deploy_redis.yml" "$reset"
ansible-playbook playbooks/deploy_redis.yml | tail -n 2
run vaultrot verify vault_redis_password
old=$(vaultrot get group_vars/all/vault.yml vault_redis_password)
auth "old password" "$old"

say "vaultrot start --dry-run: the plan (files, keys, each command line); nothing written or run"
run vaultrot start vault_redis_password --dry-run

say "vaultrot start: new value as vault_redis_password_new, deploy with vaultrot_phase=start, verify"
run vaultrot start vault_redis_password
new=$(vaultrot get group_vars/all/vault.yml vault_redis_password_new)
note "the vault now holds both keys (names only):"
run vaultrot ls group_vars/all/vault.yml

say "The dual window: Redis accepts BOTH passwords; clients already use the new one"
auth "old password" "$old"
auth "new password" "$new"
if grep -qxF "password $new" .deploy/redis_client.conf; then
    note "deployed client config (.deploy/redis_client.conf): the new password"
else
    die "the client config does not hold the new password"
fi
run vaultrot status

say "vaultrot finish: the policy's min_window (1d) refuses an early finish..."
run vaultrot finish vault_redis_password || note "(refused, as it should: exit $?)"

say "...--force overrides it: promote (old value kept as _previous), deploy with vaultrot_phase=finish, verify, revoke, drop _previous, record"
run vaultrot finish vault_redis_password --force

say "After finish: only the NEW password works"
auth "old password" "$old"
auth "new password" "$new"
[ "$(vaultrot get group_vars/all/vault.yml vault_redis_password)" = "$new" ] ||
    die "the vault does not hold the new value under vault_redis_password"
note "the vault holds the new value under vault_redis_password, and no _new or _previous key:"
run vaultrot ls group_vars/all/vault.yml
run vaultrot status
note "(vault_nats_password's rotation was already open in the example infra)"

say "The audit trail: CHANGELOG.md and the manifest (names and ids, never values)"
run diff -u --label CHANGELOG.md.before --label CHANGELOG.md "$work/CHANGELOG.before.md" CHANGELOG.md || true
run diff -u --label _secrets_manifest.yml.before --label _secrets_manifest.yml \
    "$work/manifest.before.yml" group_vars/all/_secrets_manifest.yml || true

say "Every vault write kept the previous ciphertext"
run vaultrot restore --list group_vars/all/vault.yml

printf '\n%sdone:%s vault_redis_password rotated; old and new were both accepted until finish.\n' "$bold" "$reset"
