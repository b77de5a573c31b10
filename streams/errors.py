"""Domain errors of the streams app.

Views map these to HTTP statuses in one place (the API's exception handler); services
raise them and never return error values.
"""

from __future__ import annotations

from django.http import Http404


class StreamsError(Exception):
    """Base class of every error the streams app raises on purpose."""


class ImportRejected(StreamsError):
    """An upload or export file cannot be imported; the message says which and why.

    When raised during an import nothing from the upload is stored: the import's
    transaction is rolled back and only the HistoryImport row records the failure.
    """


class UploadTooLarge(ImportRejected):
    """An upload is larger than MUSICFLOW_UPLOAD_MAX_BYTES (refused before reading it)."""


class ImportBusy(StreamsError):
    """Another import of the same user is running; imports of one user never overlap."""


class NotFound(StreamsError):
    """The object does not exist, or belongs to another user (both look the same)."""


class HistoryImportNotFound(NotFound, Http404):
    """No import with that id for this user.

    Also an Http404, so a plain Django or DRF view answers 404 without any mapping.
    """


class TrackNotFound(NotFound):
    """No source knows a song of that name by that artist."""


class LookupDeferred(StreamsError):
    """A song nobody knows yet, not looked up now (a batch spent its network budget).

    Not a verdict on the song: asking again, alone, looks it up."""


class TrackNotInHistory(NotFound, Http404):
    """No track with that id among the user's plays (it may exist; they never played it)."""
