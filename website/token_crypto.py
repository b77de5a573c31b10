"""Encryption at rest for the OAuth tokens Spotify hands us.

A refresh token is a long-lived credential to someone's Spotify account, so the
database only ever holds it encrypted (Fernet: AES-128-CBC + HMAC-SHA256). The key
comes from MUSICFLOW_TOKEN_ENCRYPTION_KEY; production settings require it, local and
test settings fall back to a key derived from SECRET_KEY so `make run` needs no setup.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from website.errors import TokenDecryptionError

# Marks a stored value as ours, so encrypting twice (social-auth re-saves extra_data
# on every refresh) is a no-op and a plaintext value is never mistaken for a token.
PREFIX = "fernet:"


def token_key_derived(*, secret_key: str) -> bytes:
    digest = hashlib.sha256(f"musicflow-token-encryption:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> Fernet:
    key = settings.MUSICFLOW_TOKEN_ENCRYPTION_KEY
    if not key:
        return Fernet(token_key_derived(secret_key=settings.SECRET_KEY))
    return Fernet(key.encode() if isinstance(key, str) else key)


def token_is_encrypted(*, value: str) -> bool:
    return value.startswith(PREFIX)


def token_encrypt(*, plaintext: str) -> str:
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def token_decrypt(*, stored: str) -> str:
    if not token_is_encrypted(value=stored):
        raise TokenDecryptionError("The stored token is not encrypted; refusing to use it.")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError(
            "The stored token cannot be decrypted with MUSICFLOW_TOKEN_ENCRYPTION_KEY."
        ) from exc
