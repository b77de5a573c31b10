"""Writes the website owns: Spotify tokens kept fresh, and a user leaving with all their data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import Storage
from django.db import transaction
from rest_framework.authtoken.models import Token
from social_django.models import UserSocialAuth
from social_django.utils import load_strategy

from website.errors import SpotifyNotLinked
from website.token_crypto import token_decrypt

logger = logging.getLogger(__name__)


def _needs_refresh(*, social: UserSocialAuth) -> bool:
    remaining = social.expiration_timedelta()
    if remaining is None:
        return True
    return remaining.total_seconds() < settings.MUSICFLOW_SPOTIFY_TOKEN_REFRESH_MARGIN


def spotify_access_token_get(*, user: AbstractBaseUser) -> str:
    """A Spotify access token for `user`, refreshed first when it is about to expire.

    The row is locked while refreshing, so two workers never both spend the same
    refresh token (Spotify may rotate it, and the loser would store a dead one).
    """
    with transaction.atomic():
        social = (
            UserSocialAuth.objects.select_for_update()
            .filter(user=user, provider="spotify")
            .first()
        )
        if social is None:
            raise SpotifyNotLinked(f"User {user.pk} has not logged in with Spotify.")
        if _needs_refresh(social=social):
            social.refresh_token(load_strategy())
        return token_decrypt(stored=social.extra_data["access_token"])


@dataclass(frozen=True)
class AccountDeletion:
    username: str
    files_deleted: int


def _stored_files(*, user: AbstractBaseUser) -> list[tuple[Storage, str]]:
    """Files that belong to the user, each with the storage it lives in."""
    from predictor.models import ModelVersion
    from streams.models import HistoryImport

    uploads = HistoryImport._meta.get_field("upload").storage
    artifacts = ModelVersion._meta.get_field("artifact").storage
    files = [
        (uploads, name)
        for name in HistoryImport.objects.filter(owner=user).values_list("upload", flat=True)
    ]
    files += [
        (artifacts, name)
        for name in ModelVersion.objects.filter(owner=user).values_list("artifact", flat=True)
    ]
    return [(storage, name) for storage, name in files if name]


def _storage_delete(*, files: list[tuple[Storage, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone; a file that cannot be removed now is only logged.
            logger.warning("Could not delete stored file %s", name)


def account_delete(*, user: AbstractBaseUser) -> AccountDeletion:
    """Delete the user and everything they own, in one transaction.

    Plays, imports, saved tracks, model versions, the Spotify link and the API token
    go with the user through the database's cascades; stored files are removed once the
    delete has committed, so a rollback never leaves rows pointing at missing files.
    """
    username = user.get_username()
    with transaction.atomic():
        files = _stored_files(user=user)
        user.delete()
        transaction.on_commit(lambda: _storage_delete(files=files))
    return AccountDeletion(username=username, files_deleted=len(files))


def api_token_rotate(*, user: AbstractBaseUser) -> Token:
    """Replace the user's API token: the old one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)
