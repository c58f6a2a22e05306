"""PostgreSQL password verifiers for the postgresql_login role.

The role never sends a plaintext password to the server: it sends a
SCRAM-SHA-256 verifier (what PostgreSQL stores in pg_authid.rolpassword), so
the password cannot end up in the server log (log_statement = ddl), and it
compares verifiers to tell which login role holds which password, so an
unchanged password is not rewritten. Passwords are taken as UTF-8 without
SASLprep normalisation, which is the identity for ASCII passwords (every
vaultrot `generate` charset).
"""

import base64
import hashlib
import hmac
import os

ITERATIONS = 4096  # PostgreSQL's default scram_iterations


def _keys(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return stored_key, server_key


def scram_verifier(password):
    """A new SCRAM-SHA-256 verifier of `password`, with a random salt."""
    salt = os.urandom(16)
    stored_key, server_key = _keys(str(password), salt, ITERATIONS)
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (ITERATIONS, b64(salt), b64(stored_key), b64(server_key))


def password_matches(verifier, password, rolname=""):
    """Whether pg_authid.rolpassword `verifier` (SCRAM or md5) accepts `password`."""
    verifier = str(verifier or "")
    password = str(password or "")
    if not verifier or not password:
        return False
    if verifier.startswith("SCRAM-SHA-256$"):
        try:
            head, keys = verifier[len("SCRAM-SHA-256$"):].split("$", 1)
            iterations, salt = head.split(":", 1)
            stored, server = keys.split(":", 1)
            want = (base64.b64decode(stored), base64.b64decode(server))
            got = _keys(password, base64.b64decode(salt), int(iterations))
        except ValueError:
            return False
        return hmac.compare_digest(got[0], want[0]) and hmac.compare_digest(got[1], want[1])
    if verifier.startswith("md5"):
        digest = "md5" + hashlib.md5((password + str(rolname)).encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, verifier)
    return False


class FilterModule:
    """scram_verifier and password_matches filters."""

    def filters(self):
        return {
            "scram_verifier": scram_verifier,
            "password_matches": password_matches,
        }
