"""Secrets kept in the database (IMAP passwords) are stored encrypted with Fernet
(AES-128-CBC with an HMAC-SHA256 tag, from the `cryptography` package).

Keys: HELPDESK_FIELD_KEY, a comma-separated list of Fernet keys (`python -c "from
cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`): the first one
encrypts, every one decrypts, so a key is rotated by putting the new one first. Without it, a
key is derived from SECRET_KEY (HKDF-SHA256), and that derived key always decrypts too, so
setting HELPDESK_FIELD_KEY later keeps old values readable (they are re-encrypted with it the
next time they are saved).

A value no key decrypts (SECRET_KEY changed, a key dropped) reads as an `UndecryptableSecret`:
an empty string that remembers its ciphertext and writes it back unchanged, so saving the row
never destroys a secret that the right key could still open; callers say what to do
(tickets.imap_polling asks for the password again).
"""

import base64
from functools import lru_cache

from django.conf import settings
from django.db import models


class UndecryptableSecret(str):
    """A stored secret that no configured key decrypts: reads as "", saves back unchanged."""

    ciphertext: str

    def __new__(cls, ciphertext: str) -> "UndecryptableSecret":
        value = super().__new__(cls, "")
        value.ciphertext = ciphertext
        return value


@lru_cache(maxsize=4)
def _fernet(secret_key: str, field_keys: str) -> object:
    from cryptography.fernet import Fernet, MultiFernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk field encryption").derive(
        secret_key.encode()
    )
    keys = [Fernet(k.strip().encode()) for k in field_keys.split(",") if k.strip()]
    return MultiFernet([*keys, Fernet(base64.urlsafe_b64encode(derived))])


def _keys() -> object:
    return _fernet(settings.SECRET_KEY, getattr(settings, "HELPDESK_FIELD_KEY", "") or "")


def encrypt(value: str) -> str:
    """Return the Fernet token of `value` under the current key."""
    return _keys().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Return the plain text of a token; raise ValueError if no configured key opens it."""
    from cryptography.fernet import InvalidToken

    try:
        return _keys().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise ValueError("no configured key decrypts this value") from exc


def is_encrypted(value: str) -> bool:
    """Return whether `value` is a token one of the configured keys opens."""
    try:
        decrypt(value)
    except ValueError:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; Python code sees the plain text. An empty value
    is stored empty. Values cannot be filtered on (each encryption differs)."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if not value:
            return value
        try:
            return decrypt(value)
        except ValueError:
            return UndecryptableSecret(value)

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        if isinstance(value, UndecryptableSecret):
            return value.ciphertext
        if not value:
            return value
        return encrypt(str(value))
