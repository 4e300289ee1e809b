from django.core.management.base import BaseCommand, CommandError

from preau.devtools.demo import DEMO_ACCOUNTS, PASSWORD, build_demo, demo_exists


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration : un collège et un lycée de Metz, leurs élèves, "
        "familles, enseignants et personnels, et les comptes de démonstration."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien faire si les données de démonstration sont déjà chargées.",
        )
        parser.add_argument(
            "--small",
            action="store_true",
            help="Une version réduite (quelques élèves par classe), pour les tests.",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Graine du hasard (2026).")

    def handle(self, *args, if_empty: bool, small: bool, seed: int, **options):
        if demo_exists():
            if if_empty:
                self.stdout.write("Les données de démonstration sont déjà chargées.")
                self._accounts()
                return
            raise CommandError(
                "Les données de démonstration sont déjà chargées (--if-empty pour ne rien faire)."
            )
        summary = build_demo(small=small, seed=seed)
        work = summary.homework
        homework = (
            f", {work.contents} contenus de séance, {work.homework} travaux à faire" if work else ""
        )
        homework_seconds = f", {work.seconds:.1f} s pour le cahier de textes" if work else ""
        self.stdout.write(
            f"Démonstration chargée en {summary.seconds:.1f} s : "
            f"{summary.establishments} établissements, {summary.divisions} classes, "
            f"{summary.groups} groupes, {summary.pupils} élèves dont {summary.adult_pupils} "
            f"majeurs, {summary.guardians} responsables, {summary.teachers} enseignants, "
            f"{summary.staff} autres personnels, {summary.accounts} comptes, "
            f"{summary.occurrences} séances d'emploi du temps, {summary.roll_calls} appels, "
            f"{summary.absences} absences, {summary.evaluations} devoirs, {summary.marks} notes"
            f"{homework}, {summary.messages} messages "
            f"(dont {summary.timetable_seconds:.1f} s pour les emplois du temps, "
            f"{summary.attendance_seconds:.1f} s pour les absences, "
            f"{summary.grades_seconds:.1f} s pour les notes{homework_seconds} et "
            f"{summary.messaging_seconds:.1f} s pour les messages)."
        )
        if summary.unplaced_sessions:
            self.stderr.write(
                f"Attention : {summary.unplaced_sessions} séance(s) hebdomadaire(s) n'ont pas "
                "trouvé de place dans la grille (voir preau/devtools/demo_timetable.py)."
            )
        self._accounts()

    def _accounts(self) -> None:
        self.stdout.write(f"Comptes de démonstration (mot de passe « {PASSWORD} ») :")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.login:<12} {account.who}")
