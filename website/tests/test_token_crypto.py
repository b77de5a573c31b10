"""Spotify tokens at rest: encrypted with the configured key, which production requires."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from website.checks import token_key_check
from website.errors import TokenDecryptionError
from website.token_crypto import token_decrypt, token_encrypt

ROOT = Path(__file__).resolve().parents[2]


def test_encrypted_value_is_not_the_plaintext_and_decrypts_back():
    stored = token_encrypt(plaintext="AQD-refresh-token-value")

    assert "AQD-refresh-token-value" not in stored
    assert token_decrypt(stored=stored) == "AQD-refresh-token-value"


def test_the_configured_key_is_used(settings):
    key = Fernet.generate_key()
    settings.MUSICFLOW_TOKEN_ENCRYPTION_KEY = key.decode()

    stored = token_encrypt(plaintext="secret")

    assert Fernet(key).decrypt(stored.removeprefix("fernet:").encode()) == b"secret"


def test_a_token_encrypted_with_another_key_is_refused(settings):
    settings.MUSICFLOW_TOKEN_ENCRYPTION_KEY = Fernet.generate_key().decode()
    stored = token_encrypt(plaintext="secret")
    settings.MUSICFLOW_TOKEN_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(TokenDecryptionError):
        token_decrypt(stored=stored)


def test_a_plaintext_value_is_never_handed_out_as_a_token():
    with pytest.raises(TokenDecryptionError):
        token_decrypt(stored="plain-token-someone-wrote-by-hand")


def test_an_invalid_key_fails_the_system_check(settings):
    settings.MUSICFLOW_TOKEN_ENCRYPTION_KEY = "not-a-fernet-key"

    assert [error.id for error in token_key_check()] == ["website.E001"]


def test_production_refuses_to_start_without_a_token_key():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MUSICFLOW_TOKEN_ENCRYPTION_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="musicflow_site.settings.production",
        DJANGO_SECRET_KEY="a-production-like-secret-key-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="musicflow.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "MUSICFLOW_TOKEN_ENCRYPTION_KEY" in result.stderr
