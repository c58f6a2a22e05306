"""Shared by the mint scripts: read a credential from the vault, call an API.

The credential comes from `vaultrot get` (the vault password from the infra's
ansible.cfg, as for every vaultrot command), never from argv or the
environment. Errors name the URL and the HTTP status, never a value.
"""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request


def fail(script, message):
    sys.stderr.write(f"{script}: {message}\n")
    sys.exit(1)


def vault_value(script, vault, name):
    """The value of vault variable `name` in `vault` (a path from the infra root)."""
    program = os.environ.get("VAULTROT", "vaultrot")
    try:
        out = subprocess.run(
            [program, "get", vault, name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            check=False,
        )
    except FileNotFoundError:
        fail(script, f"`{program}` not found: put vaultrot on PATH or set VAULTROT")
    if out.returncode != 0:
        reason = out.stderr.decode(errors="replace").strip().splitlines()
        fail(script, f"vaultrot get {vault} {name} failed: {reason[-1] if reason else out.returncode}")
    value = out.stdout.decode().rstrip("\r\n")
    if not value:
        fail(script, f"{name} is empty in {vault}")
    return value


def call(script, method, url, headers, body=None, timeout=30):
    """Sends `body` as JSON; returns (status, decoded JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in headers.items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    except (urllib.error.URLError, OSError) as err:
        fail(script, f"{method} {url}: {getattr(err, 'reason', err)}")
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None
