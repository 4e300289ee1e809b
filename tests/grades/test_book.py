"""The class book: the subject coefficients chosen, the averages equal to the engine's
on the same marks, what a family sees by publication date, the periods, and a fixed
number of queries whatever the size of the class."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction as F

import pytest

from preau.core.models import GradingPeriod
from preau.core.selectors import today
from preau.grades import engine
from preau.grades.models import Evaluation, GradesPolicy, SubjectCoefficient, SubSubject
from preau.grades.selectors.book import class_book, coefficient_of, division_periods, period_on
from preau.structure.models import Division, Level
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    GroupFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    grading_period,
    group_service,
    mark,
    pupil_in,
    staff_account,
)

# -- coefficient_of --------------------------------------------------------------------------

DIVISION = Division(pk=7, level=Level.TROISIEME)
PERIOD = 11


def row(coefficient, *, division=None, level="", period=None, subject=1):
    return SubjectCoefficient(
        subject_id=subject,
        division_id=division,
        level=level,
        period_id=period,
        coefficient=Decimal(coefficient),
    )


DIVISION_PERIOD = row("5", division=7, period=PERIOD)
DIVISION_ONLY = row("4", division=7)
LEVEL_PERIOD = row("3", level=Level.TROISIEME, period=PERIOD)
LEVEL_ONLY = row("2", level=Level.TROISIEME)
# Rows that never apply: another subject, division, level or period.
NOISE = [
    row("9", division=7, period=PERIOD, subject=2),
    row("9", division=8, period=PERIOD),
    row("9", division=8),
    row("9", level=Level.QUATRIEME, period=PERIOD),
    row("9", level=Level.QUATRIEME),
    row("9", division=7, period=12),
    row("9", level=Level.TROISIEME, period=12),
]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([DIVISION_PERIOD, DIVISION_ONLY, LEVEL_PERIOD, LEVEL_ONLY], F(5)),
        ([LEVEL_ONLY, LEVEL_PERIOD, DIVISION_ONLY, DIVISION_PERIOD], F(5)),
        ([DIVISION_ONLY, LEVEL_PERIOD, LEVEL_ONLY], F(4)),
        ([LEVEL_ONLY, LEVEL_PERIOD], F(3)),
        ([LEVEL_PERIOD, LEVEL_ONLY], F(3)),
        ([LEVEL_ONLY], F(2)),
        ([], F(1)),
        ([row("0", division=7)], F(0)),
        ([row("1.5", level=Level.TROISIEME)], F(3, 2)),
    ],
)
def test_coefficient_of_takes_the_most_precise_row(rows, expected):
    assert coefficient_of(rows + NOISE, subject_id=1, division=DIVISION, period_id=PERIOD) == (
        expected
    )
    assert coefficient_of(NOISE + rows, subject_id=1, division=DIVISION, period_id=PERIOD) == (
        expected
    )


# -- Periods ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_division_periods_and_period_on():
    year = SchoolYearFactory(start_date=date(2025, 9, 1), end_date=date(2026, 7, 4))
    division = DivisionFactory(school_year=year, period_scheme="semesters")
    t1 = grading_period(year, number=1, end_date=date(2025, 11, 30))
    grading_period(year, number=2, start_date=date(2025, 12, 1), end_date=date(2026, 3, 1))
    s2 = grading_period(
        year,
        number=2,
        scheme="semesters",
        label="Semestre 2",
        start_date=date(2026, 2, 2),
        end_date=date(2026, 6, 30),
    )
    s1 = grading_period(
        year,
        number=1,
        scheme="semesters",
        label="Semestre 1",
        start_date=date(2025, 9, 1),
        end_date=date(2026, 1, 24),
    )
    periods = division_periods(division)
    assert periods == [s1, s2]
    assert t1 not in periods
    assert division_periods(DivisionFactory(school_year=year))[0] == t1
    assert period_on(periods, date(2025, 10, 1)) == s1
    assert period_on(periods, date(2026, 1, 24)) == s1
    assert period_on(periods, date(2026, 2, 2)) == s2
    # Between two periods: the one just ended.
    assert period_on(periods, date(2026, 1, 30)) == s1
    # Before the first: the first; after the last (summer): the last.
    assert period_on(periods, date(2025, 8, 20)) == s1
    assert period_on(periods, date(2026, 7, 14)) == s2
    assert period_on([], date(2026, 1, 1)) is None


# -- A built class ---------------------------------------------------------------------------


class Built:
    """3A with two division services (MATH; FR with sub-subjects ECRIT/ORAL) and an LV2
    group service mixing 3A and 3B, with coefficients and marks."""

    def __init__(self, size=3, others=2):
        self.division = DivisionFactory()
        year = self.division.school_year
        est = self.division.establishment
        self.other = DivisionFactory(school_year=year)
        self.teacher = staff_account(est)
        self.period = grading_period(year)
        self.pupils = [pupil_in(self.division) for _ in range(size)]
        self.others = [pupil_in(self.other) for _ in range(others)]
        math = SubjectFactory(establishment=est, label="Mathématiques")
        french = SubjectFactory(establishment=est, label="Français")
        german = SubjectFactory(establishment=est, label="Allemand")
        self.math = division_service(self.division, self.teacher.person, subject=math)
        self.fr = division_service(self.division, self.teacher.person, subject=french)
        group = GroupFactory(school_year=year, divisions=[self.division, self.other])
        self.lv2 = group_service(group, self.teacher.person, subject=german)
        # A service of 3B alone is not in 3A's book.
        division_service(self.other, self.teacher.person)
        self.written = SubSubject.objects.create(
            service=self.fr, code="ECRIT", label="Écrit", coefficient=Decimal(2)
        )
        self.oral = SubSubject.objects.create(
            service=self.fr, code="ORAL", label="Oral", coefficient=Decimal(1)
        )
        # MATH 3 for 3A in this period, over 4 for 3A and 2 for the level; FR 2 for the
        # level; LV2 1 (nothing set).
        for coefficient, where in (
            ("3", {"division": self.division, "period": self.period}),
            ("4", {"division": self.division}),
            ("2", {"level": Level.TROISIEME}),
        ):
            SubjectCoefficient.objects.create(
                establishment=est,
                school_year=year,
                subject=math,
                coefficient=Decimal(coefficient),
                **where,
            )
        SubjectCoefficient.objects.create(
            establishment=est,
            school_year=year,
            subject=french,
            level=Level.TROISIEME,
            coefficient=Decimal(2),
        )
        ev = self.evaluation
        self.m1 = ev(self.math)
        self.m2 = ev(self.math, scale=Decimal(10), coefficient=Decimal(2))
        self.m3 = ev(self.math, kind="bonus")
        self.f1 = ev(self.fr, sub_subject=self.written)
        self.f2 = ev(self.fr, sub_subject=self.oral)
        self.f3 = ev(self.fr, sub_subject=self.written, scale=Decimal(40), bring_to_20=False)
        self.g1 = ev(self.lv2)
        self.g2 = ev(self.lv2, kind="optional")
        marks_of = {
            self.m1: ["12", "ABS", "7,5"],
            self.m2: ["8", "5", "NR0"],
            self.m3: ["16", "9", "ABS"],
            self.f1: ["14", "10", "DISP"],
            self.f2: ["16", "ABS", "11"],
            self.f3: ["30", "22", "36"],
            self.g1: ["15", "6", None],
            self.g2: ["18", "4", None],
        }
        texts = ["2", "9", "4,5", "ABS0", "7,25", "3"]  # on every scale used
        for evaluation, values in marks_of.items():
            for index, pupil in enumerate(self.pupils):
                text = values[index % len(values)]
                # Each pupil's marks differ a little beyond the first three.
                if index >= 3 and text and text[0].isdigit():
                    text = texts[index % len(texts)]
                if text is not None:
                    mark(evaluation, pupil, text)
        # The pupils of 3B in LV2.
        for pupil, (first, second) in zip(self.others, [("20", "19"), ("ABS0", "2")], strict=False):
            mark(self.g1, pupil, first)
            mark(self.g2, pupil, second)

    def evaluation(self, service, **fields):
        return EvaluationFactory(service=service, period=self.period, **fields)

    def engine_results(self, published_by=None):
        """The engine on the same marks, built by hand from the database rows."""
        subjects = []
        for service, coefficient, subs in (
            (self.math, F(3), {}),
            (self.fr, F(2), {self.written.pk: F(2), self.oral.pk: F(1)}),
            (self.lv2, F(1), {}),
        ):
            evaluations = [
                e
                for e in service.evaluations.filter(period=self.period).order_by("date", "pk")
                if published_by is None or e.published_on <= published_by
            ]
            subjects.append(
                engine.Subject(service.pk, coefficient, subs, [e.as_engine() for e in evaluations])
            )
        ids = {p.pk for p in self.pupils}
        marks = {}
        for subject in subjects:
            for evaluation in subject.evaluations:
                marks[evaluation.id] = {
                    m.pupil_id: m.as_engine()
                    for m in Evaluation.objects.get(pk=evaluation.id).marks.all()
                    if m.pupil_id in ids
                }
        return engine.compute(subjects, marks, pupils=[p.pk for p in self.pupils])


@pytest.mark.django_db
def test_the_book_gives_the_engines_results():
    built = Built()
    book = class_book(division=built.division, period=built.period)
    expected = built.engine_results()
    a, b, c = (p.pk for p in built.pupils)
    assert [s.pk for s in book.services] == [built.lv2.pk, built.fr.pk, built.math.pk]
    assert book.coefficients == {built.math.pk: 3, built.fr.pk: 2, built.lv2.pk: 1}
    assert [p.pk for p in book.pupils] == [a, b, c]
    for pupil in (a, b, c):
        mine = book.results.pupils[pupil]
        theirs = expected.pupils[pupil]
        assert mine.general.value == theirs.general.value
        for key in (built.math.pk, built.fr.pk, built.lv2.pk):
            assert mine.subjects[key].value == theirs.subjects[key].value
    assert book.results.subjects == expected.subjects
    assert book.results.general == expected.general
    # By hand. MATH, a: (12 + 2·16)/3 = 44/3, bonus +6 → 50/3; b: (2·10)/2 = 10; c: 7.5
    # and NR0 (0, weight 2) → 7.5/3 = 2.5.
    assert book.results.pupils[a].subjects[built.math.pk].value == F(50, 3)
    assert book.results.pupils[b].subjects[built.math.pk].value == F(10)
    assert book.results.pupils[c].subjects[built.math.pk].value == F(5, 2)
    # FR, a: ECRIT (14 + 2·15)/3 = 44/3, ORAL 16 → (2·44/3 + 16)/3 = 136/9;
    # b: ECRIT (10 + 2·11)/3 = 32/3, ORAL nothing → 32/3; c: ECRIT 18, ORAL 11 → 47/3.
    assert book.results.pupils[a].subjects[built.fr.pk].value == F(136, 9)
    assert book.results.pupils[b].subjects[built.fr.pk].value == F(32, 3)
    assert book.results.pupils[c].subjects[built.fr.pk].value == F(47, 3)
    # LV2, a: 15, optional 18 raises → 33/2; b: 6, optional 4 does not; c: nothing.
    assert book.results.pupils[a].subjects[built.lv2.pk].value == F(33, 2)
    assert book.results.pupils[b].subjects[built.lv2.pk].value == F(6)
    assert book.results.pupils[c].subjects[built.lv2.pk].value is None
    # General, a: (3·50/3 + 2·136/9 + 33/2)/6.
    assert book.results.pupils[a].general.value == (50 + F(272, 9) + F(33, 2)) / 6
    assert book.results.pupils[c].general.value == (3 * F(5, 2) + 2 * F(47, 3)) / 5


@pytest.mark.django_db
def test_a_group_evaluation_has_figures_over_all_its_marks_a_subject_over_the_division():
    built = Built()
    book = class_book(division=built.division, period=built.period)
    # g1: 15, 6 (3A) and 20, ABS0 (3B).
    assert book.results.evaluations[built.g1.pk] == engine.Figures(F(41, 4), F(0), F(20), 4)
    # The marks of the book are the class's only.
    assert set(book.marks[built.g1.pk]) == {built.pupils[0].pk, built.pupils[1].pk}
    # LV2 over 3A's averages: 33/2 and 6.
    assert book.results.subjects[built.lv2.pk] == engine.Figures(F(45, 4), F(6), F(33, 2), 2)
    # 3B's book: the same evaluation figures, its own subject figures.
    other = class_book(division=built.other, period=built.period)
    assert other.results.evaluations[built.g1.pk] == book.results.evaluations[built.g1.pk]
    # 3B: 20 then optional 19 does not raise 20 → 20; 0 then optional 2 raises → 1.
    assert other.results.subjects[built.lv2.pk] == engine.Figures(F(21, 2), F(1), F(20), 2)
    assert built.math.pk not in {s.pk for s in other.services}


@pytest.mark.django_db
def test_follows_and_subject_entries():
    built = Built()
    book = class_book(division=built.division, period=built.period)
    a, _b, c = built.pupils
    assert book.follows(a.pk, built.math)
    assert book.follows(a.pk, built.lv2)
    assert not book.follows(c.pk, built.lv2)
    entries = book.subject_entries(a.pk, built.math.pk)
    assert [e.id for e, _m in entries] == [built.m1.pk, built.m2.pk, built.m3.pk]
    assert engine.average(entries).value == F(50, 3)
    assert book.rounding == engine.Rounding()
    assert book.rounding.text(book.results.pupils[a.pk].subjects[built.math.pk].value) == "16,67"


@pytest.mark.django_db
def test_published_by_keeps_what_a_family_sees():
    built = Built()
    later = today() + timedelta(days=3)
    hidden = built.evaluation(built.math, date=today(), published_on=later)
    mark(hidden, built.pupils[1], "20")
    mark(hidden, built.pupils[2], "20")
    seen = class_book(division=built.division, period=built.period, published_by=today())
    assert hidden.pk not in {e.pk for e in seen.evaluations[built.math.pk]}
    assert hidden.pk not in seen.results.evaluations
    assert seen.results.pupils[built.pupils[1].pk].subjects[built.math.pk].value == 10
    assert seen.results.subjects == built.engine_results(published_by=today()).subjects
    everything = class_book(division=built.division, period=built.period)
    assert everything.results.pupils[built.pupils[1].pk].subjects[built.math.pk].value == F(40, 3)
    assert everything.results.evaluations[hidden.pk].count == 2
    on_the_day = class_book(division=built.division, period=built.period, published_by=later)
    assert hidden.pk in on_the_day.results.evaluations


@pytest.mark.django_db
def test_pupil_ids_narrow_the_pupils():
    built = Built()
    a = built.pupils[0].pk
    book = class_book(division=built.division, period=built.period, pupil_ids=[a])
    assert [p.pk for p in book.pupils] == [a]
    assert set(book.results.pupils) == {a}
    full = class_book(division=built.division, period=built.period)
    assert book.results.pupils[a].general.value == full.results.pupils[a].general.value


@pytest.mark.django_db
def test_the_establishments_rounding_is_used():
    built = Built()
    GradesPolicy.objects.create(
        establishment=built.division.establishment, rounding_step="0.5", rounding_mode="up"
    )
    book = class_book(division=built.division, period=built.period)
    value = book.results.pupils[built.pupils[0].pk].subjects[built.math.pk].value
    assert book.rounding.text(value) == "17,0"


@pytest.mark.django_db
def test_pupils_who_left_or_arrive_during_the_period():
    built = Built()
    period = GradingPeriod.objects.get(pk=built.period.pk)
    late = pupil_in(built.division)
    enrolment = late.enrolments.get()
    enrolment.start_date = period.end_date + timedelta(days=1)
    enrolment.save()
    book = class_book(division=built.division, period=period)
    assert late.pk not in {p.pk for p in book.pupils}


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3, 30])
def test_the_book_takes_eight_queries_whatever_the_size(size, django_assert_num_queries):
    built = Built(size=size, others=2)
    with django_assert_num_queries(8):
        book = class_book(division=built.division, period=built.period)
    assert len(book.pupils) == size
    assert len(book.results.pupils) == size
    expected = built.engine_results()
    assert book.results.subjects == expected.subjects
    assert book.results.general == expected.general
    policy = GradesPolicy(establishment=built.division.establishment)
    with django_assert_num_queries(7):
        class_book(division=built.division, period=built.period, policy=policy)


@pytest.mark.django_db
def test_a_group_joined_by_its_pupils_own_memberships_is_in_their_division_book():
    """Latin or a spécialité: a group whose pupils are members one by one, linked to no
    division or class part, still counts in its pupils' averages."""
    from tests.factories import GroupMembershipFactory

    division = DivisionFactory()
    teacher = staff_account(division.establishment)
    latinist, other = pupil_in(division), pupil_in(division)
    latin = GroupFactory(school_year=division.school_year, establishment=division.establishment)
    GroupMembershipFactory(pupil=latinist, group=latin)
    service = group_service(latin, teacher.person)
    evaluation = EvaluationFactory(service=service)
    mark(evaluation, latinist, "16")

    book = class_book(division=division, period=evaluation.period)

    assert service.pk in [s.pk for s in book.services]
    assert book.results.pupils[latinist.pk].subjects[service.pk].value == F(16)
    assert book.results.pupils[latinist.pk].general.value == F(16)
    assert book.results.pupils[other.pk].subjects[service.pk].value is None
