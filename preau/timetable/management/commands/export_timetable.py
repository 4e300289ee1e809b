from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from preau.core.models import Establishment, IdentifiedAs
from preau.core.selectors import UnknownReference, person_by_ref
from preau.structure.models import Division
from preau.timetable import selectors
from preau.timetable.ics import to_ics
from preau.timetable.models import Occurrence, Room
from preau.timetable.resolve import fold


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"« {value} » n'est pas une date AAAA-MM-JJ.") from error


class Command(BaseCommand):
    help = (
        "Écrit sur la sortie standard, au format iCalendar, l'emploi du temps d'un élève, "
        "d'un enseignant, d'une classe, d'une salle ou d'un ensemble d'élèves FET."
    )

    def add_arguments(self, parser):
        parser.add_argument("--uai", required=True)
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--pupil", help="SOURCE:ID, par exemple edt:12 ou ine:…")
        who.add_argument("--teacher", help="SOURCE:ID, par exemple edt:4 ou fet:<nom>")
        who.add_argument("--division", help="Le nom de la classe.")
        who.add_argument("--room", help="Le nom de la salle.")
        who.add_argument(
            "--students-set",
            dest="students_set",
            help="FET : une année, un groupe ou un sous-groupe.",
        )
        parser.add_argument("--from", dest="start", type=_date)
        parser.add_argument("--to", dest="end", type=_date)
        parser.add_argument("--format", required=True, choices=["ics"])

    def handle(
        self,
        *args,
        uai,
        pupil,
        teacher,
        division,
        room,
        students_set,
        start,
        end,
        format,
        **options,
    ):
        establishment = Establishment.objects.filter(uai=uai.strip().upper()).first()
        if establishment is None:
            raise CommandError(f"Aucun établissement d'UAI {uai}.")
        bounds = Occurrence.objects.filter(establishment=establishment).aggregate(
            first=Min("date"), last=Max("date")
        )
        start = start or bounds["first"] or date.today()
        end = end or bounds["last"] or start
        try:
            occurrences, name = self._occurrences(
                establishment, pupil, teacher, division, room, students_set, start, end
            )
        except UnknownReference as error:
            raise CommandError(str(error)) from error
        self.stdout.write(to_ics(occurrences, uai=establishment.uai, name=name).decode(), ending="")

    def _occurrences(self, establishment, pupil, teacher, division, room, students_set, start, end):
        if pupil:
            person = person_by_ref(pupil, establishment=establishment, kind=IdentifiedAs.PUPIL)
            return selectors.pupil_occurrences(person.pk, start, end), person.display_name
        if teacher:
            person = person_by_ref(teacher, establishment=establishment, kind=IdentifiedAs.TEACHER)
            return (
                selectors.teacher_occurrences(person.pk, start, end, establishment.pk),
                person.display_name,
            )
        if division:
            found = [
                d
                for d in Division.objects.filter(establishment=establishment)
                if fold(d.name) == fold(division)
            ]
            if not found:
                raise CommandError(f"Aucune classe « {division} » dans {establishment}.")
            return selectors.division_occurrences(found[0], start, end), found[0].name
        if room:
            found = [
                r
                for r in Room.objects.filter(establishment=establishment)
                if fold(r.name) == fold(room)
            ]
            if not found:
                raise CommandError(f"Aucune salle « {room} » dans {establishment}.")
            return selectors.room_occurrences(found[0].pk, start, end), found[0].name
        return selectors.students_set_occurrences(
            establishment, students_set, start, end
        ), students_set
