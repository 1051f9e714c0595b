"""Keyed pseudonyms (HMAC-SHA256) for the identifier boundary.

The secret comes from ICLSC_PSEUDO_KEY. It never appears in SQL: the warehouse receives the
two HMAC pads as session variables (see iclsc.dbt_plugin), and the SQL macro `pseudonymize`
finishes the computation. This module is the reference implementation the tests compare with.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys

KEY_ENV = "ICLSC_PSEUDO_KEY"
# Public, therefore useless for protection: only the synthetic sample may use it.
DEVELOPMENT_KEY = "iclsc-development-key-NOT-FOR-REAL-DATA"
BLOCK_SIZE = 64  # SHA-256 block size in bytes
MIN_KEY_BYTES = 16


class MissingKeyError(RuntimeError):
    pass


def key_from_env() -> bytes:
    value = os.environ.get(KEY_ENV, "")
    if not value:
        raise MissingKeyError(
            f"{KEY_ENV} is not set: staging cannot pseudonymise NAM and provider numbers. "
            "Set a secret of at least 16 bytes (./scripts/run sets the development key for "
            "the synthetic sample only)."
        )
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise MissingKeyError(f"{KEY_ENV} is shorter than {MIN_KEY_BYTES} bytes.")
    return key


def is_development_key() -> bool:
    return os.environ.get(KEY_ENV, "") == DEVELOPMENT_KEY


def warn_if_development_key(stream=None) -> None:
    stream = stream or sys.stderr
    if is_development_key():
        banner = "!" * 78
        print(
            f"{banner}\n!! DEVELOPMENT PSEUDONYMISATION KEY IN USE: the key is public, so the\n"
            f"!! pseudonyms of this run protect nothing. Synthetic data only; never real data.\n"
            f"{banner}",
            file=stream,
        )


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC pads (RFC 2104) of a key."""
    if len(key) > BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK_SIZE, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA256 of a UTF-8 value, hex encoded: what the SQL macro computes."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
