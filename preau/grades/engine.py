"""Averages, exactly as grades.md says: pure computation, no database.

Everything is a `Fraction`: a mark brought to /20, a weight, an average. Rounding
happens only when a value is shown or exported (`Rounding.apply`), never inside the
computation, and a general average is computed from unrounded subject averages.

Every page, export, report card, the API and `grades_calc` call `compute` (or the
functions it is made of), so a family's "how is this computed" view shows the very
steps that produced the number.
"""

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from functools import cached_property
from typing import NamedTuple

TWENTY = Fraction(20)
HALF_SCALE = Fraction(10)
MAX_SCALE = Fraction(100)
MAX_COEFFICIENT = Fraction(99)


class Kind(StrEnum):
    NORMAL = "normal"
    # Counts only if it raises the average.
    OPTIONAL = "optional"
    # Only the points above half the scale count.
    BONUS = "bonus"


# code → counts as zero (True) or is not counted (False).
CODES: dict[str, bool] = {
    "ABS": False,
    "DISP": False,
    "NN": False,
    "INAP": False,
    "NR": False,
    "ABS0": True,
    "NR0": True,
}


class MarkError(ValueError):
    """A typed mark that cannot be kept; the message says why, for the person typing."""


@dataclass(frozen=True)
class Mark:
    """A number between 0 and the scale, or one of `CODES`."""

    value: Fraction | None = None
    code: str = ""

    def __post_init__(self):
        if (self.value is None) == (not self.code):
            raise ValueError("a mark is a value or a code")
        if self.code and self.code not in CODES:
            raise ValueError(f"unknown code {self.code}")

    @cached_property
    def counted(self) -> Fraction | None:
        """The value that counts, on the evaluation's scale: the value, zero for ABS0
        and NR0, None for a code that is not counted."""
        if self.code:
            return Fraction(0) if CODES[self.code] else None
        return Fraction(self.value)

    @cached_property
    def order(self) -> float:
        return float(self.counted)

    @cached_property
    def ratio(self) -> tuple[int, int] | None:
        """`counted` as integers (numerator, denominator)."""
        value = self.counted
        return None if value is None else (value.numerator, value.denominator)

    @property
    def text(self) -> str:
        return self.code or decimal_text(self.value)


def to_fraction(value, *, what: str = "value") -> Fraction:
    """A JSON number, a string ("15.5", "15,5", "31/2"), a Decimal or an int."""
    if isinstance(value, bool):
        raise MarkError(f"{what}: {value!r} is not a number")
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MarkError(f"{what}: {value} is not a number")
        return Fraction(value)
    text = str(value).strip().replace(",", ".")
    try:
        if "/" in text:
            return Fraction(text)
        number = Decimal(text)
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise MarkError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise MarkError(f"{what}: {value!r} is not a number")
    return Fraction(number)


def parse_mark(text, scale: Fraction, *, quarter_points: bool = True) -> Mark | None:
    """What a teacher typed (or a file gave), as a mark on `scale`; None when empty.
    Raises `MarkError` with the reason, in French, when it cannot be a mark. Entry
    keeps marks to quarter points; `quarter_points=False` takes any number (what
    another system computed, read by `grades_calc`)."""
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    code = raw.upper()
    if code in CODES:
        return Mark(code=code)
    try:
        value = to_fraction(raw)
    except MarkError:
        raise MarkError(
            f"« {raw} » n'est ni une note ni un code (ABS, DISP, NN, INAP, NR, ABS0, NR0)."
        ) from None
    if value < 0:
        raise MarkError(f"« {raw} » : une note ne peut pas être négative.")
    if value > scale:
        raise MarkError(f"« {raw} » dépasse le barème (sur {decimal_text(scale)}).")
    if quarter_points and (value * 4).denominator != 1:
        raise MarkError(f"« {raw} » : les notes vont au quart de point (0,25).")
    return Mark(value=value)


@dataclass(frozen=True)
class Evaluation:
    id: Hashable
    scale: Fraction = TWENTY
    coefficient: Fraction = Fraction(1)
    bring_to_20: bool = True
    kind: Kind = Kind.NORMAL
    subsubject: Hashable | None = None

    def __post_init__(self):
        if not 0 < self.scale <= MAX_SCALE:
            raise ValueError(f"evaluation {self.id}: the scale must be above 0 and at most 100")
        if not 0 <= self.coefficient <= MAX_COEFFICIENT:
            raise ValueError(f"evaluation {self.id}: the coefficient must be between 0 and 99")

    @cached_property
    def weight(self) -> Fraction:
        """Its weight in an average: the coefficient when brought to /20, else the
        coefficient times scale/20 (a test out of 40 weighs twice one out of 20)."""
        if self.bring_to_20:
            return Fraction(self.coefficient)
        return self.coefficient * self.scale / TWENTY

    @cached_property
    def _to_20(self) -> Fraction:
        return TWENTY / self.scale

    @cached_property
    def _weighted_to_20(self) -> Fraction:
        return self.weight * self._to_20

    @cached_property
    def counts(self) -> bool:
        return self.weight > 0

    @cached_property
    def weight_ratio(self) -> tuple[int, int]:
        return self.weight.numerator, self.weight.denominator

    @cached_property
    def points_ratio(self) -> tuple[int, int]:
        """w·20/scale as integers: w·x = points_ratio × the mark on its scale."""
        return self._weighted_to_20.numerator, self._weighted_to_20.denominator

    def on_20(self, value: Fraction) -> Fraction:
        return self._to_20 * value

    def points(self, value: Fraction) -> Fraction:
        """w·x for a mark of `value` on the evaluation's scale (one multiplication:
        a class's averages are many of these)."""
        return self._weighted_to_20 * value


# What happened to one mark in an average (Step.outcome).
COUNTED = "counted"  # a normal mark in the average
NOT_COUNTED = "not_counted"  # a code that does not count (ABS, DISP…)
NO_WEIGHT = "no_weight"  # coefficient 0
OPTIONAL_KEPT = "optional_kept"  # an optional mark that raised the average
OPTIONAL_DROPPED = "optional_dropped"  # an optional mark that would not have
BONUS_POINTS = "bonus_points"  # a bonus adding w·(x − 10)
BONUS_NONE = "bonus_none"  # a bonus at or below half the scale
NO_BASE = "no_base"  # a bonus with no normal or optional mark to add to


class Step(NamedTuple):
    """What happened to one mark in an average. A named tuple whose derived figures
    are computed when read (a lycée's averages make a hundred thousand steps, and only
    an explanation page reads them)."""

    evaluation: Evaluation
    mark: Mark
    outcome: str
    # For an optional mark: the average before it was tried.
    before: Fraction | None = None
    # For a bonus: what it added, w·(x − 10).
    bonus: Fraction = Fraction(0)

    @property
    def on_20(self) -> Fraction | None:
        value = self.mark.counted
        return None if value is None else self.evaluation.on_20(value)

    @property
    def weight(self) -> Fraction:
        if self.outcome == NOT_COUNTED:
            return Fraction(0)
        return self.evaluation.weight

    @property
    def points(self) -> Fraction:
        """What it added to the numerator (w·x, or w·(x − 10) for a bonus)."""
        if self.outcome in (COUNTED, OPTIONAL_KEPT):
            return self.evaluation.points(self.mark.counted)
        if self.outcome in (BONUS_POINTS, BONUS_NONE):
            return self.bonus
        return Fraction(0)


@dataclass(frozen=True)
class Average:
    """One pupil's average over a list of marks, with the steps that made it."""

    value: Fraction | None
    numerator: Fraction = Fraction(0)
    denominator: Fraction = Fraction(0)
    capped: bool = False
    steps: tuple[Step, ...] = ()

    @property
    def uncapped(self) -> Fraction | None:
        return self.numerator / self.denominator if self.denominator else None


def average(entries: Iterable[tuple[Evaluation, Mark]]) -> Average:
    """The average of one pupil's marks in one subject or sub-subject (grades.md)."""
    steps: list[Step] = []
    optional: list[tuple[Evaluation, Mark, Fraction]] = []
    bonus: list[tuple[Evaluation, Mark, Fraction]] = []
    # Normal marks are summed on integers (numerator nn/nd, denominator dn/dd) and
    # made fractions once: the same exact result, several times faster.
    nn, nd, dn, dd = 0, 1, 0, 1
    for evaluation, mark in entries:
        ratio = mark.ratio
        if ratio is None:
            steps.append(Step(evaluation, mark, NOT_COUNTED))
            continue
        if not evaluation.counts:
            steps.append(Step(evaluation, mark, NO_WEIGHT))
            continue
        kind = evaluation.kind
        if kind == Kind.OPTIONAL:
            optional.append((evaluation, mark, evaluation.on_20(mark.counted)))
        elif kind == Kind.BONUS:
            bonus.append((evaluation, mark, evaluation.on_20(mark.counted)))
        else:
            p, q = evaluation.points_ratio
            pn, pd = p * ratio[0], q * ratio[1]
            if pd == nd:
                nn += pn
            else:
                nn, nd = nn * pd + pn * nd, nd * pd
            wn, wd = evaluation.weight_ratio
            if wd == dd:
                dn += wn
            else:
                dn, dd = dn * wd + wn * dd, dd * wd
            steps.append(Step(evaluation, mark, COUNTED))
    numerator = Fraction(nn, nd)
    denominator = Fraction(dn, dd)
    # Optional marks, highest first: each is kept while it strictly raises the average.
    optional.sort(key=lambda item: item[2], reverse=True)
    trying = True
    for evaluation, mark, x in optional:
        current = numerator / denominator if denominator else None
        if trying and (current is None or x > current):
            numerator += evaluation.weight * x
            denominator += evaluation.weight
            steps.append(Step(evaluation, mark, OPTIONAL_KEPT, before=current))
        else:
            trying = False
            steps.append(Step(evaluation, mark, OPTIONAL_DROPPED, before=current))
    for evaluation, mark, x in bonus:
        if not denominator:
            steps.append(Step(evaluation, mark, NO_BASE))
            continue
        points = evaluation.weight * max(Fraction(0), x - HALF_SCALE)
        numerator += points
        steps.append(Step(evaluation, mark, BONUS_POINTS if points else BONUS_NONE, bonus=points))
    if not denominator:
        return Average(None, steps=tuple(steps))
    value = numerator / denominator
    capped = value > TWENTY
    return Average(min(value, TWENTY), numerator, denominator, capped=capped, steps=tuple(steps))


def fraction_sum(values: Iterable[Fraction]) -> Fraction:
    """Σ values, exactly: summed on integers and made a fraction once (Fraction's own
    addition reduces at every step, which a lycée's averages feel)."""
    n, d = 0, 1
    for value in values:
        vn, vd = value.numerator, value.denominator
        if vd == d:
            n += vn
        else:
            n, d = n * vd + vn * d, d * vd
    return Fraction(n, d)


def weighted_sum(pairs: Iterable[tuple[Fraction, Fraction]]) -> Fraction:
    """Σ w·v over (w, v) pairs, exactly (see `fraction_sum`)."""
    n, d = 0, 1
    for weight, value in pairs:
        vn, vd = weight.numerator * value.numerator, weight.denominator * value.denominator
        if vd == d:
            n += vn
        else:
            n, d = n * vd + vn * d, d * vd
    return Fraction(n, d)


@dataclass(frozen=True)
class Part:
    """A sub-subject's average inside a subject."""

    key: Hashable | None
    coefficient: Fraction
    average: Average

    @property
    def counted(self) -> bool:
        return self.average.value is not None and self.coefficient > 0


@dataclass(frozen=True)
class SubjectAverage:
    value: Fraction | None
    # Without sub-subjects: the one average over every mark.
    direct: Average | None = None
    # With sub-subjects: one part per sub-subject the pupil has marks in.
    parts: tuple[Part, ...] = ()


def subject_average(
    entries: Iterable[tuple[Evaluation, Mark]],
    subsubjects: Mapping[Hashable, Fraction] | None = None,
) -> SubjectAverage:
    """A pupil's average in a subject. With sub-subjects (code → coefficient), the
    weighted mean of the sub-subjects' averages, over those where the pupil has one;
    marks of evaluations with no sub-subject then form a part of their own, of
    coefficient 1."""
    if not subsubjects:
        direct = average(entries)
        return SubjectAverage(direct.value, direct=direct)
    grouped: dict[Hashable | None, list[tuple[Evaluation, Mark]]] = defaultdict(list)
    for evaluation, mark in entries:
        key = evaluation.subsubject if evaluation.subsubject in subsubjects else None
        grouped[key].append((evaluation, mark))
    order = {key: index for index, key in enumerate(subsubjects)}
    parts = tuple(
        Part(key, Fraction(subsubjects[key]) if key is not None else Fraction(1), average(items))
        for key, items in sorted(grouped.items(), key=lambda kv: order.get(kv[0], len(order)))
    )
    counted = [part for part in parts if part.counted]
    weight = fraction_sum(part.coefficient for part in counted)
    if not weight:
        return SubjectAverage(None, parts=parts)
    value = weighted_sum((part.coefficient, part.average.value) for part in counted) / weight
    return SubjectAverage(value, parts=parts)


@dataclass(frozen=True)
class Line:
    """One subject in a general average."""

    key: Hashable
    coefficient: Fraction
    value: Fraction | None

    @property
    def counted(self) -> bool:
        return self.value is not None and self.coefficient > 0


@dataclass(frozen=True)
class GeneralAverage:
    value: Fraction | None
    numerator: Fraction = Fraction(0)
    denominator: Fraction = Fraction(0)
    lines: tuple[Line, ...] = ()


def general_average(lines: Iterable[Line]) -> GeneralAverage:
    """The weighted mean of the subject averages with the subject coefficients; a
    subject of coefficient 0 is shown but not counted, one with no average left out."""
    lines = tuple(lines)
    counted = [line for line in lines if line.counted]
    denominator = fraction_sum(line.coefficient for line in counted)
    if not denominator:
        return GeneralAverage(None, lines=lines)
    numerator = weighted_sum((line.coefficient, line.value) for line in counted)
    return GeneralAverage(numerator / denominator, numerator, denominator, lines)


@dataclass(frozen=True)
class Figures:
    """Class figures: mean, lowest and highest, and how many values are behind them."""

    mean: Fraction | None
    low: Fraction | None
    high: Fraction | None
    count: int

    @classmethod
    def of(cls, values: Iterable[Fraction | None]) -> "Figures":
        present = [value for value in values if value is not None]
        if not present:
            return cls(None, None, None, 0)
        return cls(fraction_sum(present) / len(present), min(present), max(present), len(present))


def evaluation_figures(marks: Iterable[Mark]) -> Figures:
    """On the evaluation's own scale; ABS0 and NR0 count as 0, other codes not at all."""
    counted = [mark for mark in marks if mark.ratio is not None]
    if not counted:
        return Figures(None, None, None, 0)
    total_n, total_d = 0, 1
    for mark in counted:
        n, d = mark.ratio
        if d == total_d:
            total_n += n
        else:
            total_n, total_d = total_n * d + n * total_d, total_d * d
    # Marks are decimals of at most two places up to 100: their floats order them
    # exactly, and compare much faster than fractions.
    low = min(counted, key=_mark_order).counted
    high = max(counted, key=_mark_order).counted
    return Figures(Fraction(total_n, total_d * len(counted)), low, high, len(counted))


def _mark_order(mark: Mark) -> float:
    return mark.order


# -- A whole book: the subjects of a class for a period ---------------------------------


@dataclass(frozen=True)
class Subject:
    key: Hashable
    coefficient: Fraction = Fraction(1)
    subsubjects: Mapping[Hashable, Fraction] = field(default_factory=dict)
    evaluations: Sequence[Evaluation] = ()


@dataclass(frozen=True)
class PupilResults:
    subjects: dict[Hashable, SubjectAverage]
    general: GeneralAverage


@dataclass(frozen=True)
class Results:
    pupils: dict[Hashable, PupilResults]
    evaluations: dict[Hashable, Figures]
    subjects: dict[Hashable, Figures]
    general: Figures


def compute(
    subjects: Sequence[Subject],
    marks: Mapping[Hashable, Mapping[Hashable, Mark]],
    pupils: Iterable[Hashable] | None = None,
) -> Results:
    """Every average of a class for a period. `marks` is evaluation id → pupil → mark.
    The pupils are `pupils` (the class, who appear with "—" where they have nothing)
    and everyone who has a mark. The class figures of a subject and the general ones
    are over these pupils' averages; those of an evaluation over all its marks."""
    everyone: dict[Hashable, None] = dict.fromkeys(pupils or ())
    for by_pupil in marks.values():
        everyone.update(dict.fromkeys(by_pupil))
    results: dict[Hashable, PupilResults] = {}
    per_pupil: dict[Hashable, dict[Hashable, list]] = {
        pupil: defaultdict(list) for pupil in everyone
    }
    evaluations: dict[Hashable, Figures] = {}
    for subject in subjects:
        for evaluation in subject.evaluations:
            given = marks.get(evaluation.id, {})
            evaluations[evaluation.id] = evaluation_figures(given.values())
            for pupil, mark in given.items():
                per_pupil[pupil][subject.key].append((evaluation, mark))
    for pupil in everyone:
        averages = {
            subject.key: subject_average(per_pupil[pupil].get(subject.key, ()), subject.subsubjects)
            for subject in subjects
        }
        general = general_average(
            Line(subject.key, Fraction(subject.coefficient), averages[subject.key].value)
            for subject in subjects
        )
        results[pupil] = PupilResults(averages, general)
    figures = {
        subject.key: Figures.of(results[p].subjects[subject.key].value for p in everyone)
        for subject in subjects
    }
    general = Figures.of(results[p].general.value for p in everyone)
    return Results(results, evaluations, figures, general)


# -- Showing numbers ---------------------------------------------------------------------


class RoundingMode(StrEnum):
    NEAREST = "nearest"  # half up
    UP = "up"


ROUNDING_STEPS = (Decimal("0.01"), Decimal("0.1"), Decimal("0.5"), Decimal("1"))


@dataclass(frozen=True)
class Rounding:
    step: Decimal = Decimal("0.01")
    mode: RoundingMode = RoundingMode.NEAREST

    def __post_init__(self):
        if self.step <= 0:
            raise ValueError("the rounding step must be above 0")

    def apply(self, value: Fraction) -> Decimal:
        """`value` to a multiple of the step: the nearest (a half goes up) or the next
        one up; written with the step's decimals (0.5 → one decimal)."""
        steps = Fraction(value) / Fraction(self.step)
        if self.mode == RoundingMode.UP:
            count = -((-steps.numerator) // steps.denominator)
        else:
            count = (2 * steps.numerator + steps.denominator) // (2 * steps.denominator)
        rounded = Decimal(count) * self.step
        exponent = self.step.normalize().as_tuple().exponent
        return rounded.quantize(Decimal(1).scaleb(min(exponent, 0)), rounding=ROUND_HALF_UP)

    def text(self, value: Fraction | None) -> str:
        """For a page: French decimal comma, "—" for no average."""
        if value is None:
            return "—"
        return str(self.apply(value)).replace(".", ",")


def is_decimal(value: Fraction) -> bool:
    """Whether `value` has a finite decimal expansion."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def decimal_text(value: Fraction | None) -> str:
    """The shortest exact decimal writing ("15.5", "14"), or N/D when there is none."""
    if value is None:
        return ""
    if not is_decimal(value):
        return f"{value.numerator}/{value.denominator}"
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
    text = format(Decimal(int(value * 10**places)).scaleb(-places), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def exact_text(value: Fraction) -> str:
    """As `grades_calc` writes unrounded values: a decimal with at least 6 decimals when
    the value has a finite expansion (exactly), else N/D."""
    if not is_decimal(value):
        return f"{value.numerator}/{value.denominator}"
    text = decimal_text(value)
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(6, '0')}"
