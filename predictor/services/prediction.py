"""Serving: the prediction for one track and one user, with its features and a "why".

The serving version is the user's active one, else the site default. Its pipeline is
cached per version in each process (see registry.model_version_pipeline), so a new
activation takes effect on the next request without a restart. The user's context
(familiarity with the track's artists, and their saved library) is computed from the
same per-name streams and library tables as at training time, pre-aggregated once and
cached until their plays or saved tracks change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Max

from predictor.ml.context import ContextIndex, context_add, context_index_build
from predictor.ml.features import FEATURE_GROUPS, feature_names, features_build
from predictor.ml.predict import FeatureEffect, prediction_explain
from predictor.ml.records import samples_frame
from predictor.models import ModelVersion
from predictor.selectors import model_version_percentile, model_version_serving
from predictor.services.registry import model_version_pipeline
from predictor.services.samples import (
    played_names_for_user,
    saved_names_for_user,
    track_sample,
)
from streams.models import Play, SavedTrack, Track

_CONTEXT_CACHE_SIZE = 64
_context_cache: OrderedDict[int, tuple[tuple[object, ...], ContextIndex]] = OrderedDict()
_context_lock = threading.Lock()


@dataclass(frozen=True)
class ModelPrediction:
    prediction: float
    version: ModelVersion
    features: dict[str, float | None]
    effects: list[FeatureEffect]
    # Where the prediction falls among the version's predictions for its catalog, 0-100.
    percentile: float

    def why(self, *, count: int = 5) -> list[FeatureEffect]:
        """The features that moved this prediction most, strongest first."""
        return [e for e in self.effects if e.direction != "none"][:count]


@dataclass(frozen=True)
class TrackFeatures:
    values: dict[str, float | None]
    groups: dict[str, list[str]]
    missing: list[str]


def _user_context_index(user: AbstractBaseUser | None) -> ContextIndex:
    if user is None or not user.is_authenticated:
        return context_index_build(played=played_names_for_user(user=None))
    # Plays only grow or get resolved, saves only grow; the stamp changes with either.
    stamp = (
        *Play.objects.filter(user_id=user.pk)
        .aggregate(n=Count("id"), last=Max("id"), resolved=Max("last_resolve_at"))
        .values(),
        *SavedTrack.objects.filter(user_id=user.pk)
        .aggregate(n=Count("id"), last=Max("id"))
        .values(),
    )
    with _context_lock:
        cached = _context_cache.get(user.pk)
        if cached is not None and cached[0] == stamp:
            _context_cache.move_to_end(user.pk)
            return cached[1]
    index = context_index_build(
        played=played_names_for_user(user=user), saved=saved_names_for_user(user=user)
    )
    with _context_lock:
        _context_cache[user.pk] = (stamp, index)
        while len(_context_cache) > _CONTEXT_CACHE_SIZE:
            _context_cache.popitem(last=False)
    return index


def track_frame_for_user(*, user: AbstractBaseUser | None, track: Track) -> pd.DataFrame:
    """The one-row raw frame (track fields + the user's context) a model takes."""
    frame = samples_frame(samples=[track_sample(track=track)])
    return context_add(samples=frame, index=_user_context_index(user))


def model_predict(*, user: AbstractBaseUser | None, track: Track) -> ModelPrediction:
    """Predicted streams of `track` for `user` (None or anonymous: the site default model).

    Raises NoActiveModel when there is nothing to serve, ArtifactIntegrityError when
    the stored artifact no longer matches its sha256.
    """
    version = model_version_serving(user=user)
    pipeline = model_version_pipeline(version=version)
    explained = prediction_explain(
        pipeline=pipeline, frame=track_frame_for_user(user=user, track=track)
    )
    return ModelPrediction(
        prediction=explained.value,
        version=version,
        features=explained.features,
        effects=explained.effects,
        percentile=model_version_percentile(version=version, prediction=explained.value),
    )


def track_features_for_user(*, user: AbstractBaseUser | None, track: Track) -> TrackFeatures:
    """The processed features of a track (with the user's context), grouped, nulls listed."""
    frame = track_frame_for_user(user=user, track=track)
    processed = features_build(include_context=True).fit_transform(frame).iloc[0]
    values = {
        name: (None if pd.isna(processed[name]) else float(processed[name]))
        for name in feature_names(include_context=True)
    }
    return TrackFeatures(
        values=values,
        groups={group: list(names) for group, names in FEATURE_GROUPS.items()},
        missing=[name for name, value in values.items() if value is None],
    )


def context_cache_clear() -> None:
    with _context_lock:
        _context_cache.clear()
