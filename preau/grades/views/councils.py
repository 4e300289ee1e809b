"""Conseils de classe, appraisals and report cards (bulletins).

- `councils`: the head teachers of a division and the direction prepare and hold the
  conseil de classe: every pupil's averages by subject with the class figures, their
  absences, the teachers' appraisals, and the head teacher's and the council's
  appraisals typed in place (saved as typed); the direction closes the period
  ("Clore la période") and reopens it.
- `appraisals`: a teacher types the appraisals of one of their services for a period,
  beside each pupil's average (saved as typed). The service's head teachers and the
  direction read it.
- `report_cards`: for staff who read report cards (direction, secretariat, vie
  scolaire: every division; a teacher: the divisions they are head teacher of), a
  division's cards as PDF, and, for the direction, issuing them; for a pupil and
  their family (the same address in their space), the report cards issued to them,
  when they may see them (access.md: both legal guardians alike, an adult pupil's
  objection hides them, contacts only when the establishment allows).

Stored report cards are never under a public address: `report_card_document` serves
them after the same checks. Anything not visible answers 404, logged (`refuse`).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from preau.core.access import StaffScope, refuse
from preau.core.selectors import today
from preau.grades import report_cards as documents
from preau.grades import services
from preau.grades.access import is_direction, policy_of, reads_report_cards
from preau.grades.models import Appraisal, AppraisalKind, PeriodSeal, ReportCard
from preau.grades.selectors.audience import division_pupils, service_divisions, service_pupils
from preau.grades.selectors.book import class_book, division_periods, period_on
from preau.grades.selectors.report_cards import (
    DivisionCards,
    council_divisions,
    division_cards,
    report_card_divisions,
    subject_label,
)
from preau.grades.views.common import as_int, choose, reader_of, render_page
from preau.portal.access import staff_page
from preau.portal.spaces import FAMILY, PUPIL
from preau.structure.models import Division, Enrolment, TeachingService
from preau.structure.selectors import teacher_services

COUNCIL_KINDS = (AppraisalKind.HEAD_TEACHER, AppraisalKind.COUNCIL)


# -- The conseil de classe ---------------------------------------------------------------


def _may_council(scope: StaffScope) -> bool:
    return is_direction(scope) or scope.teaches


@dataclass(frozen=True)
class Cell:
    text: str
    follows: bool


def _matrix(cards: DivisionCards) -> list[dict]:
    rounding = cards.rounding
    rows = []
    for card in cards.cards:
        by_service = {line.service.pk: line for line in card.lines}
        rows.append(
            {
                "card": card,
                "cells": [
                    Cell(rounding.text(by_service[s.pk].average), True)
                    if s.pk in by_service
                    else Cell("", False)
                    for s in cards.services
                ],
                "general": rounding.text(card.general),
            }
        )
    return rows


def _appraisal_field(
    *, kind: str, pupil_id: int, appraisal: Appraisal | None, label: str, service_id=None
) -> dict:
    key = f"{kind}-{service_id or 0}-{pupil_id}"
    return {
        "key": key,
        "kind": kind,
        "label": label,
        "pupil_id": pupil_id,
        "service_id": service_id,
        "text": appraisal.text if appraisal else "",
        "version": appraisal.version if appraisal else 0,
    }


@staff_page(_may_council)
def councils(request, *, scope):
    choice = choose(request, request.GET, council_divisions(scope, today()))
    if choice.division is None:
        raise refuse(request, "page", request.path)
    context = {"choice": choice, "direction": is_direction(scope)}
    if choice.period is not None:
        cards = division_cards(division=choice.division, period=choice.period)
        rounding = cards.rounding
        may_write = not cards.sealed or is_direction(scope)
        context.update(
            cards=cards,
            services=[
                {
                    "service": service,
                    "label": subject_label(service),
                    "figures": documents.figures_text(
                        cards.book.results.subjects[service.pk], rounding
                    ),
                    "coefficient": documents.coefficient_text(cards.book.coefficients[service.pk]),
                    "mine": is_direction(scope)
                    or any(t.pk == scope.person_id for t in service.teachers.all()),
                }
                for service in cards.services
            ],
            rows=_matrix(cards),
            general_figures=documents.figures_text(cards.general_figures, rounding),
            may_write=may_write,
            limit=cards.policy.appraisal_max_length,
            pupils=[
                {
                    "card": card,
                    "general": rounding.text(card.general),
                    "lines": documents.lines_text(cards, card),
                    "fields": [
                        _appraisal_field(
                            kind=AppraisalKind.HEAD_TEACHER,
                            pupil_id=card.pupil.pk,
                            appraisal=card.head_teacher,
                            label=_("Appréciation du professeur principal"),
                        ),
                        _appraisal_field(
                            kind=AppraisalKind.COUNCIL,
                            pupil_id=card.pupil.pk,
                            appraisal=card.council,
                            label=_("Avis du conseil de classe"),
                        ),
                    ],
                }
                for card in cards.cards
            ],
        )
    return render_page(request, "grades/councils/council.html", context)


def _state(request, *, key: str, version: int, error: str = "", saved: bool = False, count=0):
    return render_page(
        request,
        "grades/councils/_state.html",
        {"key": key, "version": version, "error": error, "saved": saved, "count": count},
    )


def _save_appraisal(request, *, key: str, back: str, **arguments):
    """Calls `services.appraisal_set`; answers the field's state (htmx) or goes back to
    the page with a message."""
    text = request.POST.get("text", "").replace("\r\n", "\n")
    expected = as_int(request.POST.get("version"))
    error, version = "", expected or 0
    try:
        appraisal = services.appraisal_set(
            actor=request.user, text=text, expected_version=expected, **arguments
        )
        version = appraisal.version if appraisal else 0
    except services.StaleAppraisal as stale:
        current = stale.appraisal.text if stale.appraisal else ""
        error = _(
            "Modifiée entre-temps par quelqu'un d'autre (« %(text)s ») : rechargez la page "
            "avant de continuer, votre texte n'a pas été enregistré."
        ) % {"text": current}
    except ValidationError as invalid:
        error = " ".join(invalid.messages)
    except PermissionDenied as denied:
        error = str(denied)
    if request.htmx:
        return _state(
            request, key=key, version=version, error=error, saved=not error, count=len(text.strip())
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Appréciation enregistrée."))
    return HttpResponseRedirect(back)


@require_POST
@staff_page(_may_council)
def council_appraisal(request, *, scope):
    """The head teacher's or the council's appraisal of one pupil."""
    choice = choose(request, request.POST, council_divisions(scope, today()))
    kind = request.POST.get("kind")
    if choice.division is None or choice.period is None or kind not in COUNCIL_KINDS:
        raise refuse(request, "appraisal", request.POST.get("pupil"))
    pupil = (
        division_pupils(choice.division, choice.period.start_date, choice.period.end_date)
        .filter(pk=as_int(request.POST.get("pupil")))
        .first()
    )
    if pupil is None:
        raise refuse(request, "appraisal", request.POST.get("pupil"))
    back = f"{reverse('grades:councils')}?{choice.query}#eleve-{pupil.pk}"
    return _save_appraisal(
        request,
        key=f"{kind}-0-{pupil.pk}",
        back=back,
        period=choice.period,
        pupil=pupil,
        division=choice.division,
        kind=kind,
        policy=policy_of(scope.establishment_id),
    )


@require_POST
@staff_page(is_direction)
def council_seal(request, *, scope):
    """Closes (or, `action=rouvrir`, reopens) the division's period."""
    choice = choose(request, request.POST, council_divisions(scope, today()))
    if choice.division is None or choice.period is None:
        raise refuse(request, "seal", request.POST.get("division"))
    names = {"division": choice.division.name, "period": choice.period.label}
    if request.POST.get("action") == "rouvrir":
        services.period_unseal(actor=request.user, division=choice.division, period=choice.period)
        messages.success(request, _("%(period)s rouvert pour %(division)s.") % names)
    else:
        services.period_seal(actor=request.user, division=choice.division, period=choice.period)
        messages.success(
            request,
            _("%(period)s clos pour %(division)s : seule la direction peut encore modifier.")
            % names,
        )
    return HttpResponseRedirect(f"{reverse('grades:councils')}?{choice.query}")


# -- A teacher's appraisals ---------------------------------------------------------------


def _service_for(request, scope: StaffScope, service_id: int) -> tuple[TeachingService, bool]:
    """The service and whether the person writes its appraisals: its teachers and the
    direction write, the head teachers of its divisions read; anybody else: 404."""
    service = (
        TeachingService.objects.filter(pk=service_id, establishment_id=scope.establishment_id)
        .select_related("subject", "division", "group")
        .prefetch_related("teachers")
        .first()
    )
    if service is None:
        raise refuse(request, "service", service_id)
    if is_direction(scope) or any(t.pk == scope.person_id for t in service.teachers.all()):
        return service, True
    if service_divisions(service).filter(head_teachers=scope.person_id).exists():
        return service, False
    raise refuse(request, "service", service_id)


def _service_period(request, service: TeachingService, divisions: list[Division], raw):
    periods = division_periods(divisions[0]) if divisions else []
    if raw:
        period = next((p for p in periods if str(p.pk) == str(raw)), None)
        if period is None:
            raise refuse(request, "period", raw)
        return periods, period
    return periods, period_on(periods, today())


@staff_page(lambda scope: scope.teaches or is_direction(scope))
def appraisals(request, service_id: int, *, scope):
    service, writes = _service_for(request, scope, service_id)
    divisions = sorted(service_divisions(service), key=lambda d: d.name)
    periods, period = _service_period(request, service, divisions, request.GET.get("periode"))
    policy = policy_of(scope.establishment_id)
    rows, limit = [], policy.appraisal_max_length
    sealed: set[int] = set()
    if period is not None:
        written = {
            a.pupil_id: a
            for a in Appraisal.objects.filter(
                period=period, service=service, kind=AppraisalKind.SUBJECT
            )
        }
        sealed = set(
            PeriodSeal.objects.filter(period=period, division__in=divisions).values_list(
                "division_id", flat=True
            )
        )
        seen: set[int] = set()
        for division in divisions:
            book = class_book(division=division, period=period, policy=policy)
            for pupil in book.pupils:
                if pupil.pk in seen or not book.follows(pupil.pk, service):
                    continue
                seen.add(pupil.pk)
                rows.append(
                    {
                        "pupil": pupil,
                        "division": division,
                        "average": book.rounding.text(
                            book.results.pupils[pupil.pk].subjects[service.pk].value
                        ),
                        "open": writes and (division.pk not in sealed or is_direction(scope)),
                        "field": _appraisal_field(
                            kind=AppraisalKind.SUBJECT,
                            pupil_id=pupil.pk,
                            appraisal=written.get(pupil.pk),
                            label=_("Appréciation de %(name)s") % {"name": pupil.display_name},
                            service_id=service.pk,
                        ),
                    }
                )
    context = {
        "service": service,
        "label": subject_label(service),
        "divisions": divisions,
        "periods": periods,
        "period": period,
        "rows": rows,
        "writes": writes,
        "limit": limit,
        "sealed": bool(sealed),
        "hidden": [("periode", period.pk)] if period is not None else [],
    }
    return render_page(request, "grades/councils/appraisals.html", context)


@require_POST
@staff_page(lambda scope: scope.teaches or is_direction(scope))
def appraisal_save(request, service_id: int, *, scope):
    service, writes = _service_for(request, scope, service_id)
    divisions = list(service_divisions(service))
    _periods, period = _service_period(request, service, divisions, request.POST.get("periode"))
    pupil_id = as_int(request.POST.get("pupil"))
    if not writes or period is None or pupil_id is None:
        raise refuse(request, "appraisal", pupil_id)
    enrolment = (
        Enrolment.objects.filter(
            pupil_id=pupil_id,
            division__in=divisions,
            start_date__lte=period.end_date,
        )
        .select_related("pupil", "division")
        .order_by("-start_date")
        .first()
    )
    # A group's service (a class part, a direct membership) is not every pupil's of
    # its divisions: only those who follow it during the period get its appraisal.
    if (
        enrolment is None
        or not service_pupils(service, period.start_date, period.end_date)
        .filter(pk=pupil_id)
        .exists()
    ):
        raise refuse(request, "appraisal", pupil_id)
    back = f"{reverse('grades:appraisals', args=[service.pk])}?periode={period.pk}"
    return _save_appraisal(
        request,
        key=f"{AppraisalKind.SUBJECT}-{service.pk}-{pupil_id}",
        back=back,
        period=period,
        pupil=enrolment.pupil,
        division=enrolment.division,
        kind=AppraisalKind.SUBJECT,
        service=service,
        policy=policy_of(scope.establishment_id),
    )


# -- Report cards ----------------------------------------------------------------------


def _staff_scope(request) -> StaffScope | None:
    space = request.space
    return space.staff_scope(request.user.person_id) if space is not None else None


def _reads_some(scope: StaffScope) -> bool:
    return reads_report_cards(scope) or scope.teaches


@require_GET
@login_required
def report_cards(request):
    """The family's and the pupil's issued report cards, or the staff's page."""
    space = request.space
    if space is not None and space.kind in (FAMILY, PUPIL):
        return _family_report_cards(request)
    scope = _staff_scope(request)
    if scope is None or not _reads_some(scope):
        raise refuse(request, "page", request.path)
    return _staff_report_cards(request, scope)


def _family_report_cards(request):
    reader = reader_of(request)
    issued = []
    if reader is not None and reader.access.may_see:
        issued = list(
            ReportCard.objects.filter(
                pupil_id=reader.pupil_id,
                establishment_id=reader.establishment_id,
                replaced=False,
            ).select_related("period")
        )
    return render_page(
        request, "grades/report_cards/family.html", {"reader": reader, "issued": issued}
    )


def _staff_report_cards(request, scope: StaffScope):
    choice = choose(request, request.GET, report_card_divisions(scope, today()))
    context = {"choice": choice, "direction": is_direction(scope), "pupils": []}
    if choice.division is not None and choice.period is not None:
        issued = {
            card.pupil_id: card
            for card in ReportCard.objects.filter(
                division=choice.division, period=choice.period, replaced=False
            )
        }
        context["pupils"] = [
            {"pupil": pupil, "issued": issued.get(pupil.pk)}
            for pupil in division_pupils(
                choice.division, choice.period.start_date, choice.period.end_date
            )
        ]
        context["issued_count"] = len(issued)
    if scope.teaches:
        context["services"] = [
            {"service": service, "label": subject_label(service)}
            for service in teacher_services(
                person_id=scope.person_id, establishment_id=scope.establishment_id, day=today()
            )
        ]
    return render_page(request, "grades/report_cards/staff.html", context)


def _pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=documents.PDF)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # A document about named pupils: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_page(_reads_some)
def report_cards_pdf(request, *, scope):
    """The division's cards as they stand now (`eleve`: one pupil's), not issued."""
    choice = choose(request, request.GET, report_card_divisions(scope, today()))
    if choice.division is None or choice.period is None:
        raise refuse(request, "report_cards", request.GET.get("division"))
    pupil_id = as_int(request.GET.get("eleve"))
    cards = division_cards(
        division=choice.division,
        period=choice.period,
        pupil_ids=[pupil_id] if pupil_id is not None else None,
    )
    if pupil_id is not None and not cards.cards:
        raise refuse(request, "report_card", pupil_id)
    with timezone.override(ZoneInfo(cards.establishment.timezone)):
        content = documents.cards_pdf(cards)
    card = cards.cards[0] if pupil_id is not None else None
    return _pdf_response(content, documents.download_name(cards, card))


@require_POST
@staff_page(is_direction)
def report_cards_issue(request, *, scope):
    choice = choose(request, request.POST, report_card_divisions(scope, today()))
    if choice.division is None or choice.period is None:
        raise refuse(request, "report_cards", request.POST.get("division"))
    try:
        issued = documents.report_cards_issue(
            actor=request.user, division=choice.division, period=choice.period
        )
    except PermissionDenied:
        raise refuse(request, "report_cards", choice.division.pk) from None
    messages.success(
        request,
        _(
            "%(count)d bulletins publiés pour %(division)s : les élèves et leurs responsables "
            "les trouvent dans leur espace."
        )
        % {"count": len(issued), "division": choice.division.name},
    )
    return HttpResponseRedirect(f"{reverse('grades:report_cards')}?{choice.query}")


def _may_download(request, card: ReportCard) -> bool:
    space = request.space
    if space is not None and space.kind in (FAMILY, PUPIL):
        reader = reader_of(request)
        return (
            reader is not None
            and reader.access.may_see
            and not card.replaced
            and card.pupil_id == reader.pupil_id
            and card.establishment_id == reader.establishment_id
        )
    scope = _staff_scope(request)
    if scope is None or scope.establishment_id != card.establishment_id:
        return False
    if reads_report_cards(scope):
        return True
    return card.division.head_teachers.filter(pk=scope.person_id).exists()


@require_GET
@login_required
def report_card_document(request, card_id: int):
    """An issued report card, as it was sent, to those who may see it."""
    card = ReportCard.objects.filter(pk=card_id).select_related("division").first()
    if card is None or not card.document or not _may_download(request, card):
        raise refuse(request, "report_card", card_id)
    response = FileResponse(
        card.document.open("rb"),
        as_attachment=True,
        filename=card.document.name.rsplit("/", 1)[-1],
        content_type=documents.PDF,
    )
    response["Cache-Control"] = "private, no-store"
    return response


patterns = [
    path("conseils-de-classe/", councils, name="councils"),
    path("conseils-de-classe/appreciation/", council_appraisal, name="council_appraisal"),
    path("conseils-de-classe/cloture/", council_seal, name="council_seal"),
    path("appreciations/<int:service_id>/", appraisals, name="appraisals"),
    path("appreciations/<int:service_id>/enregistrer/", appraisal_save, name="appraisal_save"),
    path("bulletins/", report_cards, name="report_cards"),
    path("bulletins/pdf/", report_cards_pdf, name="report_cards_pdf"),
    path("bulletins/publier/", report_cards_issue, name="report_cards_issue"),
    path("bulletins/<int:card_id>/", report_card_document, name="report_card_document"),
]
