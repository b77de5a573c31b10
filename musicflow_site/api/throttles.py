"""Request throttles. Counters live in the default cache, which settings make a shared
store (a database table or Redis), so a limit holds across every web worker.

DRF copies the rates into a class attribute when it is imported; these read them on
every request instead, so a rate changed in settings takes effect without a restart
of the import machinery (and tests can set their own).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class _RatesFromSettings:
    scope: str | None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")

    def allow_request(self, request: Request, view: APIView) -> bool:
        # Fail open: when the shared cache (a database table or Redis) is down, a
        # throttle must not turn every request, /health included, into a 500.
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception:
            logger.warning("throttle %s: cache unavailable, request allowed", self.scope)
            return True


class AnonThrottle(_RatesFromSettings, AnonRateThrottle):
    """Anonymous callers (only /health and /prediction/ allow them), per client address."""

    scope = "anon"


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    """Authenticated callers, per user (anonymous ones are AnonThrottle's, counted once)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class PredictionBatchThrottle(_RatesFromSettings, UserRateThrottle):
    """Batch predictions cost up to 100 single ones; they get their own budget."""

    scope = "prediction_batch"


class TokenThrottle(_RatesFromSettings, SimpleRateThrottle):
    """Password attempts on the token endpoint, per client address."""

    scope = "token"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
