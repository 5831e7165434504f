"""The survey link's token: 32 random bytes, signed so a tampered link is refused before any
lookup, stored only as a SHA-256 of the random part."""

import hashlib
import secrets

from django.core import signing

SALT = "surveys.invitation"


def new_token() -> tuple[str, str]:
    """Return (the signed token for the link, the hash to store)."""
    raw = secrets.token_urlsafe(32)
    return signing.Signer(salt=SALT).sign(raw), token_hash(raw)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def hash_from_link(token: str) -> str | None:
    """Return the stored hash for a link's token, None when the signature does not hold."""
    try:
        raw = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return token_hash(raw)
