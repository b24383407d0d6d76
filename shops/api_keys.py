"""The shape of the API keys shops give their till software: ds_<8 hex>_<secret>."""

import hashlib
import re
import secrets

KEY_PREFIX = "ds_"


def generate() -> tuple[str, str]:
    """A new key and its public prefix (what the admin shows to tell keys apart)."""
    prefix = KEY_PREFIX + secrets.token_hex(4)
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


_KEY_SHAPE = re.compile(r"^(ds_[0-9a-f]{8})_[A-Za-z0-9_-]{20,}$")


def prefix_of(key: str) -> str:
    """The public part of a key ("" if it does not look like one of ours). The secret
    part may itself contain "_", so the prefix is read by its fixed shape."""
    match = _KEY_SHAPE.match(key)
    return match.group(1) if match else ""


def hash_of(key: str) -> str:
    # The keys are 256-bit random strings: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(key.encode()).hexdigest()
