"""Small display filters for the website's templates."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def key_label(value: str) -> str:
    """`zero_ms_played` -> `zero ms played`: report keys as readable words."""
    return str(value).replace("_", " ").replace("-", " ")


@register.filter
def estimator_label(name: str) -> str:
    """`HistGradientBoostingRegressor` -> `HistGradientBoosting`: the family is enough."""
    return str(name).removesuffix("Regressor") or str(name)


@register.filter
def listening_time(ms: int | None) -> str:
    """Milliseconds as hours and minutes ("12 h 05 min"), minutes under an hour."""
    minutes = round((ms or 0) / 60_000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@register.filter
def signed(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:+.{int(digits)}f}"


@register.filter
def metric(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{int(digits)}f}"


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@register.simple_tag
def model_metric(version: object, name: str, digits: int = 3) -> str:
    """A holdout metric of a model version, formatted; "—" when undefined."""
    return _fmt(version.metric(name), digits)  # type: ignore[attr-defined]


@register.simple_tag
def baseline_metric(version: object, baseline: str, name: str, digits: int = 3) -> str:
    return _fmt(version.baseline_metric(baseline, name), digits)  # type: ignore[attr-defined]
