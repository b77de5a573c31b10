"""The API's prediction path: the predictor's service, plus what an answer needs around it.

`model_predict` (predictor.services) does the work: serving version, cached pipeline,
the user's context, the prediction, its "why" and its percentile. This module adds:

* a per-process memo of finished predictions for versions that do not use the user's
  context (the site default): such a prediction depends only on the version and the
  track's stored values, so it is keyed by (version id, track id, track.updated_at)
  and can never go stale. A retrained or re-activated model is a new key; an enriched
  track has a new `updated_at`. Versions with user context are always computed.
* the "which version serves you" check on every request, through the predictor's
  `model_version_serving` (which leaves the kilobytes of training reports unread).
* the answer's rendering, kept with the memoised prediction (`rendered`), so a repeated
  question skips re-serialising what cannot have changed.
* the message bands: where the prediction falls among the version's predictions for
  its catalog (stored at training time), in five equal bands, so the words mean the
  same for light and heavy listeners.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from predictor.ml.predict import FeatureEffect
from predictor.models import ModelVersion
from predictor.selectors import model_version_serving
from predictor.services import model_predict
from streams.models import Track

MEMO_SIZE = 4096

# (upper bound of the percentile band, emoji, text) — the original API's five messages.
MESSAGE_BANDS: tuple[tuple[float, str, str], ...] = (
    (20.0, "😐", "This song needs to grow on me!"),
    (40.0, "🙂", "Nice track!"),
    (60.0, "😃", "Cool track!"),
    (80.0, "😄", "OMG, how did I not know this song?"),
    (float("inf"), "😍", "What a banger!"),
)


@dataclass(frozen=True)
class Message:
    emoji: str
    text: str
    percentile: float


@dataclass(frozen=True)
class ServedPrediction:
    prediction: float
    percentile: float
    version: ModelVersion
    why: list[FeatureEffect]
    # The API's rendering of this prediction, by how the song was matched.
    rendered: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def message(self) -> Message:
        return message_for(percentile=self.percentile)


def message_for(*, percentile: float) -> Message:
    """The band a percentile (0-100) falls in; each band is a fifth of the catalog."""
    for upper, emoji, text in MESSAGE_BANDS:
        if percentile < upper:
            return Message(emoji=emoji, text=text, percentile=percentile)
    raise AssertionError("the last band is unbounded")


_memo: OrderedDict[tuple[object, ...], ServedPrediction] = OrderedDict()
_memo_lock = threading.Lock()


def prediction_serve(*, user: AbstractBaseUser | None, track: Track) -> ServedPrediction:
    """The prediction of `track` for `user` (None: anonymous, the site default model).

    Raises NoActiveModel when nothing can serve, like `model_predict`.
    """
    version = model_version_serving(user=user)
    key = (version.pk, track.pk, track.updated_at)
    if not version.include_context:
        with _memo_lock:
            served = _memo.get(key)
            if served is not None:
                _memo.move_to_end(key)
                return served
    result = model_predict(user=user, track=track)
    served = ServedPrediction(
        prediction=result.prediction,
        percentile=result.percentile,
        version=result.version,
        why=result.why(),
    )
    if not result.version.include_context and result.version.pk == version.pk:
        with _memo_lock:
            _memo[key] = served
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
    return served


def prediction_memo_clear() -> None:
    with _memo_lock:
        _memo.clear()
