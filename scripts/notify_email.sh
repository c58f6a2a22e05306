#!/bin/sh
# A vaultrot notify step that mails the event to the owning team.
#
#   owners:
#     platform-team:
#       notify:
#         - run: scripts/notify_email.sh
#
# vaultrot runs it from the infra root with VAULTROT_EVENT, VAULTROT_SECRETS,
# VAULTROT_ROTATION_ID, VAULTROT_OWNER and VAULTROT_SUMMARY set (names and a
# one-line summary, never a value). The SMTP password is read from the vault
# with `vaultrot get`, never taken from argv or the environment.
#
# Settings (environment, none of them secret):
#   NOTIFY_EMAIL_TO     recipient (required), e.g. platform-team@example.org
#   NOTIFY_EMAIL_FROM   sender (default vaultrot@$(hostname))
#   SMTP_URL            e.g. smtps://smtp.example.org:465 (required)
#   SMTP_USER           login name (required)
#   SMTP_PASSWORD_VAULT vault file holding the password (default group_vars/all/vault.yml)
#   SMTP_PASSWORD_KEY   its key (default vault_smtp_notify_password)
set -eu

: "${NOTIFY_EMAIL_TO:?set NOTIFY_EMAIL_TO}"
: "${SMTP_URL:?set SMTP_URL}"
: "${SMTP_USER:?set SMTP_USER}"
from=${NOTIFY_EMAIL_FROM:-vaultrot@$(hostname)}
vault=${SMTP_PASSWORD_VAULT:-group_vars/all/vault.yml}
key=${SMTP_PASSWORD_KEY:-vault_smtp_notify_password}

message=$(mktemp)
trap 'rm -f "$message"' EXIT
cat > "$message" <<MAIL
From: $from
To: $NOTIFY_EMAIL_TO
Subject: [vaultrot] ${VAULTROT_EVENT:-event}: ${VAULTROT_SECRETS:-}

${VAULTROT_SUMMARY:-}

Event:    ${VAULTROT_EVENT:-}
Secrets:  ${VAULTROT_SECRETS:-}
Rotation: ${VAULTROT_ROTATION_ID:-none}
Owner:    ${VAULTROT_OWNER:-none}
MAIL

# The login goes to curl through a config file on a pipe (stdin), so the
# password appears in no argv.
vaultrot get "$vault" "$key" | {
  IFS= read -r password
  printf 'user = "%s:%s"\n' "$SMTP_USER" "$password"
} | curl --silent --show-error --fail --max-time 30 --ssl-reqd \
  --url "$SMTP_URL" \
  --mail-from "$from" \
  --mail-rcpt "$NOTIFY_EMAIL_TO" \
  --upload-file "$message" \
  --config -
