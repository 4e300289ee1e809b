"""What a pupil and their families read of grades: the latest marks with the class
figures, the averages of a period, the explanation of each average in words, and the
simulation of a mark (grades.md).

Every figure comes from the class book (`book.class_book`), loaded with only the
evaluations the reader may see (`GradesAccess.cutoff`), so the class figures follow
what the reader sees too. The explanations are built from the engine's own trace
(`Average.steps`, `SubjectAverage.parts`, `GeneralAverage.lines`): the page shows
the very steps that produced the number. Nothing here writes.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from django.utils.translation import gettext as _

from preau.core.models import GradingPeriod
from preau.grades import engine
from preau.grades.access import GradesAccess
from preau.grades.models import EvaluationKind, GradesPolicy, MarkCode
from preau.grades.selectors.book import ClassBook, class_book, division_periods, period_on
from preau.structure.models import Division, Enrolment, TeachingService

# The id of the hypothetical evaluation of a simulation (never a database id).
SIMULATED = "simulation"

CODE_LABELS = dict(MarkCode.choices)
KIND_LABELS = dict(EvaluationKind.choices)

# -- Numbers in words ----------------------------------------------------------------------


def number(value: Fraction) -> str:
    """A number of an explanation: exact when it has at most two decimals ("9,5"),
    else to the hundredth ("9,33"), French comma."""
    if engine.is_decimal(value) and (value * 100).denominator == 1:
        return engine.decimal_text(value).replace(".", ",")
    return engine.Rounding().text(value)


def equals(value: Fraction) -> str:
    """ "= 9,5" when exact, "≈ 9,33" when the decimals go on."""
    exact = engine.is_decimal(value) and (value * 100).denominator == 1
    return f"{'=' if exact else '≈'} {number(value)}"


def mark_text(mark: engine.Mark, scale: Fraction) -> str:
    """ "15,5/20", or the code ("ABS")."""
    if mark.code:
        return mark.code
    return f"{number(mark.value)}/{number(scale)}"


def _term(weight: Fraction, value: str) -> str:
    return value if weight == 1 else f"{number(weight)} × {value}"


# -- Who and which division ----------------------------------------------------------------


def pupil_division(*, pupil_id: int, establishment_id: int, day: date) -> Division | None:
    """The division the pupil is enrolled in on `day` in this establishment (one
    query). Like `structure.selectors.current_divisions`, scoped by establishment: a
    pupil enrolled in two establishments is read in the reader's one only."""
    enrolment = (
        Enrolment.objects.on(day)
        .filter(pupil_id=pupil_id, division__establishment_id=establishment_id)
        .select_related("division")
        .order_by("-start_date", "-pk")
        .first()
    )
    return enrolment.division if enrolment else None


@dataclass
class FamilyBook:
    """The pupil's division, its periods, the period shown and its book as the reader
    may see it (book None when the pupil has no division or it has no period)."""

    division: Division | None
    periods: list[GradingPeriod]
    period: GradingPeriod | None
    book: ClassBook | None


class UnknownPeriod(LookupError):
    """A period id that is not one of the division's periods."""


def family_book(
    *,
    pupil_id: int,
    establishment_id: int,
    access: GradesAccess,
    policy: GradesPolicy,
    day: date,
    period_id: int | None = None,
) -> FamilyBook:
    """Nine queries whatever the size of the class: the division, its periods, the
    class book (seven, the policy being known). `period_id` None: the period of `day`."""
    division = pupil_division(pupil_id=pupil_id, establishment_id=establishment_id, day=day)
    if division is None:
        if period_id is not None:
            raise UnknownPeriod(period_id)
        return FamilyBook(None, [], None, None)
    periods = division_periods(division)
    if period_id is None:
        period = period_on(periods, day)
    else:
        period = next((p for p in periods if p.pk == period_id), None)
        if period is None:
            raise UnknownPeriod(period_id)
    if period is None:
        return FamilyBook(division, periods, None, None)
    book = class_book(
        division=division, period=period, published_by=access.cutoff(day), policy=policy
    )
    return FamilyBook(division, periods, period, book)


def _followed(book: ClassBook, pupil_id: int) -> list[TeachingService]:
    return [service for service in book.services if book.follows(pupil_id, service)]


def _teachers(service: TeachingService) -> str:
    return ", ".join(teacher.display_name for teacher in service.teachers.all())


# -- Dernières notes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Class figures as shown: mean, lowest, highest, and how many are behind them."""

    mean: str
    low: str
    high: str
    count: int


def _figures(figures: engine.Figures, rounding: engine.Rounding) -> Figures:
    return Figures(
        rounding.text(figures.mean),
        rounding.text(figures.low),
        rounding.text(figures.high),
        figures.count,
    )


def _evaluation_figures(figures: engine.Figures, rounding: engine.Rounding) -> Figures:
    """The lowest and highest are marks as given (quarter points): written exactly."""
    if not figures.count:
        return Figures("—", "—", "—", 0)
    return Figures(
        rounding.text(figures.mean), number(figures.low), number(figures.high), figures.count
    )


@dataclass(frozen=True)
class LatestRow:
    evaluation_id: int
    subject: str
    sub_subject: str
    title: str
    date: date
    mark: str
    # The code's meaning ("absent, compté zéro"), "" for a number.
    code_label: str
    coefficient: str
    kind: str
    # The kind in words for an optional or bonus evaluation, "" for a normal one.
    kind_label: str
    bring_to_20: bool
    scale: str
    figures: Figures


def latest_rows(book: ClassBook, pupil_id: int) -> list[LatestRow]:
    """The pupil's marks of the book, newest first, each with its class figures (on the
    evaluation's scale)."""
    rows = []
    for service in _followed(book, pupil_id):
        for evaluation in book.evaluations.get(service.pk, []):
            mark = book.marks.get(evaluation.pk, {}).get(pupil_id)
            if mark is None:
                continue
            scale = Fraction(evaluation.scale)
            figures = book.results.evaluations.get(evaluation.pk) or engine.Figures.of(())
            rows.append(
                LatestRow(
                    evaluation_id=evaluation.pk,
                    subject=service.subject.label,
                    sub_subject=evaluation.sub_subject.label if evaluation.sub_subject else "",
                    title=evaluation.title,
                    date=evaluation.date,
                    mark=mark_text(mark.as_engine(), scale),
                    code_label=str(CODE_LABELS.get(mark.code, "")) if mark.code else "",
                    coefficient=number(Fraction(evaluation.coefficient)),
                    kind=evaluation.kind,
                    kind_label=""
                    if evaluation.kind == EvaluationKind.NORMAL
                    else str(KIND_LABELS[evaluation.kind]),
                    bring_to_20=evaluation.bring_to_20,
                    scale=number(scale),
                    figures=_evaluation_figures(figures, book.rounding),
                )
            )
    rows.sort(key=lambda row: (row.date, row.evaluation_id), reverse=True)
    return rows


# -- "Comment est calculée cette moyenne ?" -----------------------------------------------


@dataclass(frozen=True)
class StepLine:
    """One mark in an average: what it is and what the engine did with it."""

    title: str
    mark: str
    # The engine's outcome (engine.COUNTED…), for the look of the line.
    outcome: str
    counted: bool
    text: str


@dataclass(frozen=True)
class AverageExplanation:
    steps: list[StepLine]
    # "(18 + 6 + 4) / (1 + 1 + 1) = 28 / 3 ≈ 9,33"; "" with nothing counted.
    formula: str
    # Why the result is 20 when the sum went above it; "".
    capped: str
    # The average as displayed (policy rounding), "—" for none.
    result: str
    # Why there is no average; "".
    empty: str


def _title_of(evaluation: engine.Evaluation, titles: dict) -> str:
    if evaluation.id == SIMULATED:
        return _("Note simulée")
    return titles.get(evaluation.id, "")


def _weight_words(evaluation: engine.Evaluation) -> str:
    coefficient = number(evaluation.coefficient)
    if evaluation.bring_to_20:
        return _("coefficient %(c)s") % {"c": coefficient}
    return _("poids %(w)s (coefficient %(c)s × %(s)s/20 : la note n'est pas ramenée sur 20)") % {
        "w": number(evaluation.weight),
        "c": coefficient,
        "s": number(evaluation.scale),
    }


def _on_20_words(step: engine.Step) -> str:
    if step.mark.code:
        return _("%(code)s, compté 0/20") % {"code": step.mark.code}
    if step.evaluation.scale == engine.TWENTY:
        return _("%(x)s/20") % {"x": number(step.on_20)}
    return _("%(m)s ramené sur 20 : %(x)s/20") % {
        "m": mark_text(step.mark, step.evaluation.scale),
        "x": number(step.on_20),
    }


def _step_text(step: engine.Step, after: Fraction | None) -> str:
    evaluation = step.evaluation
    values = {
        "x": number(step.on_20) if step.on_20 is not None else "",
        "on20": _on_20_words(step) if step.on_20 is not None else "",
        "weight": _weight_words(evaluation),
        "points": number(step.points),
        "before": number(step.before) if step.before is not None else "",
        "after": number(after) if after is not None else "",
    }
    if step.outcome == engine.COUNTED:
        return _("Comptée : %(on20)s, %(weight)s.") % values
    if step.outcome == engine.NOT_COUNTED:
        return _("Non comptée : %(code)s (%(label)s) ne compte pas dans la moyenne.") % {
            "code": step.mark.code,
            "label": CODE_LABELS.get(step.mark.code, ""),
        }
    if step.outcome == engine.NO_WEIGHT:
        return _("Non comptée : le devoir a le coefficient 0.")
    if step.outcome == engine.OPTIONAL_KEPT:
        if step.before is None:
            return (
                _(
                    "Facultative, gardée : sans autre note, la meilleure note facultative "
                    "(%(on20)s) commence la moyenne, %(weight)s."
                )
                % values
            )
        return (
            _(
                "Facultative, gardée : %(on20)s fait monter la moyenne de %(before)s à "
                "%(after)s, %(weight)s."
            )
            % values
        )
    if step.outcome == engine.OPTIONAL_DROPPED:
        return (
            _(
                "Facultative, écartée : %(on20)s ne ferait pas monter la moyenne "
                "(%(before)s), elle n'est pas comptée."
            )
            % values
        )
    if step.outcome == engine.BONUS_POINTS:
        return (
            _(
                "Bonus : seuls les points au-dessus de 10 comptent ; %(on20)s ajoute "
                "%(points)s point(s) au total (%(weight)s × (%(x)s − 10)), sans changer le "
                "total des coefficients."
            )
            % values
        )
    if step.outcome == engine.BONUS_NONE:
        return _("Bonus sans effet : %(on20)s ne dépasse pas 10.") % values
    if step.outcome == engine.NO_BASE:
        return _(
            "Bonus non compté : il n'y a aucune note normale ou facultative à laquelle l'ajouter."
        )
    return ""


def explain_average(
    average: engine.Average, *, titles: dict, rounding: engine.Rounding
) -> AverageExplanation:
    """The steps of one average (`engine.average`) in words: each mark brought to /20,
    its weight, counted or why not; then Σ w·x / Σ w and the cap at 20. `titles`:
    evaluation id → its title as the page names it."""
    # The running sums, to say what an optional mark raised the average to.
    numerator = sum((s.points for s in average.steps if s.outcome == engine.COUNTED), Fraction(0))
    denominator = sum((s.weight for s in average.steps if s.outcome == engine.COUNTED), Fraction(0))
    lines = []
    numerator_terms: list[str] = []
    denominator_terms: list[str] = []
    for step in average.steps:
        after = None
        if step.outcome == engine.OPTIONAL_KEPT:
            numerator += step.points
            denominator += step.weight
            after = numerator / denominator
        if step.outcome in (engine.COUNTED, engine.OPTIONAL_KEPT):
            numerator_terms.append(_term(step.weight, number(step.on_20)))
            denominator_terms.append(number(step.weight))
        elif step.outcome == engine.BONUS_POINTS:
            numerator_terms.append(_term(step.weight, f"({number(step.on_20)} − 10)"))
        lines.append(
            StepLine(
                title=_title_of(step.evaluation, titles),
                mark=mark_text(step.mark, step.evaluation.scale),
                outcome=step.outcome,
                counted=step.outcome in (engine.COUNTED, engine.OPTIONAL_KEPT, engine.BONUS_POINTS),
                text=_step_text(step, after),
            )
        )
    if average.value is None:
        return AverageExplanation(
            lines,
            "",
            "",
            rounding.text(None),
            _("Aucune note n'est comptée : pas de moyenne (ce n'est pas 0)."),
        )
    uncapped = average.uncapped
    formula = "({}) / ({}) = {} / {} {}".format(
        " + ".join(numerator_terms),
        " + ".join(denominator_terms),
        number(average.numerator),
        number(average.denominator),
        equals(uncapped),
    )
    capped = _("Le résultat dépasse 20 : la moyenne est ramenée à 20.") if average.capped else ""
    return AverageExplanation(lines, formula, capped, rounding.text(average.value), "")


@dataclass(frozen=True)
class PartExplanation:
    label: str
    coefficient: str
    counted: bool
    # Why the part does not count; "".
    note: str
    average: AverageExplanation


@dataclass(frozen=True)
class SubjectExplanation:
    # Without sub-subjects: the one average.
    direct: AverageExplanation | None
    # With sub-subjects: one per sub-subject the pupil has marks in.
    parts: list[PartExplanation] = field(default_factory=list)
    # Σ coef·avg / Σ coef over the parts; "".
    formula: str = ""
    result: str = "—"


def explain_subject(
    subject: engine.SubjectAverage,
    *,
    titles: dict,
    sub_subject_labels: dict,
    rounding: engine.Rounding,
) -> SubjectExplanation:
    """A subject's average in words: its one average, or its sub-subjects' averages
    each explained and weighted by their coefficients."""
    if subject.direct is not None or not subject.parts:
        direct = subject.direct or engine.average(())
        return SubjectExplanation(
            explain_average(direct, titles=titles, rounding=rounding),
            result=rounding.text(subject.value),
        )
    parts = []
    numerator_terms, denominator_terms = [], []
    for part in subject.parts:
        if part.average.value is None:
            note = _("Pas de moyenne dans cette partie : elle est laissée de côté.")
        elif part.coefficient <= 0:
            note = _("Coefficient 0 : cette partie n'est pas comptée.")
        else:
            note = ""
            numerator_terms.append(_term(part.coefficient, number(part.average.value)))
            denominator_terms.append(number(part.coefficient))
        label = (
            sub_subject_labels.get(part.key, "")
            if part.key is not None
            else _("Devoirs sans sous-matière")
        )
        parts.append(
            PartExplanation(
                label=label,
                coefficient=number(part.coefficient),
                counted=part.counted,
                note=note,
                average=explain_average(part.average, titles=titles, rounding=rounding),
            )
        )
    formula = ""
    if subject.value is not None:
        formula = "({}) / ({}) {}".format(
            " + ".join(numerator_terms), " + ".join(denominator_terms), equals(subject.value)
        )
    return SubjectExplanation(None, parts, formula, rounding.text(subject.value))


@dataclass(frozen=True)
class GeneralLine:
    label: str
    coefficient: str
    average: str
    counted: bool
    # Why the subject is not counted; "".
    note: str


@dataclass(frozen=True)
class GeneralExplanation:
    lines: list[GeneralLine]
    formula: str
    result: str


def explain_general(
    general: engine.GeneralAverage,
    *,
    labels: dict,
    rounding: engine.Rounding,
) -> GeneralExplanation:
    """The general average in words: Σ coef·moyenne / Σ coef over the subjects of
    `labels` (subject key → name; the others are not the pupil's), from the
    unrounded subject averages."""
    lines = []
    numerator_terms, denominator_terms = [], []
    for line in general.lines:
        if line.key not in labels:
            continue
        if line.value is None:
            note = _("Pas de moyenne : matière laissée de côté.")
        elif line.coefficient <= 0:
            note = _("Coefficient 0 : matière affichée mais non comptée.")
        else:
            note = ""
            numerator_terms.append(_term(line.coefficient, number(line.value)))
            denominator_terms.append(number(line.coefficient))
        lines.append(
            GeneralLine(
                label=labels[line.key],
                coefficient=number(line.coefficient),
                average=rounding.text(line.value),
                counted=line.counted,
                note=note,
            )
        )
    formula = ""
    if general.value is not None:
        formula = "({}) / ({}) = {} / {} {}".format(
            " + ".join(numerator_terms),
            " + ".join(denominator_terms),
            number(general.numerator),
            number(general.denominator),
            equals(general.value),
        )
    return GeneralExplanation(lines, formula, rounding.text(general.value))


# -- Moyennes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectRow:
    service_id: int
    subject: str
    teachers: str
    coefficient: str
    average: str
    figures: Figures
    explanation: SubjectExplanation


@dataclass(frozen=True)
class Averages:
    rows: list[SubjectRow]
    general: str
    general_figures: Figures
    general_explanation: GeneralExplanation
    # "au centième (0,01), au plus proche"
    rounding: str


def _titles(book: ClassBook) -> dict:
    return {
        e.pk: f"{e.title} ({e.date.strftime('%d/%m')})"
        for items in book.evaluations.values()
        for e in items
    }


def _sub_subject_labels(book: ClassBook) -> dict:
    return {sub.pk: sub.label for subs in book.sub_subjects.values() for sub in subs}


def rounding_words(policy: GradesPolicy) -> str:
    return f"{policy.get_rounding_step_display()}, {policy.get_rounding_mode_display()}"


def averages_of(book: ClassBook, pupil_id: int) -> Averages:
    """The pupil's subject averages and general average of the book, with the class
    figures and the explanation of each."""
    rounding = book.rounding
    titles = _titles(book)
    subs = _sub_subject_labels(book)
    pupil = book.results.pupils.get(pupil_id)
    rows = []
    labels = {}
    for service in _followed(book, pupil_id):
        labels[service.pk] = service.subject.label
        subject = pupil.subjects[service.pk] if pupil else engine.subject_average(())
        rows.append(
            SubjectRow(
                service_id=service.pk,
                subject=service.subject.label,
                teachers=_teachers(service),
                coefficient=number(book.coefficients[service.pk]),
                average=rounding.text(subject.value),
                figures=_figures(
                    book.results.subjects.get(service.pk) or engine.Figures.of(()), rounding
                ),
                explanation=explain_subject(
                    subject, titles=titles, sub_subject_labels=subs, rounding=rounding
                ),
            )
        )
    general = pupil.general if pupil else engine.general_average(())
    return Averages(
        rows=rows,
        general=rounding.text(general.value),
        general_figures=_figures(book.results.general, rounding),
        general_explanation=explain_general(general, labels=labels, rounding=rounding),
        rounding=rounding_words(book.policy),
    )


# -- "Et si j'avais…" -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """A subject (and sub-subject) a mark may be simulated in: value "12" or "12:3"."""

    value: str
    label: str
    service_id: int
    sub_subject_id: int | None


def simulation_choices(book: ClassBook, pupil_id: int) -> list[Choice]:
    choices = []
    for service in _followed(book, pupil_id):
        subs = book.sub_subjects.get(service.pk, [])
        if not subs:
            choices.append(Choice(str(service.pk), service.subject.label, service.pk, None))
        for sub in subs:
            choices.append(
                Choice(
                    f"{service.pk}:{sub.pk}",
                    f"{service.subject.label} — {sub.label}",
                    service.pk,
                    sub.pk,
                )
            )
    return choices


@dataclass(frozen=True)
class Simulation:
    subject: str
    mark: str
    subject_before: str
    subject_after: str
    general_before: str
    general_after: str
    explanation: SubjectExplanation


def simulate(
    book: ClassBook,
    *,
    pupil_id: int,
    choice: Choice,
    scale: Fraction,
    coefficient: Fraction,
    mark: engine.Mark,
) -> Simulation:
    """The pupil's subject and general averages as the engine would compute them with
    one more mark (normal, brought to /20) in `choice`; nothing is saved."""
    extra = engine.Evaluation(
        id=SIMULATED, scale=scale, coefficient=coefficient, subsubject=choice.sub_subject_id
    )
    subjects = [
        dataclasses.replace(subject, evaluations=[*subject.evaluations, extra])
        if subject.key == choice.service_id
        else subject
        for subject in book.engine_subjects
    ]
    marks: dict = {
        evaluation_id: {pupil_id: by_pupil[pupil_id].as_engine()}
        for evaluation_id, by_pupil in book.marks.items()
        if pupil_id in by_pupil
    }
    marks[SIMULATED] = {pupil_id: mark}
    after = engine.compute(subjects, marks, pupils=[pupil_id]).pupils[pupil_id]
    before = book.results.pupils.get(pupil_id)
    rounding = book.rounding
    subject_label = next(
        (s.subject.label for s in book.services if s.pk == choice.service_id), choice.label
    )
    return Simulation(
        subject=subject_label,
        mark=mark_text(mark, scale),
        subject_before=rounding.text(before.subjects[choice.service_id].value if before else None),
        subject_after=rounding.text(after.subjects[choice.service_id].value),
        general_before=rounding.text(before.general.value if before else None),
        general_after=rounding.text(after.general.value),
        explanation=explain_subject(
            after.subjects[choice.service_id],
            titles=_titles(book),
            sub_subject_labels=_sub_subject_labels(book),
            rounding=rounding,
        ),
    )
