from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from preau.attendance.importing import AbsenceImportError, absences_import, read_csv
from preau.core.models import Establishment


class Command(BaseCommand):
    help = (
        "Importe des absences et des retards depuis un fichier CSV "
        "(pupil,start,end,kind,state,reason) : tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Le fichier CSV (virgules ou points-virgules).")
        parser.add_argument("--uai", required=True, help="L'établissement.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Vérifie le fichier et affiche ce qui serait enregistré, sans rien écrire.",
        )

    def handle(self, *args, path, uai, dry_run, **options):
        establishment = Establishment.objects.filter(uai=uai.strip().upper()).first()
        if establishment is None:
            raise CommandError(f"Aucun établissement d'UAI {uai}.")
        path = Path(path)
        try:
            lines = read_csv(path)
            result = absences_import(
                actor=None,
                establishment=establishment,
                lines=lines,
                name=path.name,
                dry_run=dry_run,
            )
        except AbsenceImportError as error:
            raise CommandError(f"Rien n'a été importé.\n{error}") from error
        counts = result.counts()
        if dry_run:
            for item in result.written:
                self.stdout.write(f"à écrire, {item.describe()}")
            for item in result.already_there:
                self.stdout.write(f"déjà importée, {item.describe()}")
        verb = "seraient importés" if dry_run else "importés"
        self.stdout.write(
            f"{establishment} : {counts['absences']} absences et {counts['lateness']} retards "
            f"{verb}, {counts['already_there']} lignes déjà importées laissées telles quelles."
        )
        if dry_run:
            self.stdout.write("Simulation : rien n'a été enregistré.")
