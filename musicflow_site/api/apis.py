"""Site-wide API operations: the health check and API tokens."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musicflow_site.api.health import HEALTH_STATUSES, health_report
from musicflow_site.api.schema import error_responses
from musicflow_site.api.services import api_token_obtain
from musicflow_site.api.throttles import AnonThrottle, TokenThrottle


class HealthApi(APIView):
    permission_classes = [AllowAny]
    # No session or token lookup: the check costs the same for every caller.
    authentication_classes: list[type] = []
    throttle_classes = [AnonThrottle]

    class OutputSerializer(serializers.Serializer):
        class DatabaseSerializer(serializers.Serializer):
            ok = serializers.BooleanField()
            vendor = serializers.CharField()
            error = serializers.CharField(help_text="Empty when ok.")

        class ClusterSerializer(serializers.Serializer):
            ok = serializers.BooleanField(help_text="At least one task cluster is alive.")
            clusters = serializers.IntegerField(help_text="Task clusters with a heartbeat.")
            last_heartbeat = serializers.DateTimeField(allow_null=True)

        class ModelsSerializer(serializers.Serializer):
            class ActiveModelSerializer(serializers.Serializer):
                version = serializers.IntegerField()
                trained_at = serializers.DateTimeField(allow_null=True)

            site_default = ActiveModelSerializer(
                allow_null=True, help_text="The model anonymous callers get."
            )
            user_models_active = serializers.IntegerField(
                help_text="Users with an active model of their own."
            )

        class SourceSerializer(serializers.Serializer):
            name = serializers.CharField()
            remote = serializers.BooleanField(help_text="Calls an external service.")
            available = serializers.BooleanField()
            reason = serializers.CharField(help_text="Why not available; empty when it is.")
            blocked_until = serializers.DateTimeField(
                allow_null=True, help_text="Rate-limited (429) until then."
            )

        status = serializers.ChoiceField(
            choices=HEALTH_STATUSES,
            help_text="ok: everything works; degraded: predictions work, something else "
            "does not (see reasons); unavailable: predictions cannot be served (503).",
        )
        reasons = serializers.ListField(child=serializers.CharField())
        database = DatabaseSerializer()
        cluster = ClusterSerializer()
        models = ModelsSerializer(allow_null=True, help_text="Null when the database is down.")
        sources = SourceSerializer(many=True, help_text="The feature-source chain, in order.")

    @extend_schema(
        operation_id="health",
        summary="Health check",
        description="The database, the task cluster's heartbeat, the active models and the "
        "feature sources. 200 while predictions can be served, 503 with the reasons when not.",
        auth=[],
        responses={
            200: OutputSerializer,
            503: OpenApiResponse(OutputSerializer, description="Cannot serve predictions."),
            **error_responses(status.HTTP_429_TOO_MANY_REQUESTS),
        },
    )
    def get(self, request: Request) -> Response:
        report = health_report()
        code = status.HTTP_200_OK if report.serving else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(self.OutputSerializer(report).data, status=code)


class TokenCreateApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [TokenThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, style={"input_type": "password"})

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(source="key", help_text="Send as `Authorization: Token …`.")

    @extend_schema(
        operation_id="token_create",
        summary="Get your API token",
        description="Exchanges a username and password for the user's API token (created on "
        "first use; the same token afterwards).",
        auth=[],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **error_responses(
                status.HTTP_400_BAD_REQUEST,
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                status.HTTP_429_TOO_MANY_REQUESTS,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = api_token_obtain(request=request._request, **serializer.validated_data)
        return Response(self.OutputSerializer(token).data)


class NoSuchEndpointApi(APIView):
    """Every /api/ path no route matches: a JSON 404 like every other API error, not the
    site's HTML page (a program calling the API always gets the error body it expects)."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def dispatch(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound(
            "No API endpoint at this path. Every path ends with a slash except /api/health; "
            "see /api/docs/."
        )
