#!/usr/bin/env bash
# CI gate on secret ages: `vaultrot check-age` as GitHub workflow annotations
# (pointing at each secret's line in the manifest), plus a Markdown table in
# the job summary when $GITHUB_STEP_SUMMARY is set.
#
# Exit code is check-age's: 0 nothing at or past the fail level, 1 some secret
# is, 2 usage or manifest error. Arguments go to check-age, e.g.
#   scripts/check_secrets_age.sh --fail-on due_soon --manifest infra/group_vars/all/_secrets_manifest.yml
# Set VAULTROT to use another binary than the `vaultrot` on PATH.
set -uo pipefail

vaultrot="${VAULTROT:-vaultrot}"

"$vaultrot" check-age --format github "$@"
status=$?

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "$status" -ne 2 ]; then
    "$vaultrot" check-age --format markdown "$@" >>"$GITHUB_STEP_SUMMARY" || true
fi

exit "$status"
