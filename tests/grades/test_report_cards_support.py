"""The class the report card and conseil de classe tests talk about (no test here).

2de 3 of the Lycée Jean Moulin, trimester 1 (the whole school year in the tests). Mme
Bernard is its head teacher and teaches French; M. Petit teaches maths (coefficient
3 for the division); M. Roux teaches history-geography, in two sub-subjects (histoire
coefficient 2, géographie coefficient 1); M. Durand teaches maths in another division
only. Emma Roche (12, with her own account; her parents are separated, both legal
guardians with an account; her grandmother is a level-2 contact), Hugo Lambert, Léa
Martin (18, who objected to her mother seeing her grades and report cards; her father
sees them).

Marks (all /20, coefficient 1 unless said):
- maths: DS1 coef 2: Emma 12, Hugo 16, Léa ABS; DM: Emma 18, Hugo 8, Léa 14;
  bonus interro: Emma 17, Hugo 9, Léa 12.
  Emma: (2·12 + 18)/3 = 14 + bonus (17−10)/3 → 49/3 = 16.333…;
  Hugo: (32 + 8)/3 = 13.333…; Léa: 14 + 2/1 = 16.
- French: rédaction: Emma 11, Hugo NR0, Léa 15.
- history-geography: histoire Emma 13, Hugo 10, Léa 17; géographie Emma 16, Hugo 12,
  Léa 9 → Emma (2·13 + 16)/3 = 14, Hugo 32/3, Léa 43/3.
Emma was absent (unjustified) from maths on a Monday at 08:00, absent with an accepted
reason on the Tuesday morning, and 10 minutes late for French on the Monday at 10:00.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from preau.attendance import services as attendance
from preau.attendance.models import AbsenceKind, AbsenceSource, AbsenceState
from preau.core.models import Guardianship, RoleKind
from preau.core.selectors import today
from preau.grades.models import Evaluation, SubjectCoefficient, SubSubject
from preau.structure.models import Level
from tests.factories import (
    DivisionFactory,
    EstablishmentFactory,
    OccurrenceFactory,
    PersonFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    grading_period,
    guardian_account,
    mark,
    pupil_in,
    staff_account,
)


def last_monday() -> date:
    day = today() - timedelta(days=7)
    return day - timedelta(days=day.weekday())


def years_ago(years: int) -> date:
    day = today()
    return day.replace(year=day.year - years) - timedelta(days=1)


class Lycee:
    def __init__(self, *, absences: bool = True):
        # Persons numbered apart from accounts: a page taking one id for the other fails.
        PersonFactory.create_batch(3)
        self.establishment = EstablishmentFactory(name="Lycée Jean Moulin", kind="lycee")
        self.year = SchoolYearFactory(establishment=self.establishment)
        self.period = grading_period(self.year, label="Trimestre 1")
        self.division = DivisionFactory(school_year=self.year, name="2de 3", level=Level.SECONDE)
        self.other_division = DivisionFactory(
            school_year=self.year, name="2de 4", level=Level.SECONDE
        )
        self.head = staff_account(
            self.establishment, RoleKind.TEACHER, last_name="Bernard", civility="MME"
        )
        self.division.head_teachers.add(self.head.person)
        self.maths_teacher = staff_account(self.establishment, last_name="Petit", civility="M")
        self.history_teacher = staff_account(self.establishment, last_name="Roux", civility="M")
        self.stranger = staff_account(self.establishment, last_name="Durand")
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION, last_name="Leroy")
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)

        self.maths_subject = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.french_subject = SubjectFactory(establishment=self.establishment, label="Français")
        self.history_subject = SubjectFactory(
            establishment=self.establishment, label="Histoire-géographie"
        )
        self.maths = division_service(
            self.division, self.maths_teacher.person, subject=self.maths_subject
        )
        self.french = division_service(self.division, self.head.person, subject=self.french_subject)
        self.history = division_service(
            self.division, self.history_teacher.person, subject=self.history_subject
        )
        self.elsewhere = division_service(
            self.other_division, self.stranger.person, subject=self.maths_subject
        )
        SubjectCoefficient.objects.create(
            establishment=self.establishment,
            school_year=self.year,
            subject=self.maths_subject,
            division=self.division,
            coefficient=Decimal(3),
        )
        self.histoire = SubSubject.objects.create(
            service=self.history, code="HIST", label="Histoire", coefficient=Decimal(2)
        )
        self.geographie = SubSubject.objects.create(
            service=self.history, code="GEO", label="Géographie", coefficient=Decimal(1)
        )

        self.emma = pupil_in(
            self.division,
            account=True,
            first_name="Emma",
            last_name="Roche",
            birth_date=years_ago(12),
        )
        self.mother = guardian_account(self.emma)
        self.father = guardian_account(self.emma)
        self.grandmother = guardian_account(self.emma, level=2)
        self.hugo = pupil_in(self.division, first_name="Hugo", last_name="Lambert")
        self.hugo_parent = guardian_account(self.hugo)
        self.lea = pupil_in(
            self.division,
            account=True,
            first_name="Léa",
            last_name="Martin",
            birth_date=years_ago(18),
        )
        self.lea_mother = guardian_account(self.lea)
        self.lea_father = guardian_account(self.lea)
        Guardianship.objects.filter(guardian=self.lea_mother.person, pupil=self.lea).update(
            adult_objection_at=timezone.now() - timedelta(days=3)
        )

        ds1 = self.evaluation(self.maths, "DS 1", coefficient=2)
        dm = self.evaluation(self.maths, "DM")
        bonus = self.evaluation(self.maths, "Interrogation bonus", kind="bonus")
        redaction = self.evaluation(self.french, "Rédaction")
        hist = self.evaluation(self.history, "Histoire", sub_subject=self.histoire)
        geo = self.evaluation(self.history, "Géographie", sub_subject=self.geographie)
        table = {
            ds1: ("12", "16", "ABS"),
            dm: ("18", "8", "14"),
            bonus: ("17", "9", "12"),
            redaction: ("11", "NR0", "15"),
            hist: ("13", "10", "17"),
            geo: ("16", "12", "9"),
        }
        for evaluation, texts in table.items():
            for pupil, text in zip((self.emma, self.hugo, self.lea), texts, strict=True):
                mark(evaluation, pupil, text)

        if absences:
            attendance.reasons_ensure(self.establishment)
            monday = last_monday()
            maths_monday = self.session(monday, 8, self.maths_subject)
            french_monday = self.session(monday, 10, self.french_subject)
            tuesday = self.session(monday + timedelta(days=1), 8, self.maths_subject)
            self.absence(self.emma, maths_monday)
            self.absence(self.emma, french_monday, minutes_late=10)
            self.absence(self.emma, tuesday, state=AbsenceState.ACCEPTED)

    def evaluation(self, service, title, **fields) -> Evaluation:
        day = today() - timedelta(days=10)
        return Evaluation.objects.create(
            establishment=self.establishment,
            service=service,
            period=self.period,
            title=title,
            date=day,
            published_on=day,
            **fields,
        )

    def session(self, day: date, hour: int, subject):
        return OccurrenceFactory(
            school_year=self.year,
            date=day,
            hour=hour,
            subject=subject,
            divisions=[self.division],
        )

    def absence(self, pupil, occurrence, *, minutes_late: int | None = None, **fields):
        if minutes_late:
            fields.update(
                kind=AbsenceKind.LATENESS,
                minutes_late=minutes_late,
                end=occurrence.start + timedelta(minutes=minutes_late),
            )
        return attendance.absence_create(
            actor=None,
            establishment=self.establishment,
            pupil=pupil,
            start=occurrence.start,
            end=fields.pop("end", occurrence.end),
            occurrence=occurrence,
            source=AbsenceSource.ROLL_CALL,
            notify=False,
            **fields,
        )
