"""Errors raised by the pure-Python model package (no Django here)."""

from __future__ import annotations


class MlError(Exception):
    """Base class for every error raised by predictor.ml."""


class ArtifactIntegrityError(MlError):
    """A stored model artifact's bytes do not match the sha256 recorded for them."""


class DatasetTooSmall(MlError):
    """The dataset cannot support a train/holdout split and cross-validation."""
