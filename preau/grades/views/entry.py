"""The teacher's entry of marks: their services, and for one service and period the
grid of its pupils × evaluations, typed at the keyboard and saved as typed.

- `entry`: the teacher's services with the periods of their divisions (the direction
  picks a division of the establishment and sees its services);
- `grid`: the pupils of the service over the period (rows), its evaluations
  (columns) with the class mean of each, each pupil's average in the service — every
  figure from the engine, rounded by the establishment's policy. Without JavaScript
  the page reads; with it (static/grades/grid.js) each cell saves as typed;
- `marks_save`: the cells typed or pasted, in JSON, through `services.marks_set`,
  each with the version it was shown with (0 for an empty cell), so that two
  teachers of a co-taught service never overwrite each other unseen; answers each
  cell (saved text, version, error, conflict) and the figures again;
- evaluations created, changed and deleted, sub-subjects added, the history of an
  evaluation's marks (every change: who, when, before → after).

A service's teachers open it; the direction opens any service of its establishment
(`services.may_enter`); anybody else gets a 404. In a sealed period the grid is
read-only for the teachers, with the reason; the direction can still correct.
"""

import json
from dataclasses import dataclass
from fractions import Fraction

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from preau.core.access import StaffScope, refuse
from preau.core.models import GradingPeriod, Person
from preau.core.selectors import today
from preau.grades import engine, services
from preau.grades.access import is_direction, policy_of
from preau.grades.forms import EvaluationForm, SubSubjectForm, add_service_errors
from preau.grades.models import (
    Evaluation,
    EvaluationKind,
    Mark,
    MarkChange,
    MarkCode,
    SubSubject,
)
from preau.grades.selectors.audience import service_pupils
from preau.grades.selectors.book import division_periods, period_on
from preau.grades.views.common import render_page
from preau.portal.access import staff_page
from preau.structure.models import Division, TeachingService
from preau.structure.selectors import division_services, divisions_for_scope, teacher_services

# A paste or a fill may send a whole column or a block; more is refused.
MAX_CELLS = 2000


def enters_marks(scope: StaffScope) -> bool:
    return scope.teaches or is_direction(scope)


def shown(text: str) -> str:
    """A mark as the page shows it: "15,5", "ABS", "" for an empty cell."""
    return text.replace(".", ",")


# -- Access and periods ----------------------------------------------------------------


def _service(request, scope: StaffScope, service_id: int) -> TeachingService:
    """The service, if the person enters its marks; a logged 404 otherwise."""
    service = (
        TeachingService.objects.select_related("subject", "division", "group", "establishment")
        .filter(pk=service_id, establishment_id=scope.establishment_id)
        .first()
    )
    if service is None or not services.may_enter(request.user, service):
        raise refuse(request, "grades_service", service_id)
    return service


def _group_schemes(group_ids: list[int]) -> dict[int, set[str]]:
    """The period schemes of the divisions each group draws on (whole divisions, class
    parts, and the divisions of its members). Three queries."""
    schemes: dict[int, set[str]] = {group_id: set() for group_id in group_ids}
    if not group_ids:
        return schemes
    for group_id, scheme in Division.objects.filter(groups__in=group_ids).values_list(
        "groups", "period_scheme"
    ):
        schemes[group_id].add(scheme)
    for group_id, scheme in Division.objects.filter(class_parts__groups__in=group_ids).values_list(
        "class_parts__groups", "period_scheme"
    ):
        schemes[group_id].add(scheme)
    for group_id, scheme in (
        Division.objects.filter(enrolments__pupil__group_memberships__group__in=group_ids)
        .values_list("enrolments__pupil__group_memberships__group", "period_scheme")
        .distinct()
    ):
        schemes[group_id].add(scheme)
    return schemes


def service_periods(service: TeachingService) -> list[GradingPeriod]:
    """The periods of the service's division, or of the divisions its group draws on."""
    if service.division_id:
        return division_periods(service.division)
    schemes = _group_schemes([service.group_id])[service.group_id]
    return list(
        GradingPeriod.objects.filter(
            school_year_id=service.school_year_id, scheme__in=schemes
        ).order_by("scheme", "number")
    )


def _periods_by_service(items: list[TeachingService]) -> dict[int, list[GradingPeriod]]:
    """The periods of each service, for a list of services: three queries at most."""
    group_schemes = _group_schemes([s.group_id for s in items if s.group_id])
    years = {s.school_year_id for s in items}
    every = list(GradingPeriod.objects.filter(school_year_id__in=years).order_by("number"))
    result = {}
    for service in items:
        schemes = (
            {service.division.period_scheme}
            if service.division_id
            else group_schemes.get(service.group_id, set())
        )
        result[service.pk] = [
            p for p in every if p.school_year_id == service.school_year_id and p.scheme in schemes
        ]
    return result


def _period(request, periods: list[GradingPeriod], period_id: int | None) -> GradingPeriod:
    if period_id is None:
        period = period_on(periods, today())
    else:
        period = next((p for p in periods if p.pk == period_id), None)
    if period is None:
        raise refuse(request, "grading_period", period_id)
    return period


def _sealed(service: TeachingService, period: GradingPeriod) -> bool:
    return services.sealed_divisions(Evaluation(service=service, period=period))


def sealed_reason(period: GradingPeriod, *, direction: bool) -> str:
    if direction:
        return _(
            "La période « %(period)s » est close : vous pouvez encore corriger une note, "
            "la modification est signalée dans l'historique."
        ) % {"period": period.label}
    return _(
        "La période « %(period)s » est close : les notes ne peuvent plus être modifiées "
        "que par la direction."
    ) % {"period": period.label}


# -- The teacher's services -------------------------------------------------------------


@staff_page(enters_marks)
def entry(request, *, scope):
    """The services whose marks the person enters, each with its periods (the current
    one first to open); the direction picks a division (`?classe=`) to see its
    services."""
    day = today()
    mine = (
        teacher_services(
            person_id=scope.person_id, establishment_id=scope.establishment_id, day=day
        )
        if scope.teaches
        else []
    )
    divisions, division, others = [], None, []
    if is_direction(scope):
        divisions = divisions_for_scope(scope, day)
        wanted = request.GET.get("classe", "")
        division = next((d for d in divisions if str(d.pk) == wanted), None)
        if division is not None:
            others = [s for s in division_services(division) if s not in mine]
    periods = _periods_by_service(mine + others)

    def rows(items):
        result = []
        for service in items:
            service_periods_ = periods.get(service.pk, [])
            current = period_on(service_periods_, day)
            result.append(
                {
                    "service": service,
                    "teachers": ", ".join(t.formal_name for t in service.teachers.all()),
                    "url": reverse("grades:entry_service", args=[service.pk]),
                    "periods": [
                        {
                            "period": period,
                            "current": period == current,
                            "url": reverse("grades:entry_grid", args=[service.pk, period.pk]),
                        }
                        for period in service_periods_
                    ],
                }
            )
        return result

    context = {
        "mine": rows(mine),
        "others": rows(others),
        "direction": is_direction(scope),
        "divisions": divisions,
        "division": division,
    }
    return render_page(request, "grades/entry/services.html", context)


# -- The grid ---------------------------------------------------------------------------


@dataclass
class Grid:
    """What the grid shows of a service in a period, every figure from the engine."""

    pupils: list[Person]
    evaluations: list[Evaluation]
    sub_subjects: list[SubSubject]
    # evaluation id → pupil id → mark
    marks: dict[int, dict[int, Mark]]
    results: engine.Results
    rounding: engine.Rounding
    service_id: int

    def average(self, pupil_id: int) -> str:
        return self.rounding.text(self.results.pupils[pupil_id].subjects[self.service_id].value)

    def evaluation_mean(self, evaluation_id: int) -> str:
        figures = self.results.evaluations.get(evaluation_id)
        return self.rounding.text(figures.mean if figures else None)

    @property
    def mean(self) -> str:
        return self.rounding.text(self.results.subjects[self.service_id].mean)

    def figures(self) -> dict:
        """The figures the page's script refreshes after a save."""
        return {
            "averages": {str(p.pk): self.average(p.pk) for p in self.pupils},
            "means": {str(e.pk): self.evaluation_mean(e.pk) for e in self.evaluations},
            "mean": self.mean,
        }


def load_grid(service: TeachingService, period: GradingPeriod) -> Grid:
    """The grid's pupils, evaluations, marks and averages: five queries whatever the
    size."""
    policy = policy_of(service.establishment_id)
    pupils = list(service_pupils(service, period.start_date, period.end_date))
    sub_subjects = list(SubSubject.objects.filter(service=service).order_by("code"))
    evaluations = list(
        Evaluation.objects.filter(service=service, period=period)
        .select_related("sub_subject")
        .order_by("date", "pk")
    )
    marks: dict[int, dict[int, Mark]] = {e.pk: {} for e in evaluations}
    for mark in Mark.objects.filter(evaluation__service=service, evaluation__period=period).only(
        "id", "evaluation_id", "pupil_id", "value", "code", "version"
    ):
        marks[mark.evaluation_id][mark.pupil_id] = mark
    audience = {pupil.pk for pupil in pupils}
    subject = engine.Subject(
        key=service.pk,
        subsubjects={sub.pk: Fraction(sub.coefficient) for sub in sub_subjects},
        evaluations=[e.as_engine() for e in evaluations],
    )
    results = engine.compute(
        [subject],
        {
            evaluation_id: {p: m.as_engine() for p, m in by_pupil.items() if p in audience}
            for evaluation_id, by_pupil in marks.items()
        },
        pupils=[pupil.pk for pupil in pupils],
    )
    # An evaluation's figures cover all its marks (a pupil who left keeps theirs).
    for evaluation_id, by_pupil in marks.items():
        results.evaluations[evaluation_id] = engine.evaluation_figures(
            m.as_engine() for m in by_pupil.values()
        )
    return Grid(
        pupils=pupils,
        evaluations=evaluations,
        sub_subjects=sub_subjects,
        marks=marks,
        results=results,
        rounding=policy.rounding,
        service_id=service.pk,
    )


def script_texts() -> dict[str, str]:
    """What the grid's script writes, translated here."""
    return {
        "saved": _("Enregistré"),
        "saved_many": _("%(n)s notes enregistrées."),
        "conflict": _("Votre saisie « %(typed)s » n'a pas été enregistrée."),
        "pending": _("En attente d'envoi"),
        "offline": _(
            "Connexion perdue : les notes en attente restent sur cet appareil et seront "
            "envoyées dès son retour."
        ),
        "login": _(
            "Votre session a pris fin : reconnectez-vous dans un autre onglet, puis revenez ici ; "
            "les notes en attente seront envoyées."
        ),
        "refused": _("Enregistrement refusé."),
        "ignored": _("%(n)s valeurs collées hors de la grille ont été ignorées."),
        "leave": _("Des notes ne sont pas encore enregistrées."),
    }


def _kind_label(evaluation: Evaluation) -> str:
    if evaluation.kind == EvaluationKind.NORMAL:
        return ""
    return str(EvaluationKind(evaluation.kind).label)


@staff_page(enters_marks)
def entry_service(request, service_id: int, *, scope):
    """A service's grid in its current period."""
    service = _service(request, scope, service_id)
    period = _period(request, service_periods(service), None)
    return HttpResponseRedirect(reverse("grades:entry_grid", args=[service.pk, period.pk]))


@staff_page(enters_marks)
def grid(request, service_id: int, period_id: int, *, scope):
    service = _service(request, scope, service_id)
    periods = service_periods(service)
    period = _period(request, periods, period_id)
    direction = is_direction(scope)
    sealed = _sealed(service, period)
    readonly = sealed and not direction
    data = load_grid(service, period)
    columns = [
        {
            "evaluation": evaluation,
            "kind": _kind_label(evaluation),
            "scale": shown(engine.decimal_text(Fraction(evaluation.scale))),
            "coefficient": shown(engine.decimal_text(Fraction(evaluation.coefficient))),
            "mean": data.evaluation_mean(evaluation.pk),
            "count": data.results.evaluations[evaluation.pk].count,
        }
        for evaluation in data.evaluations
    ]
    rows = []
    for pupil in data.pupils:
        cells = []
        for evaluation in data.evaluations:
            mark = data.marks[evaluation.pk].get(pupil.pk)
            cells.append(
                {
                    "evaluation": evaluation,
                    "text": shown(mark.text) if mark else "",
                    "version": mark.version if mark else 0,
                }
            )
        rows.append({"pupil": pupil, "cells": cells, "average": data.average(pupil.pk)})
    context = {
        "service": service,
        "period": period,
        "periods": [
            {
                "period": p,
                "url": reverse("grades:entry_grid", args=[service.pk, p.pk]),
                "current": p == period,
            }
            for p in periods
        ],
        "columns": columns,
        "rows": rows,
        "mean": data.mean,
        "sealed": sealed,
        "readonly": readonly,
        "sealed_reason": sealed_reason(period, direction=direction) if sealed else "",
        "sub_subjects": data.sub_subjects,
        "save_url": reverse("grades:entry_marks", args=[service.pk, period.pk]),
        "texts": script_texts(),
        "codes": MarkCode.choices,
    }
    return render_page(request, "grades/entry/grid.html", context)


# -- Saving cells -----------------------------------------------------------------------


class BadRequest(ValueError):
    pass


def _typed_cells(body: bytes) -> list[dict]:
    """The cells of the request: [{evaluation, pupil, text, version}]."""
    try:
        cells = json.loads(body or b"{}").get("cells")
    except (ValueError, AttributeError) as error:
        raise BadRequest(_("Requête illisible.")) from error
    if not isinstance(cells, list) or not cells:
        raise BadRequest(_("Aucune note à enregistrer."))
    if len(cells) > MAX_CELLS:
        raise BadRequest(_("Trop de notes à la fois."))
    typed = []
    for cell in cells:
        try:
            typed.append(
                {
                    "evaluation": int(cell["evaluation"]),
                    "pupil": int(cell["pupil"]),
                    "text": str(cell.get("text", ""))[:20],
                    "version": int(cell.get("version", 0)),
                }
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BadRequest(_("Requête illisible.")) from error
    return typed


@require_POST
@staff_page(enters_marks)
def marks_save(request, service_id: int, period_id: int, *, scope):
    """The cells typed or pasted (JSON `{"cells": [{evaluation, pupil, text,
    version}]}`), one `marks_set` per evaluation. Answers each cell as saved (`text`
    as shown, `version`) or refused in place (`error`; `conflict` when a colleague
    changed it meanwhile, `text` then being theirs), and the grid's figures again."""
    service = _service(request, scope, service_id)
    period = _period(request, service_periods(service), period_id)
    try:
        typed = _typed_cells(request.body)
    except BadRequest as error:
        return JsonResponse({"error": str(error)}, status=400)
    wanted = {cell["evaluation"] for cell in typed}
    evaluations = {
        evaluation.pk: evaluation
        for evaluation in Evaluation.objects.filter(
            pk__in=wanted, service=service, period=period
        ).select_related("service", "period", "establishment")
    }
    if set(evaluations) != wanted:
        raise refuse(request, "evaluation", sorted(wanted - set(evaluations)))
    answered = []
    try:
        for evaluation_id, evaluation in evaluations.items():
            cells = [cell for cell in typed if cell["evaluation"] == evaluation_id]
            # One change per pupil: the last typed wins (a paste may repeat a cell).
            changes = {
                cell["pupil"]: services.Change(cell["pupil"], cell["text"], cell["version"])
                for cell in cells
            }
            for cell in services.marks_set(
                actor=request.user, evaluation=evaluation, changes=list(changes.values())
            ):
                answered.append(
                    {
                        "evaluation": evaluation_id,
                        "pupil": cell.pupil_id,
                        "text": shown(cell.text),
                        "version": cell.version,
                        "error": cell.error,
                        "conflict": cell.conflict,
                    }
                )
    except PermissionDenied as error:
        return JsonResponse({"error": str(error)}, status=403)
    answer = {"cells": answered}
    answer.update(load_grid(service, period).figures())
    return JsonResponse(answer)


# -- Evaluations and sub-subjects --------------------------------------------------------


def _evaluation(request, scope: StaffScope, evaluation_id: int) -> Evaluation:
    evaluation = (
        Evaluation.objects.select_related(
            "service__subject",
            "service__division",
            "service__group",
            "period",
            "sub_subject",
            "establishment",
        )
        .filter(pk=evaluation_id, establishment_id=scope.establishment_id)
        .first()
    )
    if evaluation is None or not services.may_enter(request.user, evaluation.service):
        raise refuse(request, "evaluation", evaluation_id)
    return evaluation


def _grid_url(service_id: int, period_id: int) -> str:
    return reverse("grades:entry_grid", args=[service_id, period_id])


@staff_page(enters_marks)
def evaluation_new(request, service_id: int, period_id: int, *, scope):
    service = _service(request, scope, service_id)
    periods = service_periods(service)
    period = _period(request, periods, period_id)
    sub_subjects = list(SubSubject.objects.filter(service=service).order_by("code"))
    initial = {
        "date": today(),
        "scale": 20,
        "coefficient": 1,
        "bring_to_20": True,
        "kind": EvaluationKind.NORMAL,
        "period": period.pk,
    }
    form = EvaluationForm(
        request.POST or None, initial=initial, sub_subjects=sub_subjects, periods=periods
    )
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.evaluation_create(
                actor=request.user,
                service=service,
                period=form.cleaned_data["period"],
                **form.service_fields(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            raise refuse(request, "grades_service", service.pk) from error
        else:
            messages.success(request, _("Devoir « %(title)s » créé.") % {"title": evaluation.title})
            return HttpResponseRedirect(_grid_url(service.pk, evaluation.period_id))
    context = {
        "service": service,
        "period": period,
        "form": form,
        "evaluation": None,
        "back_url": _grid_url(service.pk, period.pk),
    }
    return render_page(
        request, "grades/entry/evaluation.html", context, status=400 if form.errors else 200
    )


@staff_page(enters_marks)
def evaluation_edit(request, evaluation_id: int, *, scope):
    evaluation = _evaluation(request, scope, evaluation_id)
    service = evaluation.service
    periods = service_periods(service)
    sub_subjects = list(SubSubject.objects.filter(service=service).order_by("code"))
    initial = {
        "title": evaluation.title,
        "date": evaluation.date,
        "scale": evaluation.scale,
        "coefficient": evaluation.coefficient,
        "bring_to_20": evaluation.bring_to_20,
        "kind": evaluation.kind,
        "sub_subject": evaluation.sub_subject_id,
        "period": evaluation.period_id,
        "published_on": evaluation.published_on,
    }
    form = EvaluationForm(
        request.POST or None, initial=initial, sub_subjects=sub_subjects, periods=periods
    )
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.evaluation_update(
                actor=request.user,
                evaluation=evaluation,
                period=form.cleaned_data["period"],
                **form.service_fields(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            refusal = str(error)
        else:
            messages.success(
                request, _("Devoir « %(title)s » modifié.") % {"title": evaluation.title}
            )
            return HttpResponseRedirect(_grid_url(service.pk, evaluation.period_id))
    context = {
        "service": service,
        "period": evaluation.period,
        "form": form,
        "evaluation": evaluation,
        "refusal": refusal,
        "back_url": _grid_url(service.pk, evaluation.period_id),
        "has_marks": Mark.objects.filter(evaluation=evaluation).exists(),
    }
    status = 400 if form.errors or refusal else 200
    return render_page(request, "grades/entry/evaluation.html", context, status=status)


@staff_page(enters_marks)
def evaluation_delete(request, evaluation_id: int, *, scope):
    evaluation = _evaluation(request, scope, evaluation_id)
    back = _grid_url(evaluation.service_id, evaluation.period_id)
    error = ""
    if request.method == "POST":
        try:
            services.evaluation_delete(actor=request.user, evaluation=evaluation)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        except PermissionDenied as refused:
            error = str(refused)
        else:
            messages.success(
                request, _("Devoir « %(title)s » supprimé.") % {"title": evaluation.title}
            )
            return HttpResponseRedirect(back)
    context = {
        "evaluation": evaluation,
        "service": evaluation.service,
        "back_url": back,
        "error": error,
        "marks": Mark.objects.filter(evaluation=evaluation).count(),
    }
    return render_page(request, "grades/entry/delete.html", context, status=400 if error else 200)


@staff_page(enters_marks)
def sub_subjects(request, service_id: int, period_id: int, *, scope):
    """The service's sub-subjects, and a form to add one."""
    service = _service(request, scope, service_id)
    period = _period(request, service_periods(service), period_id)
    form = SubSubjectForm(request.POST or None, initial={"coefficient": 1})
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.sub_subject_create(
                actor=request.user, service=service, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            raise refuse(request, "grades_service", service.pk) from error
        else:
            messages.success(
                request, _("Sous-matière « %(label)s » ajoutée.") % {"label": sub.label}
            )
            return HttpResponseRedirect(
                reverse("grades:entry_sub_subjects", args=[service.pk, period.pk])
            )
    context = {
        "service": service,
        "period": period,
        "form": form,
        "items": [
            {"sub": sub, "coefficient": shown(engine.decimal_text(Fraction(sub.coefficient)))}
            for sub in SubSubject.objects.filter(service=service).order_by("code")
        ],
        "back_url": _grid_url(service.pk, period.pk),
    }
    return render_page(
        request, "grades/entry/sub_subjects.html", context, status=400 if form.errors else 200
    )


# -- History ----------------------------------------------------------------------------

HISTORY_LIMIT = 500


@staff_page(enters_marks)
def history(request, evaluation_id: int, *, scope):
    """Every change of the evaluation's marks, newest first; `?eleve=` narrows to one
    pupil's cell."""
    evaluation = _evaluation(request, scope, evaluation_id)
    service = evaluation.service
    pupils = list(service_pupils(service, evaluation.period.start_date, evaluation.period.end_date))
    changes = MarkChange.objects.filter(evaluation=evaluation).select_related("pupil", "actor")
    wanted = request.GET.get("eleve", "")
    pupil = None
    if wanted:
        pupil = next((p for p in pupils if str(p.pk) == wanted), None)
        if pupil is None:
            pupil = Person.objects.filter(
                pk=wanted if wanted.isdigit() else 0,
                pk__in=MarkChange.objects.filter(evaluation=evaluation).values("pupil_id"),
            ).first()
        if pupil is None:
            raise refuse(request, "pupil", wanted)
        changes = changes.filter(pupil=pupil)
    rows = [
        {
            "change": change,
            "before": shown(change.before),
            "after": shown(change.after),
        }
        for change in changes.order_by("-at", "-pk")[:HISTORY_LIMIT]
    ]
    context = {
        "evaluation": evaluation,
        "service": service,
        "pupils": pupils,
        "pupil": pupil,
        "rows": rows,
        "limit": HISTORY_LIMIT,
        "back_url": _grid_url(service.pk, evaluation.period_id),
        "date_label": date_format(evaluation.date, "j F Y"),
    }
    return render_page(
        request, "grades/entry/history.html", context, zone=evaluation.establishment.timezone
    )


patterns = [
    path("saisie/", entry, name="entry"),
    path("saisie/service/<int:service_id>/", entry_service, name="entry_service"),
    path("saisie/service/<int:service_id>/periode/<int:period_id>/", grid, name="entry_grid"),
    path(
        "saisie/service/<int:service_id>/periode/<int:period_id>/notes/",
        marks_save,
        name="entry_marks",
    ),
    path(
        "saisie/service/<int:service_id>/periode/<int:period_id>/devoir/",
        evaluation_new,
        name="entry_evaluation_new",
    ),
    path(
        "saisie/service/<int:service_id>/periode/<int:period_id>/sous-matieres/",
        sub_subjects,
        name="entry_sub_subjects",
    ),
    path("saisie/devoir/<int:evaluation_id>/", evaluation_edit, name="entry_evaluation"),
    path(
        "saisie/devoir/<int:evaluation_id>/supprimer/",
        evaluation_delete,
        name="entry_evaluation_delete",
    ),
    path("saisie/devoir/<int:evaluation_id>/historique/", history, name="entry_history"),
]
