"""The dashboard's listening statistics: top lists, listening over time, a yearly recap."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from streams.selectors_stats import stats_overview, stats_year_recap, stats_years
from website.charts import recap_chart, stats_charts
from website.forms import StatsFilterForm
from website.selectors import user_has_synthetic_plays

TOP_LIMIT = 10


@login_required
@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("by", "count")
    form = StatsFilterForm(data)
    period = form.period()
    years = stats_years(user=request.user, tz=period.tz)
    context = {"nav": "stats", "form": form, "years": years}
    if years:
        year = form.cleaned_data.get("year") if form.is_valid() else None
        year = year if year in years else years[0]
        overview = stats_overview(
            user=request.user, period=period, by=form.ranking(), limit=TOP_LIMIT
        )
        recap = stats_year_recap(user=request.user, year=year, tz=period.tz)
        context |= {
            "overview": overview,
            "charts": stats_charts(overview=overview),
            "recap": recap,
            "recap_chart": recap_chart(recap=recap),
            "synthetic": user_has_synthetic_plays(user=request.user),
        }
    return render(request, "website/dashboard_stats.html", context)
