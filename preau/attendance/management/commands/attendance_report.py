import csv
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from preau.attendance import reports
from preau.attendance.services import policy_for
from preau.core.models import Establishment


def _month(value: str) -> date:
    try:
        return datetime.strptime(value.strip(), "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"--month : « {value} » n'est pas un mois AAAA-MM.") from error


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise CommandError(f"--as-of : « {value} » n'est pas une date AAAA-MM-JJ.") from error


class Command(BaseCommand):
    help = (
        "Écrit les demi-journées d'absence d'un mois pour chaque élève, la liste L131-8 et "
        "le taux d'absentéisme."
    )

    def add_arguments(self, parser):
        parser.add_argument("--uai", required=True)
        parser.add_argument("--month", required=True, type=_month, help="AAAA-MM")
        parser.add_argument("--format", required=True, choices=["json", "csv"])
        parser.add_argument(
            "--as-of",
            dest="as_of",
            type=_day,
            help="AAAA-MM-JJ : les états des absences tels qu'ils étaient ce jour-là au soir.",
        )

    def handle(self, *args, uai, month, format, as_of, **options):
        establishment = Establishment.objects.filter(uai=uai.strip().upper()).first()
        if establishment is None:
            raise CommandError(f"Aucun établissement d'UAI {uai}.")
        moment = None
        if as_of is not None:
            moment = datetime.combine(as_of, time.max, tzinfo=ZoneInfo(establishment.timezone))
        figures = reports.month_figures(establishment, month, as_of=moment)
        threshold = policy_for(establishment).referral_threshold
        refs = reports.pupil_refs(establishment, [f.pupil_id for f in figures])
        figures.sort(key=lambda f: refs[f.pupil_id])
        listed = [refs[f.pupil_id] for f in figures if f.unjustified_half_days >= threshold]
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(
                ["pupil", "half_days", "unjustified_half_days", "lateness", "level", "l131_8"]
            )
            for f in figures:
                writer.writerow(
                    [
                        refs[f.pupil_id],
                        f.half_days,
                        f.unjustified_half_days,
                        f.lateness,
                        f.level or "",
                        int(f.unjustified_half_days >= threshold),
                    ]
                )
            return
        rate = reports.rate_of(figures)
        document = {
            "month": f"{month:%Y-%m}",
            "pupils": [
                {
                    "pupil": refs[f.pupil_id],
                    "half_days": f.half_days,
                    "unjustified_half_days": f.unjustified_half_days,
                    "lateness": f.lateness,
                }
                for f in figures
            ],
            "l131_8": listed,
            "rate": float(rate) if rate is not None else None,
        }
        self.stdout.write(json.dumps(document, ensure_ascii=False))
