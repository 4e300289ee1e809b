"""The analysis of results for the direction and teachers: per subject and per
evaluation figures with the distribution of averages and marks, the divisions of a level
side by side, a division across its periods, and the pupils in difficulty.

Every figure comes from `class_book` (selectors/book.py), hence from the engine; this
module only arranges the engine's numbers (and counts them into bins). Who may see which
division is decided here too (`may_analyse`, `analysed_divisions`).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from preau.core.access import StaffScope
from preau.core.models import GradingPeriod, Person, RoleKind
from preau.grades import engine
from preau.grades.exports import column_labels
from preau.grades.models import Evaluation, GradesPolicy
from preau.grades.selectors.book import ClassBook, class_book
from preau.structure.models import Division, TeachingService
from preau.structure.selectors import divisions_for_scope

ANALYSTS = frozenset({RoleKind.DIRECTION, RoleKind.TEACHER})

# The bins of a distribution, on /20: [low, high), the last one holding 20.
BINS: tuple[tuple[int, int], ...] = (
    (0, 4),
    (4, 8),
    (8, 10),
    (10, 12),
    (12, 14),
    (14, 16),
    (16, 20),
)

DEFAULT_THRESHOLD = Fraction(10)
# A drop of this many points of general average since the previous period.
DROP = Fraction(2)


def may_analyse(scope: StaffScope) -> bool:
    """The direction and teachers; not the vie scolaire nor the secretariat."""
    return bool(scope.roles & ANALYSTS)


def analysed_divisions(scope: StaffScope, day: date) -> list[Division]:
    """The divisions whose results the person reads: all of the establishment's for the
    direction; for a teacher, those they teach (wholly or through a group) or head,
    even when they also hold a role of the vie scolaire."""
    if RoleKind.DIRECTION in scope.roles:
        return divisions_for_scope(scope, day)
    if RoleKind.TEACHER not in scope.roles:
        return []
    as_teacher = StaffScope(
        person_id=scope.person_id,
        establishment_id=scope.establishment_id,
        roles=frozenset({RoleKind.TEACHER}),
    )
    return divisions_for_scope(as_teacher, day)


# -- Distributions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


def distribution(values: Iterable[Fraction | Decimal | None]) -> list[Bin]:
    """How many values fall in each of `BINS` (no average: not counted). A value on a
    bound goes to the bin above (10 is in 10–12), 20 to the last."""
    counts = [0] * len(BINS)
    for value in values:
        if value is None:
            continue
        for index, (low, high) in enumerate(BINS):
            last = index == len(BINS) - 1
            if low <= value < high or (last and value == high):
                counts[index] += 1
                break
    return [Bin(low, high, count) for (low, high), count in zip(BINS, counts, strict=True)]


def shown(rounding: engine.Rounding, value: Fraction | None) -> Decimal | None:
    """A value as the page shows it: the bins count what the reader reads (9,996 shown
    10,00 is in 10–12)."""
    return None if value is None else rounding.apply(value)


# -- One division, one period ----------------------------------------------------------------


@dataclass(frozen=True)
class SubjectRow:
    service: TeachingService
    label: str
    teachers: str
    coefficient: Fraction
    figures: engine.Figures
    bins: list[Bin]


@dataclass(frozen=True)
class EvaluationRow:
    evaluation: Evaluation
    # The engine's figures on the evaluation's scale (all its marks, a group's included).
    figures: engine.Figures
    # The same brought to /20.
    mean_20: Fraction | None
    low_20: Fraction | None
    high_20: Fraction | None
    # The division's counted marks brought to /20, in bins.
    bins: list[Bin]
    counted: int


@dataclass(frozen=True)
class DivisionResults:
    book: ClassBook
    subjects: list[SubjectRow]
    general: engine.Figures
    general_bins: list[Bin]
    # The evaluations of the chosen subject (empty when none is chosen).
    service: TeachingService | None
    evaluations: list[EvaluationRow]


def _teachers(service: TeachingService) -> str:
    return ", ".join(teacher.display_name for teacher in service.teachers.all())


def _on_20(evaluation: engine.Evaluation, value: Fraction | None) -> Fraction | None:
    return None if value is None else evaluation.on_20(value)


def division_results(book: ClassBook, *, service_id: int | None = None) -> DivisionResults:
    """Per subject the class figures and the distribution of the pupils' averages; the
    same for the general average; per evaluation of `service_id`, its figures and the
    distribution of the division's marks brought to /20. No query beyond the book's."""
    rounding = book.rounding
    labels = column_labels(book.services)
    pupils = book.results.pupils
    subjects = [
        SubjectRow(
            service=service,
            label=labels[service.pk],
            teachers=_teachers(service),
            coefficient=book.coefficients[service.pk],
            figures=book.results.subjects[service.pk],
            bins=distribution(
                shown(rounding, result.subjects[service.pk].value) for result in pupils.values()
            ),
        )
        for service in book.services
    ]
    general_bins = distribution(shown(rounding, result.general.value) for result in pupils.values())
    chosen = next((s for s in book.services if s.pk == service_id), None)
    evaluations = []
    if chosen is not None:
        for evaluation in book.evaluations.get(chosen.pk, []):
            as_engine = evaluation.as_engine()
            figures = book.results.evaluations.get(evaluation.pk, engine.Figures.of(()))
            counted = [
                value
                for mark in book.marks.get(evaluation.pk, {}).values()
                if (value := mark.as_engine().counted) is not None
            ]
            evaluations.append(
                EvaluationRow(
                    evaluation=evaluation,
                    figures=figures,
                    mean_20=_on_20(as_engine, figures.mean),
                    low_20=_on_20(as_engine, figures.low),
                    high_20=_on_20(as_engine, figures.high),
                    bins=distribution(shown(rounding, as_engine.on_20(value)) for value in counted),
                    counted=len(counted),
                )
            )
    return DivisionResults(
        book=book,
        subjects=subjects,
        general=book.results.general,
        general_bins=general_bins,
        service=chosen,
        evaluations=evaluations,
    )


# -- The divisions of a level ----------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    # One per division, in the order of `Comparison.divisions` (None: no such subject).
    cells: list[engine.Figures | None]


@dataclass(frozen=True)
class Comparison:
    level: str
    period: GradingPeriod
    divisions: list[Division]
    rows: list[ComparisonRow]
    general: list[engine.Figures]
    # Divisions of the level on another period scheme (trimesters vs semesters).
    other_scheme: list[Division]


def _subject_figures(book: ClassBook, services: list[TeachingService]) -> engine.Figures:
    """A subject's figures in a division: the engine's for its service; with several
    services of the subject (groups), the engine's figures over all their averages."""
    if len(services) == 1:
        return book.results.subjects[services[0].pk]
    return engine.Figures.of(
        result.subjects[service.pk].value
        for result in book.results.pupils.values()
        for service in services
    )


def level_comparison(
    *,
    division: Division,
    period: GradingPeriod,
    divisions: Sequence[Division],
    policy: GradesPolicy,
) -> Comparison:
    """The divisions of `divisions` of `division`'s level and school year, side by
    side for `period`: per subject (matched by subject, not service) each division's
    figures, and the general ones. Seven queries per division."""
    peers = [
        other
        for other in divisions
        if other.level == division.level and other.school_year_id == division.school_year_id
    ]
    same = [other for other in peers if other.period_scheme == division.period_scheme]
    other_scheme = [other for other in peers if other.period_scheme != division.period_scheme]
    books = [class_book(division=other, period=period, policy=policy) for other in same]
    labels: dict[int, str] = {}
    by_subject: list[dict[int, list[TeachingService]]] = []
    for book in books:
        grouped: dict[int, list[TeachingService]] = defaultdict(list)
        for service in book.services:
            grouped[service.subject_id].append(service)
            labels.setdefault(service.subject_id, service.subject.label)
        by_subject.append(grouped)
    rows = [
        ComparisonRow(
            label=labels[subject_id],
            cells=[
                _subject_figures(book, grouped[subject_id]) if subject_id in grouped else None
                for book, grouped in zip(books, by_subject, strict=True)
            ],
        )
        for subject_id in sorted(labels, key=lambda key: (labels[key], key))
    ]
    return Comparison(
        level=division.get_level_display(),
        period=period,
        divisions=same,
        rows=rows,
        general=[book.results.general for book in books],
        other_scheme=other_scheme,
    )


# -- A division across its periods -----------------------------------------------------------


@dataclass(frozen=True)
class EvolutionRow:
    label: str
    # One per period (None: the subject has no service that period, never in practice).
    means: list[Fraction | None]


@dataclass(frozen=True)
class Evolution:
    periods: list[GradingPeriod]
    rows: list[EvolutionRow]
    general: list[Fraction | None]


def evolution(
    *, division: Division, periods: Sequence[GradingPeriod], policy: GradesPolicy
) -> Evolution:
    """Per subject the class mean in each period of the division's scheme, and the
    general class mean. Seven queries per period."""
    books = [class_book(division=division, period=period, policy=policy) for period in periods]
    services: dict[int, TeachingService] = {}
    for book in books:
        for service in book.services:
            services.setdefault(service.pk, service)
    ordered = sorted(services.values(), key=lambda s: (s.subject.label, s.pk))
    labels = column_labels(ordered)
    rows = [
        EvolutionRow(
            label=labels[service.pk],
            means=[
                book.results.subjects[service.pk].mean
                if service.pk in book.results.subjects
                else None
                for book in books
            ],
        )
        for service in ordered
    ]
    return Evolution(
        periods=list(periods), rows=rows, general=[book.results.general.mean for book in books]
    )


# -- Pupils in difficulty --------------------------------------------------------------------


@dataclass(frozen=True)
class Difficulty:
    pupil: Person
    general: Fraction | None
    previous: Fraction | None
    below: bool
    dropped: bool
    # The subjects where the pupil's average is below the threshold: (label, average).
    weak: list[tuple[str, Fraction]]

    @property
    def change(self) -> Fraction | None:
        if self.general is None or self.previous is None:
            return None
        return self.general - self.previous


def pupils_in_difficulty(
    book: ClassBook,
    previous: ClassBook | None,
    *,
    threshold: Fraction = DEFAULT_THRESHOLD,
    drop: Fraction = DROP,
) -> list[Difficulty]:
    """The pupils whose general average is below `threshold`, or fell by `drop` points
    or more since the previous period (`previous`, the book of that period), lowest
    first. A pupil without a general average this period is not judged."""
    labels = column_labels(book.services)
    found = []
    for pupil in book.pupils:
        results = book.results.pupils[pupil.pk]
        general = results.general.value
        if general is None:
            continue
        before = None
        if previous is not None and pupil.pk in previous.results.pupils:
            before = previous.results.pupils[pupil.pk].general.value
        below = general < threshold
        dropped = before is not None and before - general >= drop
        if not (below or dropped):
            continue
        weak = [
            (labels[service.pk], value)
            for service in book.services
            if (value := results.subjects[service.pk].value) is not None and value < threshold
        ]
        found.append(Difficulty(pupil, general, before, below, dropped, weak))
    found.sort(key=lambda item: (item.general, item.pupil.last_name, item.pupil.first_name))
    return found


def previous_period(
    periods: Sequence[GradingPeriod], period: GradingPeriod
) -> GradingPeriod | None:
    earlier = [other for other in periods if other.number < period.number]
    return earlier[-1] if earlier else None
