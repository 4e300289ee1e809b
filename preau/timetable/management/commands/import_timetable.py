import json
import re
from datetime import date, time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from preau.core.models import Establishment
from preau.core.selectors import school_year_containing, school_year_on
from preau.timetable.importers import FORMATS, ImportOptions, ParseError, fet, read
from preau.timetable.report import render_report
from preau.timetable.services import (
    TimetableImportError,
    establishment_for_import,
    timetable_import,
)

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
        parser.add_argument(
            "--grid",
            type=_grid,
            help="FET : une plage HH:MM-HH:MM par heure FET, dans l'ordre (par défaut, lue "
            "dans les noms des heures quand ce sont des horaires).",
        )
        parser.add_argument(
            "--from",
            dest="start",
            type=_date,
            help="Première date (AAAA-MM-JJ) ; FET : par défaut, le début de l'année scolaire.",
        )
        parser.add_argument(
            "--to",
            dest="end",
            type=_date,
            help="Dernière date (AAAA-MM-JJ) ; FET : par défaut, la fin de l'année scolaire.",
        )
        parser.add_argument("--json", action="store_true", help="Le rapport en JSON.")

    def handle(
        self, *args, path, format, uai, dry_run, days, grid, start, end, json: bool, **options
    ):
        source_path = Path(path)
        if not source_path.exists():
            raise CommandError(f"{path} : fichier introuvable.")
        options = ImportOptions(uai=uai, days=days or [], grid=grid or [], start=start, end=end)
        try:
            # One transaction: a FET import creates the establishment before reading the
            # file (its calendar dates the weeks); a refused file leaves nothing behind.
            with transaction.atomic():
                created = False
                if format == "fet":
                    establishment, created = _fet_establishment(uai)
                elif uai:
                    establishment = Establishment.objects.filter(uai=uai.strip().upper()).first()
                else:
                    establishment = None
                if establishment is not None:
                    options.rules = establishment.school_calendar_rules()
                if format == "fet":
                    options.start, options.end = _fet_period(establishment, start, end)
                source = read(format, source_path, options)
                if created and source.establishment_name:
                    establishment.name = source.establishment_name[:200]
                    establishment.save(update_fields=["name"])
                report = timetable_import(
                    actor=None,
                    source=source,
                    file_name=source_path.name,
                    content=_content(format, source_path),
                    uai=uai,
                    dry_run=dry_run,
                    start=options.start,
                    end=options.end,
                )
                if dry_run:
                    transaction.set_rollback(True)
        except (ParseError, TimetableImportError) as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            # A school year the period would create clashes with one Préau has.
            raise CommandError("; ".join(error.messages)) from error
        if json:
            self.stdout.write(_json(report.as_dict()))
        else:
            self.stdout.write(render_report(report))


def _fet_establishment(uai: str | None) -> tuple[Establishment, bool]:
    """FET names no establishment: --uai says which, created when Préau does not know it
    yet (its name then comes from the file's <Institution_Name>)."""
    if not uai:
        raise CommandError("FET ne donne pas d'UAI : précisez --uai.")
    known = Establishment.objects.filter(uai=uai.strip().upper()).exists()
    return establishment_for_import(actor=None, uai=uai), not known


def _fet_period(establishment: Establishment, start: date | None, end: date | None):
    """The weeks to generate: --from and --to, else the establishment's school year (the
    one holding the date given, or today's, or the next one during the summer)."""
    if start and end:
        if end < start:
            raise CommandError(f"--to ({end}) précède --from ({start}).")
        return start, end
    day = start or end or timezone.localdate()
    year = school_year_containing(establishment, day)
    if year is None and not (start or end):
        year = school_year_on(establishment, day)
    if year is None:
        raise CommandError(
            f"FET n'a pas de dates et {establishment} n'a pas d'année scolaire "
            f"au {day:%d/%m/%Y} : précisez --from et --to."
        )
    return start or year.start_date, end or year.end_date


def _content(format: str, path: Path) -> bytes:
    """The bytes whose digest the import run keeps: the file, or FET's two files."""
    if format == "fet":
        try:
            return b"".join(part.read_bytes() for part in fet.source_files(path))
        except (ParseError, OSError):
            return b""
    return path.read_bytes() if path.is_file() else b""


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
