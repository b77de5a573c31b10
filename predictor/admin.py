"""Admin for model versions: key metrics in the list; activate, retrain, archive actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from predictor.errors import ModelVersionStateError
from predictor.models import ModelVersion
from predictor.services import (
    model_version_activate,
    model_version_archive,
    training_request,
)


class SiteDefaultFilter(admin.SimpleListFilter):
    title = "whose"
    parameter_name = "whose"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("site", "Site default"), ("users", "Users' own")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "site":
            return queryset.filter(owner__isnull=True)
        if self.value() == "users":
            return queryset.filter(owner__isnull=False)
        return queryset


def _rounded(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "whose",
        "version",
        "status",
        "is_active",
        "estimator",
        "d2",
        "roc_auc",
        "spearman",
        "popularity_d2",
        "dataset_rows",
        "dataset_positives",
        "judgeable",
        "trained_at",
    )
    list_filter = (SiteDefaultFilter, "status", "is_active", "judgeable", "estimator")
    search_fields = ("owner__username", "estimator", "notes")
    ordering = ("owner_id", "-version")
    list_select_related = ("owner",)
    actions = ("activate_version", "retrain_owner", "archive_versions")
    fields = ("notes",)
    readonly_fields = ()

    def get_fields(self, request: HttpRequest, obj: ModelVersion | None = None) -> list[str]:
        return [f.name for f in ModelVersion._meta.fields if f.name != "id"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: ModelVersion | None = None
    ) -> list[str]:
        # Everything but the notes is history: a metric edited by hand would be a lie.
        return [f.name for f in ModelVersion._meta.fields if f.name not in {"id", "notes"}]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="whose")
    def whose(self, obj: ModelVersion) -> str:
        return obj.owner.get_username() if obj.owner_id else "site default"

    @admin.display(description="D²")
    def d2(self, obj: ModelVersion) -> str:
        return _rounded(obj.metric("d2"))

    @admin.display(description="ROC AUC")
    def roc_auc(self, obj: ModelVersion) -> str:
        return _rounded(obj.metric("roc_auc"))

    @admin.display(description="Spearman")
    def spearman(self, obj: ModelVersion) -> str:
        return _rounded(obj.metric("spearman"))

    @admin.display(description="D² popularity baseline")
    def popularity_d2(self, obj: ModelVersion) -> str:
        return _rounded(obj.baseline_metric("popularity", "d2"))

    @admin.action(description="Activate the selected version (rollback)")
    def activate_version(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        version = queryset.get()
        try:
            model_version_activate(version=version, promoted_by=request.user)
        except ModelVersionStateError as exc:
            self.message_user(request, f"{version} was not activated: {exc}", messages.ERROR)
            return
        self.message_user(request, f"{version} is now active.", messages.SUCCESS)

    @admin.action(description="Retrain the owners of the selected versions")
    def retrain_owner(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        queued = set()
        for version in queryset:
            site_default = version.owner_id is None
            user_id = version.dataset_user_id if site_default else version.owner_id
            if user_id is None or (user_id, site_default) in queued:
                continue
            queued.add((user_id, site_default))
            training_request(
                user_id=user_id, site_default=site_default, trained_by_id=request.user.pk
            )
        self.message_user(request, f"Queued {len(queued)} training(s).", messages.SUCCESS)

    @admin.action(description="Archive the selected versions (not the active one)")
    def archive_versions(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        archived, refused = 0, []
        for version in queryset:
            try:
                model_version_archive(version=version)
                archived += 1
            except ModelVersionStateError as exc:
                refused.append(str(exc))
        if archived:
            self.message_user(request, f"Archived {archived} version(s).", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)
