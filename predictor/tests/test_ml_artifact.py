"""Artifacts are loaded only when their bytes match the recorded sha256."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from predictor.ml.artifact import artifact_dump, artifact_load
from predictor.ml.errors import ArtifactIntegrityError


class _TouchOnUnpickle:
    """Unpickling this creates a file: proof that bytes were (or were not) unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_a_fitted_pipeline_round_trips_with_its_sha256(quick_result, synthetic):
    artifact = artifact_dump(obj=quick_result.pipeline)
    assert artifact.sha256 == hashlib.sha256(artifact.data).hexdigest()
    loaded = artifact_load(data=artifact.data, expected_sha256=artifact.sha256)
    head = synthetic.frame.head(30)
    np.testing.assert_allclose(loaded.predict(head), quick_result.pipeline.predict(head))


def test_changed_bytes_are_refused_with_a_clear_error():
    artifact = artifact_dump(obj={"weights": [1, 2, 3]})
    corrupted = bytearray(artifact.data)
    corrupted[len(corrupted) // 2] ^= 0xFF
    with pytest.raises(ArtifactIntegrityError, match="do not match the recorded sha256"):
        artifact_load(data=bytes(corrupted), expected_sha256=artifact.sha256)


def test_refused_bytes_are_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    genuine = artifact_dump(obj={"weights": [1, 2, 3]})
    hostile = pickle.dumps(_TouchOnUnpickle(marker))
    with pytest.raises(ArtifactIntegrityError):
        artifact_load(data=hostile, expected_sha256=genuine.sha256)
    assert not marker.exists()
    # The marker really is created when such bytes are unpickled, so the check above means something.
    pickle.loads(hostile)
    assert marker.exists()


def test_an_artifact_without_a_recorded_digest_is_refused():
    artifact = artifact_dump(obj=[1])
    with pytest.raises(ArtifactIntegrityError, match="no sha256 recorded"):
        artifact_load(data=artifact.data, expected_sha256="")
