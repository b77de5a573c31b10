"""`manage.py train --user NAME [--site-default] [--json]`"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError, CommandParser

from predictor.errors import DatasetTooSmall, TrainingInProgress
from predictor.services import context_ablation_for_user, model_version_train

_METRICS = ("poisson_deviance", "d2", "mae", "spearman", "roc_auc")


class Command(BaseCommand):
    help = (
        "Train a new model version from a user's history (GridSearch, holdout and "
        "cross-validated metrics against the mean and popularity baselines); it becomes "
        "active only if it beats the active version on the same holdout."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="username whose history to learn from")
        parser.add_argument(
            "--site-default",
            action="store_true",
            help="store it as the site-wide default model (no owner, no user context)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--ablation",
            action="store_true",
            help="instead of training, measure what each user-context signal adds (CV)",
        )
        parser.add_argument(
            "--repeats",
            type=int,
            default=5,
            help="with --ablation: model seeds each cross-validation is averaged over",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        if options["ablation"]:
            self._ablation(user, as_json=options["json"], repeats=options["repeats"])
            return
        owner = None if options["site_default"] else user
        try:
            outcome = model_version_train(owner=owner, dataset_user=user)
        except (DatasetTooSmall, TrainingInProgress) as exc:
            raise CommandError(str(exc)) from exc
        report = outcome.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))
        else:
            self.stdout.write("\n".join(report_lines(report)))

    def _ablation(self, user: AbstractBaseUser, *, as_json: bool, repeats: int) -> None:
        effects = context_ablation_for_user(user=user, repeats=repeats)
        if as_json:
            self.stdout.write(json.dumps([e.as_dict() for e in effects]))
            return
        self.stdout.write(
            "CV: context leaving each track's own plays out, as trained and served; "
            "fold-out CV: context without the test fold's plays (a gain only in CV is a leak); "
            f"means over {repeats} model seed(s)"
        )
        self.stdout.write(
            f"{'variant':<44}{'D^2 (CV)':>18}{'AUC (CV)':>18}{'Spearman':>10}"
            f"{'D^2 (fold-out)':>18}{'AUC (fold-out)':>18}{'holdout D^2/AUC':>17}"
        )
        for e in effects:
            holdout = (
                f"{_fmt(e.holdout_d2)}/{_fmt(e.holdout_auc)}" if e.holdout_auc is not None else ""
            )
            self.stdout.write(
                f"{e.variant:<44}{_fmt(e.d2_mean):>9} ± {_fmt(e.d2_std):<6}"
                f"{_fmt(e.auc_mean):>9} ± {_fmt(e.auc_std):<6}{_fmt(e.spearman_mean):>10}"
                f"{_fmt(e.fold_out_d2_mean):>9} ± {_fmt(e.fold_out_d2_std):<6}"
                f"{_fmt(e.fold_out_auc_mean):>9} ± {_fmt(e.fold_out_auc_std):<6}{holdout:>17}"
            )


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "n/a" if value is None else str(value)


def _metric_rows(block: dict[str, dict[str, Any]], *, spread: bool) -> list[str]:
    header = f"  {'':<11}" + "".join(f"{m:>22}" for m in _METRICS)
    rows = [header]
    for name in ("model", "popularity", "mean"):
        metrics = block.get(name, {})
        cells = []
        for metric in _METRICS:
            value = metrics.get(metric)
            if spread:
                value = value or {}
                text = f"{_fmt(value.get('mean'))} ± {_fmt(value.get('std'))}"
            else:
                text = _fmt(value)
            cells.append(f"{text:>22}")
        rows.append(f"  {name:<11}" + "".join(cells))
    return rows


def report_lines(report: dict[str, Any]) -> list[str]:
    """The human-readable form of a training report."""
    whose = "site default" if report["site_default"] else f"user {report['owner']}"
    dataset = report["dataset"]
    lines = [
        f"model version {report['version']} ({whose}): {report['status']}, "
        f"{'activated' if report['activated'] else 'not activated'}",
        f"  why: {report['comparison'].get('reason', '')}",
        f"dataset: {dataset['rows']} tracks, {dataset['positives']} streamed, "
        f"{dataset['negatives']} never played (digest {dataset['digest'][:12]})",
        f"chosen: {report.get('estimator')} {report.get('params')}",
        f"judgement: {report.get('judgement')}",
        "holdout metrics:",
        *_metric_rows(report.get("holdout", {}), spread=False),
        "cross-validated metrics (mean ± std over folds):",
        *_metric_rows(report.get("cv", {}), spread=True),
    ]
    if report.get("neutralised"):
        lines.append(f"features blanked (missing mostly on one side): {report['neutralised']}")
    return lines
