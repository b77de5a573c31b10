"""The predictor API: the original three song endpoints, batch predictions, model versions.

`/raw_features/`, `/features/` and `/prediction/` take `?song=&artist=` and find the
song through `track_lookup` (the database first; the network only for a song nobody
knows yet). Errors are domain exceptions mapped to HTTP in one place
(musicflow_site.api.exception_handlers): never a 200 with an error in it. The batch
endpoint is the one exception by design: each item carries its own status.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musicflow_site.api.exception_handlers import error_status_and_body
from musicflow_site.api.pagination import paginated_response
from musicflow_site.api.schema import (
    AUTH_ERRORS,
    PAGINATION_PARAMETERS,
    ErrorSerializer,
    error_responses,
    paginated,
)
from musicflow_site.api.serving import prediction_serve
from musicflow_site.api.throttles import AnonThrottle, PredictionBatchThrottle, UserThrottle
from predictor.ml.features import FEATURE_DESCRIPTIONS, FEATURE_GROUPS
from predictor.models import ModelStatus
from predictor.selectors import (
    model_version_get_for_user,
    model_version_serving,
    model_versions_for_user,
)
from predictor.services import model_version_activate, track_features_for_user
from streams.errors import LookupDeferred
from streams.services.track_lookup import TrackMatch, track_lookup, track_lookup_known

_LOOKUP_ERRORS = (
    status.HTTP_400_BAD_REQUEST,
    status.HTTP_404_NOT_FOUND,
    status.HTTP_503_SERVICE_UNAVAILABLE,
)
QUERY_MAX_LENGTH = 200
BATCH_MAX_ITEMS = 100


def _user_or_none(request: Request) -> Any:
    return request.user if request.user.is_authenticated else None


# --- shared shapes ---------------------------------------------------------------------------


class SongQuerySerializer(serializers.Serializer):
    song = serializers.CharField(
        max_length=QUERY_MAX_LENGTH, help_text="The song's title, e.g. `Blinding Lights`."
    )
    artist = serializers.CharField(
        max_length=QUERY_MAX_LENGTH, help_text="Its (main) artist, e.g. `The Weeknd`."
    )


class MatchSerializer(serializers.Serializer):
    """Which track answered a song query, and how it was found."""

    query = SongQuerySerializer(help_text="The song and artist as asked.")
    song = serializers.CharField(source="match.track.name", help_text="The matched title.")
    artist = serializers.CharField(
        source="match.track.primary_artist", help_text="The matched track's main artist."
    )
    track_id = serializers.IntegerField(source="match.track.id")
    matched_by = serializers.ChoiceField(
        source="match.matched_by",
        choices=["name_index", "fuzzy", "spotify_search"],
        help_text="name_index / fuzzy: already known, answered without any network call; "
        "spotify_search: found just now through the sources.",
    )


def _lookup(request: Request) -> tuple[dict[str, str], TrackMatch]:
    query = SongQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data, track_lookup(**query.validated_data)


# --- /raw_features/ ----------------------------------------------------------------------------


class RawFeaturesApi(APIView):
    class OutputSerializer(MatchSerializer):
        class SourceSerializer(serializers.Serializer):
            source = serializers.CharField()
            fetched_at = serializers.CharField(allow_null=True, help_text="ISO 8601, UTC.")
            data = serializers.JSONField(help_text="The JSON the source returned, unchanged.")

        sources = SourceSerializer(many=True, help_text="One entry per source that answered.")
        field_sources = serializers.DictField(
            child=serializers.CharField(),
            source="match.track.field_sources",
            help_text="Which source supplied each track field.",
        )

    @extend_schema(
        operation_id="raw_features_get",
        summary="The track as each source returned it",
        description="Finds the song (database first) and returns the raw JSON each feature "
        "source gave for it, with the source names and fetch times.",
        parameters=[SongQuerySerializer],
        responses={200: OutputSerializer, **error_responses(*_LOOKUP_ERRORS, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        query, match = _lookup(request)
        sources = [
            {"source": name, "fetched_at": entry.get("fetched_at"), "data": entry.get("data")}
            for name, entry in (match.track.raw_sources or {}).items()
            if isinstance(entry, dict)
        ]
        answer = {"query": query, "match": match, "sources": sources}
        return Response(self.OutputSerializer(answer).data)


# --- /features/ --------------------------------------------------------------------------------


def _group_serializer(group: str, names: tuple[str, ...]) -> type[serializers.Serializer]:
    """A serializer naming and describing every processed feature of one group."""
    fields = {
        name: serializers.FloatField(allow_null=True, help_text=FEATURE_DESCRIPTIONS.get(name, ""))
        for name in names
    }
    return type(f"Features{group.capitalize()}Serializer", (serializers.Serializer,), fields)


FeatureGroupsSerializer = type(
    "FeatureGroupsSerializer",
    (serializers.Serializer,),
    {
        group: _group_serializer(group, names)(help_text=f"The {group} features.")
        for group, names in FEATURE_GROUPS.items()
    },
)


class FeaturesApi(APIView):
    class OutputSerializer(MatchSerializer):
        features = FeatureGroupsSerializer(
            help_text="The processed features the model uses, by group; null when missing."
        )
        missing = serializers.ListField(
            child=serializers.CharField(), help_text="The features with no value (null above)."
        )

    @extend_schema(
        operation_id="features_get",
        summary="The features the model uses for a song",
        description="The processed, named features of the song, grouped as track, release, "
        "audio and context (your familiarity with its artists; empty without a history).",
        parameters=[SongQuerySerializer],
        responses={200: OutputSerializer, **error_responses(*_LOOKUP_ERRORS, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        query, match = _lookup(request)
        features = track_features_for_user(user=_user_or_none(request), track=match.track)
        grouped = {
            group: {name: features.values.get(name) for name in names}
            for group, names in FEATURE_GROUPS.items()
        }
        answer = {"query": query, "match": match, "features": grouped, "missing": features.missing}
        return Response(self.OutputSerializer(answer).data)


# --- /prediction/ ------------------------------------------------------------------------------


class PredictionSerializer(MatchSerializer):
    class SongMetadataSerializer(serializers.Serializer):
        song = serializers.CharField(source="name")
        artists = serializers.SerializerMethodField()
        album = serializers.CharField(source="album_name")
        release_date = serializers.CharField(help_text="YYYY, YYYY-MM or YYYY-MM-DD.")
        release_date_precision = serializers.CharField()
        spotify_url = serializers.CharField(help_text="Empty when the Spotify id is unknown.")

        def get_artists(self, track: Any) -> list[str]:
            return [a.get("name", "") for a in track.artists or [] if isinstance(a, dict)]

    class MessageSerializer(serializers.Serializer):
        emoji = serializers.CharField()
        text = serializers.CharField()
        percentile = serializers.FloatField(
            help_text="Where the prediction falls (0-100) among the model's predictions for "
            "its catalog; each fifth has its message."
        )

    class ModelSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        version = serializers.IntegerField()
        trained_at = serializers.DateTimeField(allow_null=True)
        whose = serializers.SerializerMethodField(help_text="yours, or site_default.")
        estimator = serializers.CharField()

        def get_whose(self, version: Any) -> str:
            return "site_default" if version.owner_id is None else "yours"

    class EffectSerializer(serializers.Serializer):
        feature = serializers.CharField()
        value = serializers.JSONField(help_text="The feature's value (a number, or a key name).")
        effect = serializers.FloatField(help_text="Predicted streams it adds (or removes).")
        direction = serializers.ChoiceField(choices=["up", "down", "none"])

    prediction = serializers.SerializerMethodField(
        help_text="Predicted number of streams, 2 decimals."
    )
    description = serializers.SerializerMethodField()
    song_metadata = SongMetadataSerializer(source="match.track")
    message = MessageSerializer(source="served.message")
    model = ModelSerializer(source="served.version")
    why = EffectSerializer(
        many=True, source="served.why", help_text="The features that moved it most."
    )

    def get_prediction(self, answer: dict[str, Any]) -> float:
        return round(answer["served"].prediction, 2)

    def get_description(self, answer: dict[str, Any]) -> str:
        version = answer["served"].version
        whose = "the site's default model" if version.owner_id is None else "your model"
        return (
            f"How many times you would stream this song (30 s or more), predicted by "
            f"{whose}, version {version.version}."
        )


def _predict(request: Request, query: dict[str, str], match: TrackMatch) -> dict[str, Any]:
    """What PredictionSerializer shapes: the query, the match and the served prediction."""
    served = prediction_serve(user=_user_or_none(request), track=match.track)
    return {"query": query, "match": match, "served": served}


class PredictionApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, UserThrottle]

    @extend_schema(
        operation_id="prediction_get",
        summary="How many times would you stream this song?",
        description="Predicted streams of the song for you (your active model, else the site's "
        "default; anonymous callers get the site default). A song the database knows is "
        "answered without any network call. 503 when no model can answer: none is active "
        "(`no_active_model`), or the active one's stored file is missing or fails its sha256 "
        "check (`model_unavailable`).",
        parameters=[SongQuerySerializer],
        auth=[{"tokenAuth": []}, {"cookieAuth": []}, {}],
        responses={
            200: PredictionSerializer,
            **error_responses(*_LOOKUP_ERRORS, status.HTTP_429_TOO_MANY_REQUESTS),
        },
    )
    def get(self, request: Request) -> Response:
        query, match = _lookup(request)
        answer = _predict(request, query, match)
        rendered = answer["served"].rendered
        body = rendered.get(match.matched_by)
        if body is None:
            body = rendered[match.matched_by] = PredictionSerializer(answer).data
        # A memoised rendering holds everything but the question, echoed here.
        return Response({**body, "query": {"song": query["song"], "artist": query["artist"]}})


# --- POST /api/predictions/ --------------------------------------------------------------------


class PredictionBatchApi(APIView):
    throttle_classes = [UserThrottle, PredictionBatchThrottle]

    class InputSerializer(serializers.Serializer):
        items = SongQuerySerializer(
            many=True, min_length=1, max_length=BATCH_MAX_ITEMS, help_text="1 to 100 songs."
        )

    class OutputSerializer(serializers.Serializer):
        class ItemSerializer(serializers.Serializer):
            query = SongQuerySerializer()
            status = serializers.IntegerField(
                help_text="This item's HTTP status: 200, or the error's (404, 503, ...)."
            )
            result = PredictionSerializer(allow_null=True, help_text="Null unless status 200.")
            error = ErrorSerializer(allow_null=True, help_text="Null when status is 200.")

        results = ItemSerializer(many=True, help_text="One per item, in order.")

    @extend_schema(
        operation_id="predictions_batch",
        summary="Predictions for up to 100 songs",
        description="Each item is answered like /prediction/ and carries its own status. "
        "Songs the database knows cost no network call; unknown songs are looked up over "
        "the network until the call has used MUSICFLOW_BATCH_NETWORK_LOOKUPS lookups or "
        "MUSICFLOW_LOOKUP_NETWORK_SECONDS; the rest answer 503 `lookup_deferred` (ask for "
        "them again).",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(
                status.HTTP_400_BAD_REQUEST,
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                status.HTTP_503_SERVICE_UNAVAILABLE,
                *AUTH_ERRORS,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model_version_serving(user=request.user)  # no model at all: the whole call is a 503
        budget = _NetworkBudget(
            lookups=settings.MUSICFLOW_BATCH_NETWORK_LOOKUPS,
            until=time.monotonic() + settings.MUSICFLOW_LOOKUP_NETWORK_SECONDS,
        )
        results = [
            _batch_item(request, item, budget) for item in serializer.validated_data["items"]
        ]
        return Response(self.OutputSerializer({"results": results}).data)


@dataclass
class _NetworkBudget:
    """What one batch may spend on songs nobody knows yet: lookups, and time."""

    lookups: int
    until: float

    def take(self, query: dict[str, str]) -> None:
        if self.lookups <= 0 or time.monotonic() >= self.until:
            raise LookupDeferred(
                f"{query['song']!r} by {query['artist']!r} is not known yet and this call "
                "has used its network budget; ask for it again"
            )
        self.lookups -= 1


def _batch_item(request: Request, query: dict[str, str], budget: _NetworkBudget) -> dict[str, Any]:
    try:
        match = track_lookup_known(**query)
        if match is None:
            budget.take(query)
            match = track_lookup(**query)
        result = _predict(request, query, match)
    except Exception as exc:
        mapped = error_status_and_body(exc)
        if mapped is None:
            raise
        return {"query": query, "status": mapped[0], "result": None, "error": mapped[1]}
    return {"query": query, "status": 200, "result": result, "error": None}


# --- model versions ----------------------------------------------------------------------------


class ModelVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ModelStatus.choices)
    is_active = serializers.BooleanField()
    estimator = serializers.CharField()
    metrics = serializers.DictField(help_text="Holdout metrics of the model.")
    baselines = serializers.DictField(help_text="The same metrics for the mean and popularity.")
    cv_metrics = serializers.DictField(help_text="Cross-validated metrics with their spread.")
    judgeable = serializers.BooleanField(help_text="Enough streamed tracks to trust metrics.")
    judgement = serializers.CharField()
    dataset_rows = serializers.IntegerField()
    dataset_positives = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    trained_at = serializers.DateTimeField(allow_null=True)
    promoted_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField()


class ModelVersionDetailSerializer(ModelVersionSerializer):
    params = serializers.DictField()
    candidates = serializers.ListField(child=serializers.DictField())
    feature_names = serializers.ListField(child=serializers.CharField())
    importances = serializers.DictField()
    champion_comparison = serializers.DictField()
    dataset_negatives = serializers.IntegerField()
    dataset_digest = serializers.CharField()
    dataset_first_play_at = serializers.DateTimeField(allow_null=True)
    dataset_last_play_at = serializers.DateTimeField(allow_null=True)
    library_versions = serializers.DictField(child=serializers.CharField())
    training_seconds = serializers.FloatField(allow_null=True)
    notes = serializers.CharField()


class ModelListApi(APIView):
    @extend_schema(
        operation_id="models_list",
        summary="Your model versions",
        description="Every version of your model, newest first, with holdout metrics against "
        "the baselines; `is_active` marks the one that answers you.",
        parameters=PAGINATION_PARAMETERS,
        responses={
            200: paginated(ModelVersionSerializer, "PaginatedModelVersionList"),
            **error_responses(*AUTH_ERRORS),
        },
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            queryset=model_versions_for_user(user=request.user),
            serializer_class=ModelVersionSerializer,
            request=request,
            view=self,
        )


class ModelDetailApi(APIView):
    @extend_schema(
        operation_id="models_retrieve",
        summary="One model version",
        description="Everything recorded about a version. Another user's is a 404.",
        responses={
            200: ModelVersionDetailSerializer,
            **error_responses(status.HTTP_404_NOT_FOUND, *AUTH_ERRORS),
        },
    )
    def get(self, request: Request, version_id: int) -> Response:
        version = model_version_get_for_user(user=request.user, version_id=version_id)
        return Response(ModelVersionDetailSerializer(version).data)


class ModelActivateApi(APIView):
    @extend_schema(
        operation_id="models_activate",
        summary="Activate a version (or roll back to it)",
        description="Makes a ready version the one that answers you. 409 when it is not "
        "ready (training, failed, archived).",
        request=None,
        responses={
            200: ModelVersionDetailSerializer,
            **error_responses(status.HTTP_404_NOT_FOUND, status.HTTP_409_CONFLICT, *AUTH_ERRORS),
        },
    )
    def post(self, request: Request, version_id: int) -> Response:
        version = model_version_get_for_user(user=request.user, version_id=version_id)
        version = model_version_activate(version=version, promoted_by=request.user)
        return Response(ModelVersionDetailSerializer(version).data)
