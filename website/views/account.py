"""The dashboard's account page: API token, export, delete everything."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from musicflow_site.api.services import api_token_get_or_create
from website.exports import csv_lines, json_chunks, plays_export_rows
from website.forms import AccountDeleteForm
from website.services import account_delete as account_delete_service
from website.services import api_token_rotate

EXPORT_FORMATS = {
    "csv": (csv_lines, "text/csv; charset=utf-8"),
    "json": (json_chunks, "application/json"),
}


def _render(request: HttpRequest, form: AccountDeleteForm, status: int = 200) -> HttpResponse:
    context = {
        "nav": "account",
        "token": api_token_get_or_create(user=request.user),
        "spotify_linked": request.user.social_auth.filter(provider="spotify").exists(),
        "delete_form": form,
    }
    return render(request, "website/dashboard_account.html", context, status=status)


@login_required
@require_GET
def account_page(request: HttpRequest) -> HttpResponse:
    return _render(request, AccountDeleteForm())


@login_required
@require_POST
def api_token_reset(request: HttpRequest) -> HttpResponse:
    api_token_rotate(user=request.user)
    messages.success(request, "Your API token was replaced; the old one no longer works.")
    return redirect("website:account")


@login_required
@require_GET
def plays_export(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404("Export as csv or json.")
    render_rows, content_type = EXPORT_FORMATS[fmt]
    response = StreamingHttpResponse(
        render_rows(plays_export_rows(user=request.user)), content_type=content_type
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="musicflow-plays-{stamp}.{fmt}"'
    return response


@login_required
@require_POST
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    deletion = account_delete_service(user=request.user)
    logout(request)
    messages.success(
        request, f"The account {deletion.username} and all its data were deleted. Goodbye!"
    )
    return redirect("website:home")
