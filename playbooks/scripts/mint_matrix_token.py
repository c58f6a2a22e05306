#!/usr/bin/env python3
"""Logs a Matrix bot in with its password; prints the new access token.

For `generate: {command: ...}` of a token `derived_from` the bot's password
(vaultrot pipes the password on stdin, and mints a new token whenever the
password rotates):
  vault_matrix_bot_token:
    derived_from: vault_matrix_bot_password
    generate:
      command: playbooks/scripts/mint_matrix_token.py --homeserver https://matrix.example.org --user @bot:example.org --password-stdin
Without derived_from, `--password-var NAME` reads it with `vaultrot get`.

POSTs an m.login.password login to HOMESERVER/_matrix/client/v3/login. Each
login is a new device with its own token; the matrix_bot role's revoke step
logs the previous token out.

Options:
  --homeserver URL     client-server API base URL
  --user ID            the bot's user id (@bot:example.org) or localpart
  --password-stdin     read the password from the first line of stdin (derived_from)
  --password-var NAME  or: vault variable with the bot's password (read with `vaultrot get`)
  --vault FILE         vault file holding it (default group_vars/all/vault.yml)
  --device-name NAME   display name of the new device (default vaultrot)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mintlib  # noqa: E402

SCRIPT = "mint_matrix_token"


def main():
    parser = argparse.ArgumentParser(prog=SCRIPT, description="Log a Matrix bot in; prints its access token.")
    parser.add_argument("--homeserver", required=True)
    parser.add_argument("--user", required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-stdin", action="store_true")
    source.add_argument("--password-var")
    parser.add_argument("--vault", default="group_vars/all/vault.yml")
    parser.add_argument("--device-name", default="vaultrot")
    args = parser.parse_args()

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            mintlib.fail(SCRIPT, "no password on stdin (is the secret `derived_from` the password?)")
    else:
        password = mintlib.vault_value(SCRIPT, args.vault, args.password_var)
    url = args.homeserver.rstrip("/") + "/_matrix/client/v3/login"
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": args.user},
        "password": password,
        "initial_device_display_name": args.device_name,
    }
    status, answer = mintlib.call(SCRIPT, "POST", url, {}, body)
    if status != 200 or not isinstance(answer, dict) or not answer.get("access_token"):
        errcode = answer.get("errcode", "") if isinstance(answer, dict) else ""
        mintlib.fail(SCRIPT, f"POST {url} answered HTTP {status} {errcode}".rstrip())
    sys.stdout.write(answer["access_token"] + "\n")


if __name__ == "__main__":
    main()
