"""A pupil's grades as the pupil or a guardian sees them on the pages:
`GET /api/v1/pupils/{id}/grades`.

The same rules decide (`grades.access.grades_access`, `views.common`): the pupil
themself from each evaluation's publication date; each legal guardian after the
establishment's parent delay, unless the pupil, of age, objected; persons in charge
and contacts only where the establishment shows them grades. Anybody else — staff
included, who read grades on the pages of their establishment — gets a 404, logged.
The numbers come from the class book and the engine, like every page: averages rounded
by the establishment's rule (`average`) and unrounded (`exact`, as `grades_calc`
writes them), class figures over the evaluations the caller may see.
"""

from datetime import date
from fractions import Fraction

from ninja import Router, Schema

from preau.api.access import pupil_link
from preau.core.access import refuse
from preau.core.selectors import today
from preau.grades import engine
from preau.grades.access import grades_access
from preau.grades.calc import average_json, figures_json
from preau.grades.selectors.family import UnknownPeriod, family_book

router = Router(tags=["notes"])


class FiguresOut(Schema):
    mean: str | None
    min: str | None
    max: str | None
    count: int


class AverageOut(Schema):
    average: str | None
    exact: str | None


class EvaluationOut(Schema):
    id: int
    title: str
    date: date
    scale: str
    coefficient: str
    ramener_sur_20: bool
    kind: str
    sub_subject: str | None
    mark: str | None
    class_figures: FiguresOut


class SubjectOut(Schema):
    id: int
    subject: str
    teachers: list[str]
    coefficient: str
    average: AverageOut
    class_figures: FiguresOut
    evaluations: list[EvaluationOut]


class PeriodOut(Schema):
    id: int
    label: str
    start: date
    end: date


class GradesOut(Schema):
    pupil: int
    period: PeriodOut | None
    periods: list[PeriodOut]
    visible_from_delay_days: int
    general: AverageOut
    general_class_figures: FiguresOut
    subjects: list[SubjectOut]


def _mark_text(book, evaluation_id: int, pupil_id: int) -> str | None:
    mark = book.marks.get(evaluation_id, {}).get(pupil_id)
    return mark.text if mark else None


def _period(period) -> dict:
    return {
        "id": period.pk,
        "label": period.label,
        "start": period.start_date,
        "end": period.end_date,
    }


def _reader(request, pupil_id: int):
    """(establishment id, access, policy) for the pupil or one of their family; None
    for anybody else."""
    link = pupil_link(request, pupil_id, staff=False)
    if link is None:
        return None
    access, policy = grades_access(link, request.auth.person_id, pupil_id)
    return link.establishment_id, access, policy


@router.get(
    "/pupils/{pupil_id}/grades",
    response=GradesOut,
    summary="Les notes et moyennes d'un élève, telles que l'élève ou ses responsables les voient",
)
def pupil_grades(request, pupil_id: int, period: int | None = None):
    reader = _reader(request, pupil_id)
    if reader is None or not reader[1].may_see:
        raise refuse(request, "grades of pupil", pupil_id)
    establishment_id, access, policy = reader
    try:
        found = family_book(
            pupil_id=pupil_id,
            establishment_id=establishment_id,
            access=access,
            policy=policy,
            day=today(),
            period_id=period,
        )
    except UnknownPeriod:
        raise refuse(request, "period", period) from None
    empty = {
        "pupil": pupil_id,
        "period": _period(found.period) if found.period else None,
        "periods": [_period(p) for p in found.periods],
        "visible_from_delay_days": access.delay_days,
        "general": {"average": None, "exact": None},
        "general_class_figures": figures_json(engine.Figures.of(())),
        "subjects": [],
    }
    book = found.book
    if book is None:
        return empty
    rounding = book.rounding
    results = book.results.pupils.get(pupil_id)
    subs = {sub.pk: sub.label for items in book.sub_subjects.values() for sub in items}
    subjects = []
    for service in book.services:
        if not book.follows(pupil_id, service):
            continue
        evaluations = [
            {
                "id": evaluation.pk,
                "title": evaluation.title,
                "date": evaluation.date,
                "scale": engine.decimal_text(Fraction(evaluation.scale)),
                "coefficient": engine.decimal_text(Fraction(evaluation.coefficient)),
                "ramener_sur_20": evaluation.bring_to_20,
                "kind": evaluation.kind,
                "sub_subject": subs.get(evaluation.sub_subject_id),
                "mark": mark.text
                if (mark := book.marks.get(evaluation.pk, {}).get(pupil_id))
                else None,
                "class_figures": figures_json(book.results.evaluations[evaluation.pk]),
            }
            for evaluation in book.evaluations.get(service.pk, [])
        ]
        value = results.subjects[service.pk].value if results else None
        subjects.append(
            {
                "id": service.pk,
                "subject": service.subject.label,
                "teachers": [teacher.display_name for teacher in service.teachers.all()],
                "coefficient": engine.decimal_text(book.coefficients[service.pk]),
                "average": average_json(rounding, value),
                "class_figures": figures_json(book.results.subjects[service.pk]),
                "evaluations": evaluations,
            }
        )
    empty.update(
        general=average_json(rounding, results.general.value if results else None),
        general_class_figures=figures_json(book.results.general),
        subjects=subjects,
    )
    return empty
