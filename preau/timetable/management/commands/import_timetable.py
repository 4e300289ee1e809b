import json
import re
from datetime import date, time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from preau.core.models import Establishment
from preau.timetable.importers import FORMATS, ImportOptions, ParseError, read
from preau.timetable.report import render_report
from preau.timetable.services import TimetableImportError, timetable_import

DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def _days(value: str) -> list[int]:
    try:
        return [DAYS[day.strip().lower()[:3]] for day in value.split(",") if day.strip()]
    except KeyError as error:
        raise CommandError(
            f"--days : jour inconnu {error} (mon,tue,wed,thu,fri,sat,sun)."
        ) from error


def _grid(value: str) -> list[tuple[time, time]]:
    ranges = []
    for part in value.split(","):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", part)
        if not match:
            raise CommandError(f"--grid : « {part} » n'est pas une plage HH:MM-HH:MM.")
        a, b, c, d = map(int, match.groups())
        ranges.append((time(a, b), time(c, d)))
    return ranges


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"« {value} » n'est pas une date AAAA-MM-JJ.") from error


class Command(BaseCommand):
    help = (
        "Importe un emploi du temps (EDT, FET, STS-Web emp_sts, UnDeuxTemps) et affiche le rapport."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Le fichier (ou le dossier FET) à importer.")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--uai", help="L'établissement (sinon celui que donne le fichier).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Affiche le rapport et les différences sans rien enregistrer.",
        )
        parser.add_argument("--days", type=_days, help="FET : jours de la semaine dans l'ordre.")
        parser.add_argument("--grid", type=_grid, help="FET : une plage horaire par heure FET.")
        parser.add_argument("--from", dest="start", type=_date, help="Première date (AAAA-MM-JJ).")
        parser.add_argument("--to", dest="end", type=_date, help="Dernière date (AAAA-MM-JJ).")
        parser.add_argument("--json", action="store_true", help="Le rapport en JSON.")

    def handle(
        self, *args, path, format, uai, dry_run, days, grid, start, end, json: bool, **options
    ):
        source_path = Path(path)
        if not source_path.exists():
            raise CommandError(f"{path} : fichier introuvable.")
        options = ImportOptions(uai=uai, days=days or [], grid=grid or [], start=start, end=end)
        if uai:
            establishment = Establishment.objects.filter(uai=uai.strip().upper()).first()
            if establishment is not None:
                options.rules = establishment.calendar_rules(
                    closures=[closure.as_rule() for closure in establishment.closures.all()]
                )
        try:
            source = read(format, source_path, options)
            report = timetable_import(
                actor=None,
                source=source,
                file_name=source_path.name,
                content=source_path.read_bytes() if source_path.is_file() else b"",
                uai=uai,
                dry_run=dry_run,
                start=start,
                end=end,
            )
        except (ParseError, TimetableImportError) as error:
            raise CommandError(str(error)) from error
        if json:
            self.stdout.write(_json(report.as_dict()))
        else:
            self.stdout.write(render_report(report))


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
