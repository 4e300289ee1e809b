import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from preau.grades.calc import CalcError, calculate


class Command(BaseCommand):
    help = (
        "Calcule les moyennes d'un document JSON (interfaces.md) lu dans PATH ou sur "
        "l'entrée standard, et écrit le résultat JSON. Sans base de données."
    )
    requires_system_checks: list = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Fichier JSON (par défaut l'entrée standard).")

    def handle(self, *args, path: str | None, **options):
        name = path or "<stdin>"
        try:
            text = Path(path).read_text(encoding="utf-8") if path else sys.stdin.read()
        except OSError as error:
            raise CommandError(f"{name}: {error.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{name}: line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        try:
            result = calculate(data)
        except CalcError as error:
            raise CommandError(f"{name}: {error}") from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
