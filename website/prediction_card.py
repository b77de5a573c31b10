"""The home page's prediction card: a track lookup and a served prediction, for people.

The work is done elsewhere: `track_lookup` (streams) finds the song, `prediction_serve`
(the API's serving path) predicts it with the message band and the "why". This module
only puts the answer into words and numbers a person reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from musicflow_site.api.serving import prediction_serve
from predictor.ml.predict import FeatureEffect
from streams.services.track_lookup import track_lookup
from website.selectors import model_version_trained_on_synthetic

WHY_COUNT = 4

# Features whose raw names say little to a listener.
_FEATURE_LABELS: dict[str, str] = {
    "num_artists": "number of artists",
    "duration_ms": "length",
    "number_of_available_markets": "countries available",
    "release_year": "release year",
    "release_month": "release month",
    "release_day": "release day",
    "date_is_complete": "exact release date known",
    "time_signature": "time signature",
    "key": "musical key",
    "artist_streams_other": "your streams of this artist's other songs",
    "artist_tracks_other": "other songs of this artist you played",
    "is_saved": "in your saved library",
    "artist_skip_rate_other": "how often you skip this artist",
    "album_streams_other": "your streams of this album's other songs",
}


@dataclass(frozen=True)
class WhyLine:
    label: str
    value_text: str
    direction: str
    size: float


@dataclass(frozen=True)
class PredictionCard:
    song: str
    artists: list[str]
    album: str
    release_date: str
    spotify_url: str
    is_synthetic: bool
    prediction: float
    emoji: str
    text: str
    effects: list[WhyLine]
    model_version: int
    model_whose: str
    model_synthetic: bool
    query_song: str
    query_artist: str

    @property
    def query_differs(self) -> bool:
        return (self.query_song.casefold(), self.query_artist.casefold()) != (
            self.song.casefold(),
            (self.artists[0] if self.artists else "").casefold(),
        )


def _value_text(effect: FeatureEffect) -> str:
    value = effect.value
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return value
    if effect.feature == "duration_ms":
        minutes, seconds = divmod(round(value / 1000), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def _why(effect: FeatureEffect) -> WhyLine:
    return WhyLine(
        label=_FEATURE_LABELS.get(effect.feature, effect.feature.replace("_", " ")),
        value_text=_value_text(effect),
        direction=effect.direction,
        size=abs(effect.effect),
    )


def prediction_card_get(
    *, user: AbstractBaseUser | None, song: str, artist: str
) -> PredictionCard:
    """Raises what the lookup and the serving path raise (not found, no model, ...)."""
    track = track_lookup(song=song, artist=artist).track
    served = prediction_serve(user=user, track=track)
    message = served.message
    names = [a.get("name", "") for a in (track.artists or []) if isinstance(a, dict)]
    return PredictionCard(
        song=track.name,
        artists=names or [track.primary_artist],
        album=track.album_name,
        release_date=track.release_date,
        spotify_url=track.spotify_url,
        is_synthetic=track.is_synthetic,
        prediction=round(served.prediction, 2),
        emoji=message.emoji,
        text=message.text,
        effects=[_why(e) for e in served.why[:WHY_COUNT]],
        model_version=served.version.version,
        model_whose="the site's default model" if served.version.is_site_default else "your model",
        model_synthetic=model_version_trained_on_synthetic(version=served.version),
        query_song=song,
        query_artist=artist,
    )
