#!/usr/bin/env bash
# Benchmark (issue 3): rekey a generated tree of 50 whole-file vaults and
# 500 inline !vault values, in one run on this machine:
#   vaultrot rekey            (whole files + inline values, parallel)
#   ansible-vault rekey       (whole files only: it cannot rekey inline values)
#   ansible-vault-rotate      (PyPI; whole files + inline values)
# Prints median wall times (hyperfine) and vaultrot's distance from the
# ideal: derivations x one derivation / cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-env.sh >/dev/null
command -v hyperfine >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q hyperfine >/dev/null; }

VAULTROT="$(scripts/build-release.sh --quiet)"
ANSIBLE_VAULT="$PWD/.venv/bin/ansible-vault"
BENCH="$PWD/.bench/rekey"
ROTATE_VENV="$PWD/.bench/venv-rotate"
if [ ! -x "$ROTATE_VENV/bin/ansible-vault-rotate" ]; then
  python3 -m venv "$ROTATE_VENV"
  "$ROTATE_VENV/bin/pip" install --quiet --disable-pip-version-check "ansible-vault-rotate==2.1.0"
fi

rm -rf "$BENCH" && mkdir -p "$BENCH/base/group_vars" "$BENCH/base/host_vars"
printf 'old-bench-password' > "$BENCH/old.pw"
printf 'new-bench-password' > "$BENCH/new.pw"
for i in $(seq 1 50); do
  printf 'db_user: app%s\ndb_password: secret-%s\napi_token: token-%s\n' "$i" "$i" "$i" > "$BENCH/base/group_vars/vault$i.yml"
done
"$VAULTROT" encrypt --vault-password-file "$BENCH/old.pw" "$BENCH"/base/group_vars/vault*.yml 2>/dev/null
for f in $(seq 1 20); do
  names=(); values=()
  for v in $(seq 1 25); do names+=(-n "var_${f}_${v}"); values+=("value-${f}-${v}"); done
  { echo "# host $f"; echo "plain_setting: $f"; "$VAULTROT" encrypt_string --vault-password-file "$BENCH/old.pw" "${names[@]}" "${values[@]}" 2>/dev/null; } \
    > "$BENCH/base/host_vars/host$f.yml"
done
echo "tree: 50 whole-file vaults, 20 vars files with 25 inline values each (500)"

reset='rm -rf '"$BENCH"'/t && cp -r '"$BENCH"'/base '"$BENCH"'/t'
hyperfine --style basic --warmup 1 --runs 5 --export-json "$BENCH/results.json" \
  --prepare "$reset" -n "vaultrot rekey (550 blobs)" \
    "$VAULTROT rekey --vault-password-file $BENCH/old.pw --new-vault-password-file $BENCH/new.pw $BENCH/t" \
  --prepare "$reset" -n "ansible-vault rekey (50 whole files only)" \
    "$ANSIBLE_VAULT rekey --vault-password-file $BENCH/old.pw --new-vault-password-file $BENCH/new.pw $BENCH/t/group_vars/vault*.yml" \
  --prepare "$reset" -n "ansible-vault-rotate (550 blobs)" \
    "$ROTATE_VENV/bin/ansible-vault-rotate --old-vault-secret-source file://$BENCH/old.pw --new-vault-secret-source file://$BENCH/new.pw --file-glob-pattern '**/*.yml' --pwd $BENCH/t"

# Check vaultrot's result really opens with the new password, inline values included.
eval "$reset"
"$VAULTROT" rekey --vault-password-file "$BENCH/old.pw" --new-vault-password-file "$BENCH/new.pw" "$BENCH/t" 2>/dev/null
"$VAULTROT" get --vault-password-file "$BENCH/new.pw" "$BENCH/t/host_vars/host7.yml" var_7_3 | grep -qx 'value-7-3'
"$VAULTROT" get --vault-password-file "$BENCH/new.pw" "$BENCH/t/group_vars/vault9.yml" db_password | grep -qx 'secret-9'
echo "checked: the rekeyed tree opens with the new password"

python3 - "$BENCH/results.json" <<'PY'
import json, sys, os
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
names = list(r)
ours = r[names[0]]["median"]
for n in names[1:]:
    print(f"{n}: {r[n]['median']:.3f} s median -> vaultrot is {r[n]['median']/ours:.1f}x faster")
print(f"vaultrot: {ours:.3f} s median")
PY
