#!/bin/sh
# A vaultrot notify step that posts the event to a Slack channel.
#
#   owners:
#     platform-team:
#       notify:
#         - run: scripts/notify_slack.sh
#
# vaultrot runs it from the infra root with VAULTROT_EVENT, VAULTROT_SECRETS,
# VAULTROT_ROTATION_ID, VAULTROT_OWNER and VAULTROT_SUMMARY set (names and a
# one-line summary, never a value). The incoming-webhook URL is a secret
# itself: it is read from the vault with `vaultrot get`, never taken from
# argv or the environment (both are visible to other users of the machine).
#
# Settings (environment, none of them secret):
#   SLACK_WEBHOOK_VAULT  vault file holding the URL (default group_vars/all/vault.yml)
#   SLACK_WEBHOOK_KEY    its key (default vault_slack_notify_webhook_url)
set -eu

vault=${SLACK_WEBHOOK_VAULT:-group_vars/all/vault.yml}
key=${SLACK_WEBHOOK_KEY:-vault_slack_notify_webhook_url}

case "${VAULTROT_EVENT:-}" in
  failed|drift|overdue|aborted|rolled_back) icon=":rotating_light:" ;;
  awaiting|due_soon) icon=":hourglass:" ;;
  *) icon=":key:" ;;
esac
text="$icon vaultrot ${VAULTROT_EVENT:-event}${VAULTROT_OWNER:+ (owner ${VAULTROT_OWNER})}: ${VAULTROT_SUMMARY:-}"

# JSON-escape the text: backslashes, quotes, control characters.
json=$(printf '%s' "$text" | python3 -c 'import json,sys; print(json.dumps({"text": sys.stdin.read()}))')

# The URL goes to curl through a config file on a pipe (stdin), so it
# appears in no argv.
vaultrot get "$vault" "$key" | {
  IFS= read -r url
  printf 'url = "%s"\n' "$url"
} | curl --silent --show-error --fail --max-time 20 \
  --header 'Content-Type: application/json' \
  --data "$json" \
  --config -
