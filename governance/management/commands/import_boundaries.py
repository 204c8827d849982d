"""`manage.py import_boundaries FILE.geojson [--skip-invalid] [--dry-run] [--crs gcj02]`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.geo.crs import CRS_CHOICES, WGS84
from governance.geo.imports import boundaries_import


class Command(BaseCommand):
    help = "Import area boundaries from a GeoJSON FeatureCollection (properties.code names each area)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--skip-invalid", action="store_true", help="save the valid features, skip the others")
        parser.add_argument("--dry-run", action="store_true", help="check only, save nothing")
        parser.add_argument("--crs", choices=CRS_CHOICES, default=WGS84, help="coordinate system of the file")

    def handle(self, *args, file: Path, skip_invalid: bool, dry_run: bool, crs: str, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        report = boundaries_import(data=data, by=None, skip_invalid=skip_invalid, dry_run=dry_run, crs=crs)
        for error in report.file_errors:
            self.stderr.write(error)
        for item in report.features:
            for error in item.errors:
                self.stderr.write(f"#{item.number} {item.code or '—'} {item.name}: {error}")
            for warning in item.warnings:
                self.stdout.write(f"#{item.number} {item.code} {item.name}: {warning}")
        if report.file_errors or (report.failed and not skip_invalid):
            raise CommandError(f"nothing imported: {report.failed} of {len(report.features)} features have errors")
        verb = "checked" if dry_run else "imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.saved if not dry_run else len(report.features) - report.failed} {verb}, "
                f"{report.failed} skipped"
            )
        )
