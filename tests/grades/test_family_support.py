"""The family the grades family-page tests talk about (no test here).

Emma Roche is in 3A of a collège, with her own account. Her parents are separated,
each with their own account: both legal guardians. Her grandmother looks after her
(level 2, "personne en charge"). Hugo is in 3A too, followed by another parent. Léa,
18, is in 3A with her own account and her mother's. Zoé is in 3B.

The first trimester holds today. In mathematics Emma had 18/20, 3/10 and 1/5, all
brought to /20 (grades.md's first worked case: 9,33); Hugo 10/20, 5/10 and 2,5/5 (10).
In French Emma had 12 and 16 and a bonus 17 (17,5).
"""

from datetime import timedelta
from decimal import Decimal

from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.grades.models import GradesPolicy
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
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


def days_ago(days: int):
    return today() - timedelta(days=days)


class Family:
    def __init__(self):
        # Persons numbered apart: a page taking one id for another fails.
        PersonFactory.create_batch(3)
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.t1 = grading_period(
            self.year, number=1, end_date=today() + timedelta(days=20), label="Trimestre 1"
        )
        self.t2 = grading_period(
            self.year,
            number=2,
            start_date=today() + timedelta(days=21),
            end_date=today() + timedelta(days=120),
            label="Trimestre 2",
        )
        self.a3 = DivisionFactory(school_year=self.year, name="3A")
        self.b3 = DivisionFactory(school_year=self.year, name="3B")
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER)
        self.maths = division_service(
            self.a3,
            self.teacher.person,
            subject=SubjectFactory(establishment=self.establishment, label="Mathématiques"),
        )
        self.french = division_service(
            self.a3,
            self.teacher.person,
            subject=SubjectFactory(establishment=self.establishment, label="Français"),
        )
        self.other_maths = division_service(
            self.b3,
            self.teacher.person,
            subject=SubjectFactory(establishment=self.establishment, label="Physique"),
        )

        self.emma = pupil_in(self.a3, account=True, first_name="Emma", last_name="Roche")
        self.mother = guardian_account(self.emma)
        self.father = guardian_account(self.emma)
        self.grandmother = guardian_account(self.emma, level=2)
        self.hugo = pupil_in(self.a3, first_name="Hugo")
        self.hugo_parent = guardian_account(self.hugo)
        self.lea = pupil_in(self.a3, account=True, first_name="Léa", last_name="Martin")
        self.lea_mother = guardian_account(self.lea)
        self.zoe = pupil_in(self.b3, first_name="Zoé")

        self.control = self.evaluation(self.maths, "Contrôle de géométrie", days=10)
        self.quiz = self.evaluation(self.maths, "Interrogation écrite", days=9, scale=10)
        self.flash = self.evaluation(self.maths, "Question flash", days=8, scale=5)
        for evaluation, emma, hugo in (
            (self.control, "18", "10"),
            (self.quiz, "3", "5"),
            (self.flash, "1", "2,5"),
        ):
            mark(evaluation, self.emma, emma)
            mark(evaluation, self.hugo, hugo)
        self.essay = self.evaluation(self.french, "Rédaction", days=7)
        self.dictation = self.evaluation(self.french, "Dictée", days=6)
        self.reading = self.evaluation(self.french, "Lecture bonus", days=5, kind="bonus")
        mark(self.essay, self.emma, "12")
        mark(self.dictation, self.emma, "16")
        mark(self.reading, self.emma, "17")
        mark(self.essay, self.hugo, "ABS")

    def evaluation(self, service, title: str, *, days: int, published: int | None = None, **f):
        """An evaluation set `days` ago, published `published` days ago (the same day by
        default), in the first trimester."""
        return EvaluationFactory(
            service=service,
            period=self.t1,
            title=title,
            date=days_ago(days),
            published_on=days_ago(days if published is None else published),
            scale=Decimal(f.pop("scale", 20)),
            **f,
        )

    def policy(self, **fields) -> GradesPolicy:
        policy, _created = GradesPolicy.objects.get_or_create(establishment=self.establishment)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.save()
        return policy

    def account(self, name: str):
        """The account of the person the test names ("mother", "emma", "teacher")."""
        who = getattr(self, name)
        return who.account if hasattr(who, "birth_date") else who
