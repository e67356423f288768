"""Keyed-hash pseudonyms for identifiers in record-level pilot files (DESIGN.md section 6).

pseudonym = first 16 hex characters of HMAC-SHA256(key, "<namespace>:<identifier>"), so the
same person or school gets the same pseudonym in every file and year, nobody without the key
can recompute it from a known identifier, and participant and school ids never collide.

The key for real data comes from the environment variable NPQ_PSEUDONYMISATION_KEY and is never
written to the repository. Synthetic data use `SYNTHETIC_KEY`, a fixed and deliberately public
value: it protects nothing and must never be used for real records.
"""

import hashlib
import hmac
import os

KEY_ENV_VAR = "NPQ_PSEUDONYMISATION_KEY"
SYNTHETIC_KEY = b"SYNTHETIC-DATA-ONLY--public-not-secret--never-use-for-real-records"


def pseudonymisation_key() -> bytes:
    """The key for real data, from NPQ_PSEUDONYMISATION_KEY (at least 32 characters)."""
    value = os.environ.get(KEY_ENV_VAR, "")
    if len(value) < 32:
        raise RuntimeError(
            f"set {KEY_ENV_VAR} to a secret of at least 32 characters before pseudonymising "
            "real records (it must not be committed)"
        )
    if value.encode() == SYNTHETIC_KEY:
        raise RuntimeError("the synthetic key is public: do not use it for real records")
    return value.encode()


def pseudonymise(identifier: str | int, key: bytes, namespace: str) -> str:
    """16-hex-character keyed hash of `identifier` within `namespace` (e.g. "participant")."""
    message = f"{namespace}:{identifier}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]
