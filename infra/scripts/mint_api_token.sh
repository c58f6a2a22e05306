#!/bin/sh
# Mints a new API token and prints it on stdout (vaultrot's generate.command).
# DEMO: a real mint script would call the API's admin endpoint instead.
set -eu
printf 'ak_live_%s\n' "$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40)"
