"""The vie scolaire's desk: the day's absences and lateness, entry over a period,
processing (decision, correction, voiding), school events, a pupil's attendance file,
and the settings (reasons, policy).

Open to the CPE, the assistants d'éducation, the direction and the secretariat of the
active establishment (the staff scope); anybody else gets a 404 (core.access.refuse).
Health reasons are confidential (access.md): the secretariat reads "motif
confidentiel" (or "absence justifiée") instead, without the family's explanation; it
may not download the document of such an absence (a medical certificate), nor decide or
correct it (both forms show the reason), but it downloads the other documents.
Every write goes through a service, which checks the permission again; every form that
changes an absence carries the version it read, and a concurrent change is shown, not
overwritten."""

import mimetypes
from datetime import timedelta
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import FileResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from preau.attendance import desk_services, services, settings_services, visibility
from preau.attendance.forms import (
    AbsenceEntryForm,
    CorrectForm,
    DecideForm,
    Decision,
    LatenessEntryForm,
    PolicyForm,
    ReasonForm,
    RestoreForm,
    SchoolEventForm,
    VoidForm,
    division_choices,
)
from preau.attendance.models import (
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
    SchoolEvent,
)
from preau.attendance.selectors import desk as selectors
from preau.attendance.views.common import establishment_of, is_desk, render_page
from preau.core.access import StaffScope, refuse
from preau.core.http import as_int as _int
from preau.core.models import Person, Role, RoleKind, SchoolYear
from preau.core.selectors import today
from preau.portal.access import staff_page
from preau.structure.selectors import pupils_in_division
from preau.timetable.grid import parse_day


def sees_health(scope: StaffScope) -> bool:
    """The vie scolaire and the direction read health reasons; the secretariat does not."""
    return visibility.sees_health_reasons(scope.roles)


def edits_settings(scope: StaffScope) -> bool:
    return bool(scope.roles & settings_services.SETTINGS_ROLES)


desk_page = staff_page(is_desk)
settings_page = staff_page(edits_settings)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# -- The day --------------------------------------------------------------------------------


STATE_FILTERS = [
    ("", gettext_lazy("Toutes (sauf annulées)")),
    *[(value, label) for value, label in AbsenceState.choices],
    (selectors.VOIDED, gettext_lazy("Annulées")),
]


@desk_page
def desk(request, *, scope):
    """The "Absences du jour" page: the day's absences and lateness by division, with counts,
    filters and the justifications waiting for a decision first."""
    establishment = establishment_of(scope)
    day = parse_day(request.GET.get("jour")) or today()
    state = request.GET.get("etat", "")
    if state not in {value for value, _label in STATE_FILTERS}:
        state = ""
    kind = request.GET.get("nature", "")
    if kind not in AbsenceKind.values:
        kind = ""
    filters = selectors.DeskFilters(
        state=state, division_id=_int(request.GET.get("classe")), kind=kind
    )
    found = selectors.desk_day(
        establishment=establishment, day=day, filters=filters, sees_confidential=sees_health(scope)
    )
    url = reverse("attendance:desk")
    context = {
        "found": found,
        "day": day,
        "is_today": day == today(),
        "filters": filters,
        "filtered": bool(state or kind or filters.division_id),
        "state_filters": STATE_FILTERS,
        "kinds": AbsenceKind.choices,
        "previous": f"{url}?{urlencode({'jour': (day - timedelta(days=1)).isoformat()})}",
        "next": f"{url}?{urlencode({'jour': (day + timedelta(days=1)).isoformat()})}",
        "here": request.get_full_path(),
        "settings": edits_settings(scope),
    }
    return render_page(request, "attendance/desk/day.html", context, establishment)


# -- Finding a pupil ------------------------------------------------------------------------


def _ids(values) -> list[int]:
    return [number for value in values if (number := _int(value)) is not None][:200]


def _picker(scope: StaffScope, *, query: str, chosen: list[int], multiple: bool) -> dict:
    day = today()
    chosen_rows = selectors.pupils_chosen(scope, chosen, day)
    results, more = selectors.pupil_search(scope, query, day) if query else ([], False)
    chosen_ids = {pupil.pk for pupil, _division in chosen_rows}
    return {
        "query": query,
        "chosen": chosen_rows,
        "results": [(p, d) for p, d in results if p.pk not in chosen_ids],
        "more": more,
        "multiple": multiple,
        "field_name": "pupils" if multiple else "pupil",
        "searched": bool(query),
    }


@desk_page
def pupils(request, *, scope):
    """The pupil picker's results (htmx): the pupils already chosen, ticked, and those
    whose names hold the words typed."""
    multiple = request.GET.get("multiple") == "1"
    chosen = _ids(request.GET.getlist("pupils" if multiple else "pupil"))
    context = _picker(
        scope, query=request.GET.get("q", "").strip()[:100], chosen=chosen, multiple=multiple
    )
    establishment = establishment_of(scope)
    return render_page(
        request, "attendance/desk/_picker_results.html", {"picker": context}, establishment
    )


def _searching(request, *choices: str) -> bool:
    """Whether a posted form asks for the pupil search rather than a save: its search
    button (without JavaScript), or Enter typed in the search field before any pupil
    was chosen. What was typed in the form is kept either way."""
    if request.method != "POST":
        return False
    if "chercher" in request.POST:
        return True
    return bool(request.POST.get("q", "").strip()) and not any(
        request.POST.get(name) for name in choices
    )


# -- Entering an absence or a lateness ------------------------------------------------------


@desk_page
def entry(request, *, scope):
    """An absence over a period (a day, several days, a half-day, precise times) or a
    lateness, for one pupil found by name."""
    establishment = establishment_of(scope)
    zone = ZoneInfo(establishment.timezone)
    policy = services.policy_for(establishment)
    lateness = (request.POST.get("nature") or request.GET.get("nature")) == "retard"
    day = today()
    pupils_qs = selectors.pupils_for_desk(scope, day)
    kwargs = {"pupils": pupils_qs, "establishment_id": establishment.pk, "zone": zone}
    searching = _searching(request, "pupil")
    data = request.POST if request.method == "POST" and not searching else None
    initial = {"date": parse_day(request.GET.get("jour")) or day}
    if lateness:
        form = LatenessEntryForm(data, initial=initial, **kwargs)
    else:
        form = AbsenceEntryForm(data, initial=initial, boundary=policy.half_day_boundary, **kwargs)
    if searching:
        # Without JavaScript the search button posts the form back: what was typed is
        # kept, not saved.
        form = type(form)(
            initial={**initial, **request.POST.dict()},
            **kwargs,
            **({} if lateness else {"boundary": policy.half_day_boundary}),
        )
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        start, end = form.period
        try:
            absence = services.absence_create(
                actor=request.user,
                establishment=establishment,
                pupil=cleaned["pupil"],
                start=start,
                end=end,
                kind=AbsenceKind.LATENESS if lateness else AbsenceKind.ABSENCE,
                minutes_late=cleaned.get("minutes_late") if lateness else None,
                state=cleaned["state"],
                reason=cleaned["reason"],
                source=AbsenceSource.DESK,
                staff_comment=cleaned["staff_comment"].strip(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            done = (
                _("Retard enregistré pour %(name)s.")
                if lateness
                else _("Absence enregistrée pour %(name)s.")
            )
            messages.success(request, done % {"name": absence.pupil.display_name})
            local_day = timezone.localtime(start, zone).date()
            return HttpResponseRedirect(
                f"{reverse('attendance:desk')}?{urlencode({'jour': local_day.isoformat()})}"
            )
    chosen = request.POST.get("pupil") if request.method == "POST" else request.GET.get("eleve")
    picker = _picker(
        scope,
        query=(request.POST.get("q", "") if request.method == "POST" else "").strip()[:100],
        chosen=_ids([chosen]),
        multiple=False,
    )
    context = {
        "form": form,
        "lateness": lateness,
        "picker": picker,
        "boundary": policy.half_day_boundary,
    }
    status = 400 if data is not None else 200
    return render_page(request, "attendance/desk/entry.html", context, establishment, status)


# -- One absence: decision, correction, voiding --------------------------------------------

ACTIONS = ("decider", "corriger", "annuler", "retablir")


def _visible_absence(request, scope: StaffScope, absence_id: int):
    absence = selectors.desk_absence(establishment_id=scope.establishment_id, absence_id=absence_id)
    if absence is None:
        raise refuse(request, "absence", absence_id)
    return absence


def _action_form(action: str, absence, data=None):
    establishment = absence.establishment
    zone = ZoneInfo(establishment.timezone)
    prefix = action
    if action == "decider":
        initial = {"version": absence.version, "reason": absence.reason_id}
        return DecideForm(
            data,
            prefix=prefix,
            initial=initial,
            establishment_id=establishment.pk,
            current_reason=absence.reason,
        )
    if action == "corriger":
        policy = services.policy_for(establishment)
        form = CorrectForm(
            data,
            prefix=prefix,
            establishment_id=establishment.pk,
            zone=zone,
            boundary=policy.half_day_boundary,
        )
        if data is None:
            form.initial = {
                "version": absence.version,
                "kind": absence.kind,
                "minutes_late": absence.minutes_late,
                "state": absence.state,
                "reason": absence.reason_id,
                "staff_comment": absence.staff_comment,
                **form.period_initial(absence.start, absence.end),
            }
        return form
    if action == "annuler":
        return VoidForm(data, prefix=prefix, initial={"version": absence.version})
    return RestoreForm(data, prefix=prefix, initial={"version": absence.version})


def _available(absence, scope: StaffScope) -> list[str]:
    if absence.voided_at is not None:
        return ["retablir"]
    if visibility.is_confidential(absence) and not sees_health(scope):
        # Deciding or correcting shows the reason and asks to judge it.
        return ["annuler"]
    return ["decider", "corriger", "annuler"]


ACTION_TITLES = {
    "decider": gettext_lazy("Décider de la justification"),
    "corriger": gettext_lazy("Corriger"),
    "annuler": gettext_lazy("Annuler l'absence"),
    "retablir": gettext_lazy("Rétablir l'absence"),
}


def _absence_page(request, scope, absence, *, bound=None, stale=None, status=200):
    forms = []
    for action in _available(absence, scope):
        form = bound if bound is not None and bound.prefix == action else None
        forms.append(
            {
                "action": action,
                "title": ACTION_TITLES[action],
                "form": form or _action_form(action, absence),
                "url": reverse("attendance:desk_absence_action", args=[absence.pk, action]),
                "open": form is not None or (action == "decider" and absence.state == "pending"),
            }
        )
    context = {
        "absence": absence,
        "row": selectors.desk_row(
            absence,
            None,
            ZoneInfo(absence.establishment.timezone),
            sees_confidential=sees_health(scope),
        ),
        "sees_confidential": sees_health(scope),
        "history": list(absence.changes.all()),
        "forms": forms,
        "stale": stale,
        "next": _safe_next(request, ""),
    }
    return render_page(
        request, "attendance/desk/absence.html", context, absence.establishment, status
    )


@desk_page
def absence_detail(request, absence_id: int, *, scope):
    return _absence_page(request, scope, _visible_absence(request, scope, absence_id))


def _apply(request, action: str, absence, data: dict):
    actor, version = request.user, data["version"]
    if action == "decider":
        decided = services.absence_decide(
            actor=actor,
            absence=absence,
            expected_version=version,
            accept=data["decision"] == Decision.ACCEPT,
            reason=data["reason"],
            # As typed, even empty: the family reads this as the decision's explanation,
            # so an acceptance must not show the words of an earlier refusal. A former
            # comment stays in the audit event's "before".
            staff_comment=data["staff_comment"].strip(),
        )
        if decided.state == AbsenceState.ACCEPTED:
            return _("La justification est acceptée.")
        return _("La justification est refusée.")
    if action == "corriger":
        return _correct(actor, absence, data)
    if action == "annuler":
        services.absence_void(
            actor=actor, absence=absence, expected_version=version, note=data["note"].strip()
        )
        return _("L'absence est annulée ; elle reste dans l'historique.")
    services.absence_restore(actor=actor, absence=absence, expected_version=version)
    return _("L'absence est rétablie.")


def _correct(actor, absence, data: dict) -> str:
    start, end = data["period"]
    wanted = {
        "kind": data["kind"],
        "start": start,
        "end": end,
        "minutes_late": data["minutes_late"],
        "state": data["state"],
        "reason": data["reason"],
        "staff_comment": data["staff_comment"].strip(),
    }
    current = {
        "kind": absence.kind,
        "start": absence.start,
        "end": absence.end,
        "minutes_late": absence.minutes_late,
        "state": absence.state,
        "reason": absence.reason,
        "staff_comment": absence.staff_comment,
    }
    # Only what changed goes to the service, so that the history says what was corrected.
    changes = {name: value for name, value in wanted.items() if value != current[name]}
    if not changes:
        # A version check all the same: nothing is said to be saved over a newer version.
        if data["version"] != absence.version:
            raise services.StaleAbsence(absence)
        return _("Rien n'a changé.")
    services.absence_update(
        actor=actor, absence=absence, expected_version=data["version"], **changes
    )
    return _("La correction est enregistrée.")


@require_POST
@desk_page
def absence_action(request, absence_id: int, action: str, *, scope):
    absence = _visible_absence(request, scope, absence_id)
    if action not in _available(absence, scope):
        if action not in ACTIONS:
            raise refuse(request, "absence_action", action)
        messages.warning(request, _("Cette action ne s'applique plus à l'absence."))
        return HttpResponseRedirect(reverse("attendance:desk_absence", args=[absence.pk]))
    form = _action_form(action, absence, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        if action == "corriger":
            data["period"] = form.period
        try:
            done = _apply(request, action, absence, data)
        except services.StaleAbsence as stale:
            # Nothing written. The page shows the current version with what the person
            # typed, which now names the current version: saving again is a choice
            # made knowing what changed.
            current = _visible_absence(request, scope, absence_id)
            fresh = request.POST.copy()
            fresh[f"{action}-version"] = str(current.version)
            rebound = _action_form(action, current, fresh)
            if action not in _available(current, scope):
                rebound = None
            return _absence_page(
                request, scope, current, bound=rebound, stale=str(stale), status=409
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return HttpResponseRedirect(
                _safe_next(request, reverse("attendance:desk_absence", args=[absence.pk]))
            )
    return _absence_page(request, scope, absence, bound=form, status=400)


@desk_page
def document(request, absence_id: int, *, scope):
    """A family's supporting document, served through this check, never from a public
    media address. The document of an absence given a health reason (a medical
    certificate) is the vie scolaire's and the direction's only (access.md)."""
    absence = _visible_absence(request, scope, absence_id)
    if not absence.document or (visibility.is_confidential(absence) and not sees_health(scope)):
        raise refuse(request, "absence_document", absence_id)
    name = PurePosixPath(absence.document.name).name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        absence.document.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- School events -------------------------------------------------------------------------


@desk_page
def event_new(request, *, scope):
    """An infirmary visit, a school trip for several pupils or a division, an
    exemption, an exclusion."""
    establishment = establishment_of(scope)
    zone = ZoneInfo(establishment.timezone)
    policy = services.policy_for(establishment)
    day = today()
    searching = _searching(request, "pupils", "division")
    data = request.POST if request.method == "POST" and not searching else None
    kwargs = {
        "pupils": selectors.pupils_for_desk(scope, day),
        "divisions": division_choices(establishment.pk, day),
        "establishment_id": establishment.pk,
        "zone": zone,
        "boundary": policy.half_day_boundary,
    }
    initial = {"date": parse_day(request.GET.get("jour")) or day}
    if searching:
        initial.update(
            {k: v for k, v in request.POST.dict().items() if k not in ("pupils", "chercher")}
        )
    form = SchoolEventForm(data, initial=initial, **kwargs)
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        start, end = form.period
        chosen = list(cleaned["pupils"])
        if cleaned["division"] is not None:
            on = timezone.localtime(start, zone).date()
            chosen += list(pupils_in_division(cleaned["division"], on))
        try:
            if not chosen:
                raise ValidationError(_("Cette classe n'a aucun élève à cette date."))
            events = desk_services.school_events_create(
                actor=request.user,
                establishment=establishment,
                pupils=chosen,
                kind=cleaned["kind"],
                start=start,
                end=end,
                note=cleaned["note"].strip(),
                subject=cleaned["subject"],
                attendance_required=cleaned["attendance_required"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(kind)s enregistré pour %(count)s élève(s).")
                % {"kind": events[0].get_kind_display(), "count": len(events)},
            )
            local_day = timezone.localtime(start, zone).date()
            return HttpResponseRedirect(
                f"{reverse('attendance:desk')}?{urlencode({'jour': local_day.isoformat()})}"
            )
    chosen_ids = request.POST.getlist("pupils") if request.method == "POST" else []
    if request.method == "GET" and request.GET.get("eleve"):
        chosen_ids = [request.GET["eleve"]]
    picker = _picker(
        scope,
        query=(request.POST.get("q", "") if request.method == "POST" else "").strip()[:100],
        chosen=_ids(chosen_ids),
        multiple=True,
    )
    context = {"form": form, "picker": picker, "boundary": policy.half_day_boundary}
    status = 400 if data is not None else 200
    return render_page(request, "attendance/desk/event.html", context, establishment, status)


@require_POST
@desk_page
def event_void(request, event_id: int, *, scope):
    event = SchoolEvent.objects.filter(pk=event_id, establishment_id=scope.establishment_id).first()
    if event is None:
        raise refuse(request, "school_event", event_id)
    services.school_event_void(actor=request.user, event=event)
    messages.success(request, _("L'événement est annulé ; il reste dans l'historique."))
    return HttpResponseRedirect(
        _safe_next(request, reverse("attendance:desk_pupil", args=[event.pupil_id]))
    )


# -- A pupil's attendance file --------------------------------------------------------------


@desk_page
def pupil_file(request, pupil_id: int, *, scope):
    """Every absence and lateness of the pupil over a school year with its history, the
    school events, and the half-days per month."""
    establishment = establishment_of(scope)
    # A pupil who has left stays readable: the file covers the years spent here.
    registered = Role.objects.filter(
        person=OuterRef("pk"), establishment=establishment, kind=RoleKind.PUPIL
    )
    pupil = Person.objects.filter(Exists(registered), pk=pupil_id).first()
    if pupil is None:
        raise refuse(request, "pupil", pupil_id)
    day = today()
    years = list(SchoolYear.objects.filter(establishment=establishment).order_by("-start_date"))
    chosen = _int(request.GET.get("annee"))
    if chosen:
        year = next((y for y in years if y.pk == chosen), None)
    else:
        year = next((y for y in years if y.contains(day)), years[0] if years else None)
    if year is None:
        raise refuse(request, "school_year", chosen)
    policy = services.policy_for(establishment)
    found = selectors.pupil_file(
        establishment=establishment,
        pupil=pupil,
        year=year,
        years=years,
        policy=policy,
        day=day,
        sees_confidential=sees_health(scope),
    )
    context = {
        "file": found,
        "sees_confidential": sees_health(scope),
        "computed": policy.count_mode == "computed",
        "here": request.get_full_path(),
    }
    return render_page(request, "attendance/desk/pupil.html", context, establishment)


# -- Settings -------------------------------------------------------------------------------


@settings_page
def policy(request, *, scope):
    establishment = establishment_of(scope)
    current = services.policy_for(establishment)
    form = PolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in settings_services.POLICY_FIELDS
        }
        try:
            settings_services.policy_update(
                actor=request.user, establishment=establishment, **changes
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Les réglages de la vie scolaire sont enregistrés."))
            return HttpResponseRedirect(reverse("attendance:desk_policy"))
    status = 400 if request.method == "POST" else 200
    return render_page(
        request, "attendance/desk/policy.html", {"form": form}, establishment, status
    )


@settings_page
def reasons(request, *, scope):
    """The reason catalogue: add a reason, change its flags, withdraw it from use."""
    establishment = establishment_of(scope)
    services.reasons_ensure(establishment)
    form = ReasonForm(request.POST or None, establishment_id=establishment.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reason = settings_services.reason_create(
                actor=request.user,
                establishment=establishment,
                code=data["code"],
                label=data["label"],
                **{name: data[name] for name in settings_services.REASON_FIELDS if name != "label"},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Motif « %(label)s » ajouté.") % {"label": reason.label})
            return HttpResponseRedirect(reverse("attendance:desk_reasons"))
    catalogue = AbsenceReason.objects.filter(establishment=establishment).order_by(
        "-active", "position", "label"
    )
    context = {"form": form, "catalogue": catalogue}
    status = 400 if request.method == "POST" else 200
    return render_page(request, "attendance/desk/reasons.html", context, establishment, status)


def _reason(request, scope, reason_id: int) -> AbsenceReason:
    reason = AbsenceReason.objects.filter(
        pk=reason_id, establishment_id=scope.establishment_id
    ).first()
    if reason is None:
        raise refuse(request, "absence_reason", reason_id)
    return reason


@settings_page
def reason_edit(request, reason_id: int, *, scope):
    reason = _reason(request, scope, reason_id)
    form = ReasonForm(
        request.POST or None, instance=reason, establishment_id=scope.establishment_id
    )
    if request.method == "POST" and form.is_valid():
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in settings_services.REASON_FIELDS
        }
        try:
            settings_services.reason_update(actor=request.user, reason=reason, **changes)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Motif « %(label)s » modifié.") % {"label": reason.label})
            return HttpResponseRedirect(reverse("attendance:desk_reasons"))
    status = 400 if request.method == "POST" else 200
    return render_page(
        request,
        "attendance/desk/reason.html",
        {"form": form, "reason": reason},
        reason.establishment,
        status,
    )


@require_POST
@settings_page
def reason_toggle(request, reason_id: int, *, scope):
    reason = _reason(request, scope, reason_id)
    active = request.POST.get("active") == "1"
    settings_services.reason_set_active(actor=request.user, reason=reason, active=active)
    if active:
        messages.success(
            request, _("Motif « %(label)s » remis en usage.") % {"label": reason.label}
        )
    else:
        messages.success(
            request,
            _("Motif « %(label)s » retiré : il n'est plus proposé, les absences le gardent.")
            % {"label": reason.label},
        )
    return HttpResponseRedirect(reverse("attendance:desk_reasons"))


patterns = [
    path("aujourdhui/", desk, name="desk"),
    path("saisie/", entry, name="desk_entry"),
    path("saisie/eleves/", pupils, name="desk_pupils"),
    path("absence/<int:absence_id>/", absence_detail, name="desk_absence"),
    path("absence/<int:absence_id>/justificatif/", document, name="desk_document"),
    path("absence/<int:absence_id>/<slug:action>/", absence_action, name="desk_absence_action"),
    path("evenement/", event_new, name="desk_event"),
    path("evenement/<int:event_id>/annuler/", event_void, name="desk_event_void"),
    path("eleve/<int:pupil_id>/", pupil_file, name="desk_pupil"),
    path("reglages/", policy, name="desk_policy"),
    path("reglages/motifs/", reasons, name="desk_reasons"),
    path("reglages/motifs/<int:reason_id>/", reason_edit, name="desk_reason"),
    path("reglages/motifs/<int:reason_id>/usage/", reason_toggle, name="desk_reason_toggle"),
]
