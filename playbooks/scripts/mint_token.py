#!/usr/bin/env python3
"""Mints an API token through the vendor's admin API; prints `ID:TOKEN`.

For `generate: {command: ...}` in the vaultrot manifest:
  generate:
    command: playbooks/scripts/mint_token.py --base-url https://api.example.com --admin-var vault_example_admin_token --name vault_example_api_token

POSTs {"name": NAME} to BASE_URL + PATH with `Authorization: Bearer <admin
credential>` and reads the new token's id and secret from the JSON answer.
The value stored is `ID:TOKEN`, so the revoke step can delete the previous
token by its id; clients get the part after the first `:`.

Options (all but --base-url and --admin-var have defaults):
  --base-url URL       the vendor API
  --admin-var NAME     vault variable with the admin credential (read with `vaultrot get`)
  --vault FILE         vault file holding it (default group_vars/all/vault.yml)
  --name NAME          the token's name at the vendor (default vaultrot); the
                       api_token role prunes tokens of this name after an abort
  --path PATH          create endpoint (default /v1/tokens)
  --id-field F, --token-field F   fields of the answer (default id, token)
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mintlib  # noqa: E402

SCRIPT = "mint_token"


def main():
    parser = argparse.ArgumentParser(prog=SCRIPT, description="Mint an API token; prints ID:TOKEN.")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--admin-var", required=True)
    parser.add_argument("--vault", default="group_vars/all/vault.yml")
    parser.add_argument("--name", default="vaultrot")
    parser.add_argument("--path", default="/v1/tokens")
    parser.add_argument("--id-field", default="id")
    parser.add_argument("--token-field", default="token")
    args = parser.parse_args()

    admin = mintlib.vault_value(SCRIPT, args.vault, args.admin_var)
    url = args.base_url.rstrip("/") + args.path
    status, answer = mintlib.call(
        SCRIPT, "POST", url, {"Authorization": f"Bearer {admin}"}, {"name": args.name}
    )
    if status not in (200, 201) or not isinstance(answer, dict):
        mintlib.fail(SCRIPT, f"POST {url} answered HTTP {status}")
    token_id, token = answer.get(args.id_field), answer.get(args.token_field)
    if not token_id or not token or ":" in str(token_id):
        mintlib.fail(SCRIPT, f"POST {url}: no `{args.id_field}` (without `:`) and `{args.token_field}` in the answer")
    sys.stdout.write(f"{token_id}:{token}\n")


if __name__ == "__main__":
    main()
