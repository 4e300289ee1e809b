"""The collège the results tests talk about (no test here: the other test_results_*
modules use it).

Two trimesters: T1 holds today (the page's default), T2 follows. 3A and 3B (level 3e)
and 4A. Mme Roux teaches maths to 3A; M. Petit teaches français to 3A and 3B and maths
to 3B (the same subject as 3A's maths); Mme Blanc teaches 4A only. The direction, a
CPE, a parent of a 3A pupil, and a teacher of a lycée next door.

3A's marks in T1 (the worked case of the tests):
  maths   Devoir 1 /20 c1: Alice 12, Bruno 16, Chloé ABS
          Devoir 2 /10 c2: Alice 5,  Bruno ABS0, Chloé 8
  français Dictée /20 c1:  Alice 9,  Bruno 14, Chloé 11
with maths at coefficient 3 for the level (français 1).
"""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils.http import urlencode

from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.grades.models import SubjectCoefficient
from preau.structure.models import Level
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    grading_period,
    guardian_account,
    mark,
    pupil_in,
    staff_account,
)


def results_url(**params) -> str:
    url = reverse("grades:results")
    return f"{url}?{urlencode(params)}" if params else url


class ResultsSchool:
    def __init__(self):
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.t1 = grading_period(
            self.year, number=1, end_date=today() + timedelta(days=10), label="Trimestre 1"
        )
        self.t2 = grading_period(
            self.year, number=2, start_date=today() + timedelta(days=11), label="Trimestre 2"
        )
        self.a3 = DivisionFactory(school_year=self.year, name="3A", level=Level.TROISIEME)
        self.b3 = DivisionFactory(school_year=self.year, name="3B", level=Level.TROISIEME)
        self.a4 = DivisionFactory(school_year=self.year, name="4A", level=Level.QUATRIEME)

        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.roux = staff_account(self.establishment, RoleKind.TEACHER, last_name="Roux")
        self.petit = staff_account(self.establishment, RoleKind.TEACHER, last_name="Petit")
        self.blanc = staff_account(self.establishment, RoleKind.TEACHER, last_name="Blanc")

        self.maths_subject = SubjectFactory(establishment=self.establishment, label="Maths")
        self.french_subject = SubjectFactory(establishment=self.establishment, label="Français")
        self.maths = division_service(self.a3, self.roux.person, subject=self.maths_subject)
        self.french = division_service(self.a3, self.petit.person, subject=self.french_subject)
        self.maths_b = division_service(self.b3, self.petit.person, subject=self.maths_subject)
        self.french_b = division_service(self.b3, self.petit.person, subject=self.french_subject)
        self.maths_4 = division_service(self.a4, self.blanc.person, subject=self.maths_subject)
        SubjectCoefficient.objects.create(
            establishment=self.establishment,
            school_year=self.year,
            subject=self.maths_subject,
            level=Level.TROISIEME,
            coefficient=Decimal(3),
        )

        self.alice = pupil_in(self.a3, first_name="Alice", last_name="Arnaud")
        self.bruno = pupil_in(self.a3, first_name="Bruno", last_name="Bernard")
        self.chloe = pupil_in(self.a3, first_name="Chloé", last_name="Clément")
        self.parent = guardian_account(self.alice)

        self.lycee = DivisionFactory(name="3A")
        self.stranger = staff_account(self.lycee.establishment, RoleKind.TEACHER)
        division_service(self.lycee, self.stranger.person)

    def evaluation(self, service, period=None, **fields):
        return EvaluationFactory(service=service, period=period or self.t1, **fields)

    def marks(self, evaluation, **by_name):
        for name, text in by_name.items():
            mark(evaluation, getattr(self, name), text)

    def worked_case(self):
        """3A's T1 marks of the module docstring."""
        self.d1 = self.evaluation(self.maths, title="Devoir 1")
        self.marks(self.d1, alice="12", bruno="16", chloe="ABS")
        self.d2 = self.evaluation(self.maths, title="Devoir 2", scale=Decimal(10), coefficient=2)
        self.marks(self.d2, alice="5", bruno="ABS0", chloe="8")
        self.dictee = self.evaluation(self.french, title="Dictée")
        self.marks(self.dictee, alice="9", bruno="14", chloe="11")
