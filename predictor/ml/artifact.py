"""Fitted pipelines <-> bytes, with a sha256 that is checked before anything is unpickled.

Unpickling runs code, so bytes whose digest does not match the registry are refused
outright: they are never handed to joblib.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import joblib

from predictor.ml.errors import ArtifactIntegrityError


@dataclass(frozen=True)
class Artifact:
    data: bytes
    sha256: str


def artifact_sha256(*, data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifact_dump(*, obj: object) -> Artifact:
    """Serialises a fitted pipeline (or any picklable object) to compressed bytes."""
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    data = buffer.getvalue()
    return Artifact(data=data, sha256=artifact_sha256(data=data))


def artifact_load(*, data: bytes, expected_sha256: str) -> object:
    """Loads bytes only if their sha256 is the one recorded when they were saved."""
    if not expected_sha256:
        raise ArtifactIntegrityError("no sha256 recorded for this artifact; refusing to load it")
    actual = artifact_sha256(data=data)
    if actual != expected_sha256.lower():
        raise ArtifactIntegrityError(
            f"artifact bytes do not match the recorded sha256 (expected {expected_sha256}, "
            f"got {actual}); the file was changed or corrupted and was not loaded"
        )
    return joblib.load(io.BytesIO(data))
