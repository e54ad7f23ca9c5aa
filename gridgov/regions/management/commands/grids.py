import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from gridgov.common.errors import ValidationFailed
from gridgov.regions import io
from gridgov.regions.models import Layer, Region
from gridgov.regions.validation import grid_validation_report


class Command(BaseCommand):
    help = "Territory data: import/export GeoJSON, validate grids."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Load regions (or a layer's grids) from a GeoJSON FeatureCollection")
        imp.add_argument("file")
        imp.add_argument("--layer", default="", help="Layer code for thematic/merged layer grids (default: base)")
        imp.add_argument("--effective-date", type=dt.date.fromisoformat, default=None)
        imp.add_argument("--dry-run", action="store_true")
        exp = sub.add_parser("export", help="Write regions (or a layer's grids) as GeoJSON")
        exp.add_argument("--layer", default="")
        exp.add_argument("--level", default="")
        exp.add_argument("--output", "-o", default="-")
        sub.add_parser("validate", help="Report overlaps, gaps, crossings and grids outside the size standard")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationFailed as exc:
            raise CommandError(str(exc.message)) from exc

    def _layer(self, code):
        layer = Layer.objects.filter(code=code).first()
        if layer is None:
            raise CommandError(f"no layer has the code {code!r}")
        return layer

    def _import(self, file, layer, effective_date, dry_run, **_):
        try:
            with open(file, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        if layer and self._layer(layer).kind != "base":
            result = io.layer_import(actor=None, layer=self._layer(layer), raw=raw, dry_run=dry_run)
        else:
            result = io.territory_import(actor=None, raw=raw, effective_date=effective_date, dry_run=dry_run)
        for err in result.errors:
            self.stderr.write(f"feature {err['index']} ({err.get('code') or '-'}): {err.get('field') or ''}: "
                              f"{err['message']}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} bad features; nothing was loaded")
        verb = "would be " if dry_run else ""
        self.stdout.write(f"{len(result.created)} {verb}created, {len(result.updated)} {verb}updated, "
                          f"{len(result.unchanged)} unchanged")

    def _export(self, layer, level, output, **_):
        if layer and self._layer(layer).kind != "base":
            lay = self._layer(layer)
            data = io.layer_export(layer=lay, grids=lay.grids.all())
        else:
            qs = Region.objects.current()
            if level:
                qs = qs.filter(level=level)
            data = io.territory_export(regions=qs)
        text = json.dumps(data, ensure_ascii=False)
        if output == "-":
            sys.stdout.write(text + "\n")
        else:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stderr.write(f"{len(data['features'])} features written to {output}")

    def _validate(self, **_):
        report = grid_validation_report(regions_qs=Region.objects.all())
        for f in report.findings:
            self.stdout.write(f"[{f.kind}] {f.message} {f.suggestion}")
        self.stdout.write(f"{report.checked} regions checked: {report.counts() or 'no findings'}")
