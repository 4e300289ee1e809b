"""A class's grade book for a period, loaded in a fixed number of queries and computed
by the engine: the one source of every average a page, export, report card or API
answer shows.

The subjects of the book are the division's services (its own and those of the groups
drawing on it); a subject's key in the engine is the service's id. A subject's weight
in the general average comes from `SubjectCoefficient`, the most precise row winning:
division and period, division, level and period, level; else 1.
"""

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import F, IntegerField, Q
from django.db.models.functions import Cast, Round

from preau.core.models import GradingPeriod, Person
from preau.grades import engine
from preau.grades.access import policy_of
from preau.grades.models import Evaluation, GradesPolicy, Mark, SubjectCoefficient, SubSubject
from preau.grades.selectors.audience import division_pupils
from preau.structure.models import Division, TeachingService


def division_periods(division: Division) -> list[GradingPeriod]:
    """The periods of the division's scheme (trimesters, semesters or the year)."""
    return list(
        GradingPeriod.objects.filter(
            school_year_id=division.school_year_id, scheme=division.period_scheme
        ).order_by("number")
    )


def period_on(periods: list[GradingPeriod], day: date) -> GradingPeriod | None:
    """The period containing `day`; before the first, the first; after the last, the
    last (the summer shows the year's last period)."""
    if not periods:
        return None
    for period in periods:
        if period.start_date <= day <= period.end_date:
            return period
    if day < periods[0].start_date:
        return periods[0]
    earlier = [period for period in periods if period.end_date < day]
    return earlier[-1] if earlier else periods[0]


def coefficient_of(
    rows: list[SubjectCoefficient], *, subject_id: int, division: Division, period_id: int
) -> Fraction:
    """The most precise coefficient of `rows` for the subject (see the module)."""
    best: tuple[int, Fraction] | None = None
    for row in rows:
        if row.subject_id != subject_id:
            continue
        if row.division_id is not None and row.division_id != division.pk:
            continue
        if row.division_id is None and row.level != division.level:
            continue
        if row.period_id is not None and row.period_id != period_id:
            continue
        rank = (2 if row.division_id else 0) + (1 if row.period_id else 0)
        if best is None or rank > best[0]:
            best = (rank, Fraction(row.coefficient))
    return best[1] if best else Fraction(1)


@contextmanager
def collector_paused():
    """Loading and computing a book allocates a few hundred thousand small objects and
    no reference cycles: the cyclic garbage collector would only walk them again and
    again (a quarter of the time with a large heap). Reference counting still frees
    everything; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_ENGINE_MARKS: dict[tuple, engine.Mark] = {}


def engine_mark(hundredths: int | None, code: str) -> engine.Mark:
    """The engine's mark for a stored value (in hundredths) or code; marks are few
    distinct values (quarter points), so each is made once."""
    key = (hundredths, code)
    made = _ENGINE_MARKS.get(key)
    if made is None:
        made = engine.Mark(code=code) if code else engine.Mark(value=Fraction(hundredths, 100))
        if len(_ENGINE_MARKS) < 100_000:
            _ENGINE_MARKS[key] = made
    return made


class BookMark:
    """A stored mark as the book reads it (a row, not a model instance: a lycée has a
    hundred thousand); the same `text`, `version`, `code`, `value` and `as_engine()` as
    `models.Mark`."""

    __slots__ = ("code", "engine", "evaluation_id", "hundredths", "pk", "pupil_id", "version")

    def __init__(self, pk, evaluation_id, pupil_id, hundredths, code, version):
        self.pk, self.evaluation_id, self.pupil_id = pk, evaluation_id, pupil_id
        self.hundredths, self.code, self.version = hundredths, code, version
        self.engine = engine_mark(hundredths, code)

    @property
    def value(self) -> Decimal | None:
        return None if self.hundredths is None else Decimal(self.hundredths).scaleb(-2)

    @property
    def text(self) -> str:
        return self.engine.text

    def as_engine(self) -> engine.Mark:
        return self.engine


@dataclass
class ClassBook:
    division: Division
    period: GradingPeriod
    policy: GradesPolicy
    pupils: list[Person]
    services: list[TeachingService]
    # service id → sub-subjects (in the order of their code)
    sub_subjects: dict[int, list[SubSubject]]
    coefficients: dict[int, Fraction]
    # service id → its evaluations of the period, by date
    evaluations: dict[int, list[Evaluation]]
    # evaluation id → pupil id → mark (the class's pupils only)
    marks: dict[int, dict[int, "BookMark"]]
    results: engine.Results
    engine_subjects: list[engine.Subject] = field(default_factory=list)

    @property
    def rounding(self) -> engine.Rounding:
        return self.policy.rounding

    def subject_entries(
        self, pupil_id: int, service_id: int
    ) -> list[tuple[engine.Evaluation, engine.Mark]]:
        """A pupil's marks in one subject, as the engine took them."""
        return [
            (evaluation.as_engine(), self.marks[evaluation.pk][pupil_id].engine)
            for evaluation in self.evaluations.get(service_id, [])
            if pupil_id in self.marks.get(evaluation.pk, {})
        ]

    def follows(self, pupil_id: int, service: TeachingService) -> bool:
        """Whether the pupil follows the service: its division's, or a group's where they
        have a mark (without a mark a group subject is not theirs on their pages)."""
        if service.division_id:
            return True
        return any(
            pupil_id in self.marks.get(e.pk, {}) for e in self.evaluations.get(service.pk, [])
        )


def class_book(
    *,
    division: Division,
    period: GradingPeriod,
    published_by: date | None = None,
    pupil_ids: list[int] | None = None,
    policy: GradesPolicy | None = None,
) -> ClassBook:
    """The division's book for `period`. `published_by`: only evaluations published on
    or before that day (what a family sees; the class figures follow). `pupil_ids`
    narrows the pupils whose marks are loaded (the class figures then cover only them:
    pages for one pupil load the whole class). Eight queries whatever the size (seven
    with `policy` given)."""
    policy = policy or policy_of(division.establishment_id)
    pupils = list(division_pupils(division, period.start_date, period.end_date))
    if pupil_ids is not None:
        wanted = set(pupil_ids)
        pupils = [pupil for pupil in pupils if pupil.pk in wanted]
    class_ids = {pupil.pk for pupil in pupils}
    # The division's services, and the groups it draws on: whole, through class parts,
    # or through its pupils' own memberships (Latin, spécialités).
    services = list(
        TeachingService.objects.filter(
            Q(division=division)
            | Q(group__divisions=division)
            | Q(group__class_parts__division=division)
            | Q(
                group__memberships__pupil_id__in=class_ids,
                group__memberships__start_date__lte=period.end_date,
            ),
            school_year_id=division.school_year_id,
        )
        .select_related("subject", "division", "group")
        .prefetch_related("teachers")
        .distinct()
    )
    services.sort(key=lambda s: (s.subject.label, s.pk))
    service_ids = [service.pk for service in services]
    subs: dict[int, list[SubSubject]] = defaultdict(list)
    for sub in SubSubject.objects.filter(service_id__in=service_ids).order_by("code"):
        subs[sub.service_id].append(sub)
    rows = list(
        SubjectCoefficient.objects.filter(
            school_year_id=division.school_year_id,
            subject_id__in={service.subject_id for service in services},
        )
    )
    coefficients = {
        service.pk: coefficient_of(
            rows, subject_id=service.subject_id, division=division, period_id=period.pk
        )
        for service in services
    }
    evaluations_qs = Evaluation.objects.filter(period=period, service_id__in=service_ids)
    if published_by is not None:
        evaluations_qs = evaluations_qs.filter(published_on__lte=published_by)
    evaluations: dict[int, list[Evaluation]] = defaultdict(list)
    for evaluation in evaluations_qs.select_related("sub_subject").order_by("date", "pk"):
        evaluations[evaluation.service_id].append(evaluation)
    with collector_paused():
        every_id = [e.pk for items in evaluations.values() for e in items]
        all_marks: dict[int, dict[int, BookMark]] = defaultdict(dict)
        # Values come as integer hundredths: no decimal conversion for each of a lycée's
        # hundred thousand marks.
        for row in (
            Mark.objects.filter(evaluation_id__in=every_id)
            .annotate(hundredths=Cast(Round(F("value") * 100), IntegerField()))
            .values_list("id", "evaluation_id", "pupil_id", "hundredths", "code", "version")
        ):
            all_marks[row[1]][row[2]] = BookMark(*row)
        marks = {
            evaluation_id: {p: m for p, m in by_pupil.items() if p in class_ids}
            for evaluation_id, by_pupil in all_marks.items()
        }
        engine_subjects = [
            engine.Subject(
                key=service.pk,
                coefficient=coefficients[service.pk],
                subsubjects={sub.pk: Fraction(sub.coefficient) for sub in subs.get(service.pk, [])},
                evaluations=[e.as_engine() for e in evaluations.get(service.pk, [])],
            )
            for service in services
        ]
        results = engine.compute(
            engine_subjects,
            {
                evaluation_id: {p: m.engine for p, m in by_pupil.items()}
                for evaluation_id, by_pupil in marks.items()
            },
            pupils=[pupil.pk for pupil in pupils],
        )
        # An evaluation's figures cover all its marks (a group mixes divisions).
        for evaluation_id, by_pupil in all_marks.items():
            if len(by_pupil) != len(marks[evaluation_id]):
                results.evaluations[evaluation_id] = engine.evaluation_figures(
                    mark.engine for mark in by_pupil.values()
                )
    return ClassBook(
        division=division,
        period=period,
        policy=policy,
        pupils=pupils,
        services=services,
        sub_subjects=dict(subs),
        coefficients=coefficients,
        evaluations=dict(evaluations),
        marks=marks,
        results=results,
        engine_subjects=engine_subjects,
    )
