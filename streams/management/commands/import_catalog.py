"""`manage.py import_catalog [--json] PATH.csv...`"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from streams.errors import ImportRejected
from streams.services.catalog_import import CatalogImportReport, catalog_import


class Command(BaseCommand):
    help = (
        "Load tracks with audio features from Kaggle-style CSV datasets into the local "
        "catalog (upserted by Spotify id), and index them by name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object instead of lines"
        )
        parser.add_argument("paths", nargs="+", metavar="PATH.csv", help="catalog CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = catalog_import(paths=options["paths"])
        except ImportRejected as exc:
            raise CommandError(f"catalog import rejected, nothing stored: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write("\n".join(_lines(report)))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none"


def _lines(report: CatalogImportReport) -> list[str]:
    lines: list[str] = []
    for f in [*report.files]:
        lines += [
            f"{f.name} ({f.encoding}{', BOM: ' + f.bom if f.bom else ''}):",
            f"  rows read: {f.rows_read}",
            f"  tracks created: {f.tracks_created}, updated: {f.tracks_updated}, "
            f"unchanged: {f.tracks_unchanged}",
            f"  duplicate rows (same id earlier in the file): {f.duplicate_rows}",
            f"  skipped: {_counts(f.skipped)}",
            f"  invalid values stored as empty: {_counts(f.invalid_values)}",
            f"  tracks without audio features: {f.tracks_without_features}",
            f"  text cells repaired (mis-encoded): {f.text_repaired}",
        ]
    totals = report.as_dict()
    lines.append(
        f"total: {totals['rows_read']} rows, {totals['tracks_created']} created, "
        f"{totals['tracks_updated']} updated, {totals['tracks_unchanged']} unchanged"
    )
    return lines
