"""JSON bodies in the wire formats of Spotify's Web API and ReccoBeats."""

from __future__ import annotations

from typing import Any

from tests_support.fakes.catalog import FakeArtist, FakeTrack

OPEN_SPOTIFY = "https://open.spotify.com"


def spotify_error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status, "message": message}}


def _artist(artist: FakeArtist, api_url: str) -> dict[str, Any]:
    return {
        "external_urls": {"spotify": f"{OPEN_SPOTIFY}/artist/{artist.id}"},
        "href": f"{api_url}artists/{artist.id}",
        "id": artist.id,
        "name": artist.name,
        "type": "artist",
        "uri": f"spotify:artist:{artist.id}",
    }


def _album(track: FakeTrack, api_url: str, *, extended: bool) -> dict[str, Any]:
    album: dict[str, Any] = {
        "album_type": "album",
        "total_tracks": 10,
        "external_urls": {"spotify": f"{OPEN_SPOTIFY}/album/{track.album_id}"},
        "href": f"{api_url}albums/{track.album_id}",
        "id": track.album_id,
        "images": [],
        "name": track.album_name,
        "release_date": track.release_date,
        "release_date_precision": track.release_date_precision,
        "type": "album",
        "uri": f"spotify:album:{track.album_id}",
        "artists": [_artist(artist, api_url) for artist in track.artists[:1]],
    }
    if extended:
        album["available_markets"] = list(track.available_markets)
    return album


def spotify_track(track: FakeTrack, api_url: str, *, extended: bool) -> dict[str, Any]:
    """A full track object; Development-mode apps get no popularity, markets or linked_from."""
    body: dict[str, Any] = {
        "album": _album(track, api_url, extended=extended),
        "artists": [_artist(artist, api_url) for artist in track.artists],
        "disc_number": 1,
        "duration_ms": track.duration_ms,
        "explicit": track.explicit,
        "external_ids": {"isrc": track.isrc} if track.isrc else {},
        "external_urls": {"spotify": f"{OPEN_SPOTIFY}/track/{track.id}"},
        "href": f"{api_url}tracks/{track.id}",
        "id": track.id,
        "is_local": False,
        "name": track.name,
        "preview_url": None,
        "track_number": 1,
        "type": "track",
        "uri": track.uri,
    }
    if extended:
        body["popularity"] = track.popularity
        body["available_markets"] = list(track.available_markets)
    return body


def spotify_audio_features(track: FakeTrack, api_url: str) -> dict[str, Any] | None:
    if track.features is None:
        return None
    return {
        **track.features,
        "type": "audio_features",
        "id": track.id,
        "uri": track.uri,
        "track_href": f"{api_url}tracks/{track.id}",
        "analysis_url": f"{api_url}audio-analysis/{track.id}",
        "duration_ms": track.duration_ms,
    }


def reccobeats_features(track: FakeTrack) -> dict[str, Any] | None:
    """ReccoBeats' item: their own uuid, the Spotify link as href, no time_signature/duration."""
    if not track.in_reccobeats or track.features is None:
        return None
    values = {name: value for name, value in track.features.items() if name != "time_signature"}
    values.update(track.reccobeats_overrides)
    return {
        "id": track.reccobeats_uuid,
        "href": f"{OPEN_SPOTIFY}/track/{track.id}",
        "isrc": track.isrc,
        **values,
    }


def spotify_search_page(
    items: list[dict[str, Any]], *, api_url: str, query: str, limit: int, offset: int, total: int
) -> dict[str, Any]:
    return {
        "tracks": {
            "href": f"{api_url}search?query={query}&type=track&offset={offset}&limit={limit}",
            "items": items,
            "limit": limit,
            "next": None,
            "offset": offset,
            "previous": None,
            "total": total,
        }
    }
