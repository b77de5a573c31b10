"""The dashboard's models page: versions, their holdout metrics, retrain and activate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from predictor.errors import ModelVersionStateError, NoActiveModel
from predictor.models import ModelVersion
from predictor.selectors import (
    model_version_get_for_user,
    model_version_serving,
    model_versions_for_user,
)
from predictor.services import model_version_activate, training_request
from website.charts import holdout_scatter, importance_bars
from website.selectors import user_has_plays, user_has_synthetic_plays


def _selected(versions: list[ModelVersion], wanted: str | None) -> ModelVersion | None:
    by_id = {str(v.pk): v for v in versions}
    if wanted in by_id:
        return by_id[wanted]
    return next((v for v in versions if v.is_active), versions[0] if versions else None)


def _serving(request: HttpRequest) -> ModelVersion | None:
    try:
        return model_version_serving(user=request.user)
    except NoActiveModel:
        return None


@login_required
@require_GET
def models_page(request: HttpRequest) -> HttpResponse:
    versions = list(model_versions_for_user(user=request.user))
    selected = _selected(versions, request.GET.get("version"))
    context = {
        "nav": "models",
        "versions": versions,
        "selected": selected,
        "serving": _serving(request),
        "synthetic": user_has_synthetic_plays(user=request.user),
        "has_plays": user_has_plays(user=request.user),
    }
    if selected is not None:
        context["scatter"] = holdout_scatter(points=selected.holdout_points or [])
        context["importance"] = importance_bars(importances=selected.importances or {})
    return render(request, "website/dashboard_models.html", context)


@login_required
@require_POST
def model_activate(request: HttpRequest, version_id: int) -> HttpResponse:
    version = model_version_get_for_user(user=request.user, version_id=version_id)
    try:
        model_version_activate(version=version, promoted_by=request.user)
    except ModelVersionStateError as exc:
        messages.error(request, f"Version {version.version} was not activated: {exc}")
    else:
        messages.success(request, f"Version {version.version} now answers your predictions.")
    return redirect("website:models")


@login_required
@require_POST
def model_retrain(request: HttpRequest) -> HttpResponse:
    training_request(user_id=request.user.pk, trained_by_id=request.user.pk)
    messages.success(
        request,
        "Training queued. The new version appears here when it is done; it becomes active "
        "only if it beats the current one on the holdout.",
    )
    return redirect("website:models")
