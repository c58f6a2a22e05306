#!/usr/bin/env bash
# vaultrot's main job on the example infra in this repo: which secrets are
# due (check-age, the CI gate), is everything consistent (lint), and what
# rotations are open (status). Builds vaultrot first; needs only cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
VAULTROT_BIN="$(scripts/build-release.sh --quiet)"
vaultrot() { "$VAULTROT_BIN" "$@"; }
cd infra
# The example's dates are chosen for 2026-11-23 so that every status shows;
# drop --now to see them age against today's date.
NOW="${VAULTROT_NOW:-2026-11-23}"

echo "\$ vaultrot check-age --now $NOW"
rc=0; vaultrot check-age --now "$NOW" || rc=$?
echo "(exit $rc: 0 = nothing overdue, 1 = something overdue, 2 = bad manifest)"
echo
echo "\$ vaultrot lint"
vaultrot lint
echo
echo "\$ vaultrot status"
VAULTROT_NOW="$NOW" vaultrot status
echo
echo "\$ vaultrot ls group_vars/all/vault.yml     # names only, never values"
vaultrot ls group_vars/all/vault.yml
