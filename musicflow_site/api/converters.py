"""Path converters for the API's URLs."""

from __future__ import annotations

from django.urls import register_converter

# Primary keys are signed 64-bit on every backend we support.
_LARGEST_ID = 2**63 - 1


class ObjectIdConverter:
    """Digits -> int; a number no row can have becomes 0 (never a primary key), so the
    view answers its usual JSON 404 instead of the database overflowing into a 500."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= _LARGEST_ID else 0

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(ObjectIdConverter, "object_id")
