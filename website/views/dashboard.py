"""The dashboard's import page: upload an export and follow its import and enrichment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from streams.errors import ImportRejected
from streams.selectors import history_import_get_for_user
from streams.services.history_import import history_import_create
from website.forms import ImportUploadForm
from website.selectors import ImportProgress, import_progress_get, imports_page_get


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@login_required
@require_GET
def imports_page(request: HttpRequest) -> HttpResponse:
    context = {
        "nav": "import",
        "form": ImportUploadForm(),
        "page": imports_page_get(user=request.user),
    }
    return render(request, "website/dashboard_import.html", context)


@login_required
@require_POST
def import_create(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_refused(request, form.errors["files"][0])
    try:
        history_import = history_import_create(
            owner=request.user, uploads=form.cleaned_data["files"]
        )
    except ImportRejected as exc:
        return _upload_refused(request, str(exc))
    progress_url = reverse("website:import_progress", args=[history_import.pk])
    if _wants_json(request):
        return JsonResponse(
            {"import_id": history_import.pk, "progress_url": progress_url}, status=202
        )
    messages.success(request, "Upload received: your import is queued.")
    return redirect("website:dashboard")


def _upload_refused(request: HttpRequest, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=400)
    messages.error(request, message)
    return redirect("website:dashboard")


def _progress_json(progress: ImportProgress) -> dict[str, object]:
    enrichment = progress.enrichment
    return {
        "import_id": progress.report.import_id,
        "status": progress.report.status,
        "import_finished": progress.import_finished,
        "finished": progress.finished,
        "enrichment": None
        if enrichment is None
        else {
            "status": enrichment.status,
            "status_label": progress.enrichment_status_label,
            "done": enrichment.done,
            "remaining": enrichment.remaining,
            "percent": progress.enrichment_percent,
            "next_retry_at": enrichment.next_retry_at.isoformat()
            if enrichment.next_retry_at
            else None,
        },
        "report_html": render_to_string("website/_import_report.html", {"progress": progress}),
    }


@login_required
@require_GET
def import_progress(request: HttpRequest, import_id: int) -> JsonResponse:
    history_import = history_import_get_for_user(user=request.user, import_id=import_id)
    progress = import_progress_get(user=request.user, history_import=history_import)
    return JsonResponse(_progress_json(progress))
