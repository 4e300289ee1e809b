"""The roll call of an occurrence (teachers, on a phone or the class computer) and the
roll calls not taken (vie scolaire).

A roll call is saved as it is typed (access.md: "a teacher never loses a roll call"):
each tap on the page posts that pupil's entry alone to `roll_call_entry`, which answers
in JSON; the page's script (static/preau/roll-call.js) keeps what is not sent yet on
the device and sends it again, after a lost connection or a new log-in. Without
JavaScript the same page is a plain form that sends the whole list at once. Both go
through `services.roll_call_record`, which is idempotent: resending changes nothing.

The occurrence's teachers open its roll call; the vie scolaire and the direction open
any roll call of their establishment to complete it. Anybody else gets a 404.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from preau.attendance import services, visibility
from preau.attendance.models import EventKind, Mark
from preau.attendance.selectors import roll_calls as selectors
from preau.attendance.views.common import is_desk
from preau.core.access import StaffScope, refuse
from preau.core.models import Establishment
from preau.core.selectors import today
from preau.portal.access import staff_page
from preau.portal.middleware import SPACE_SESSION_KEY
from preau.portal.spaces import STAFF
from preau.timetable.grid import parse_day
from preau.timetable.models import Occurrence, OccurrenceStatus
from preau.timetable.selectors import audience_label

# The marks as the page's buttons name them, in the order they are shown.
MARK_BUTTONS = (
    (Mark.PRESENT, gettext_lazy("Présent")),
    (Mark.ABSENT, gettext_lazy("Absent")),
    (Mark.LATE, gettext_lazy("Retard")),
    (Mark.EXCLUDED, gettext_lazy("Exclu")),
    (Mark.INFIRMARY, gettext_lazy("Infirmerie")),
)
QUICK_MINUTES = (5, 10, 15)
MAX_MINUTES_LATE = 240
DEFAULT_MINUTES_LATE = 5


def teaches(scope: StaffScope, occurrence: Occurrence) -> bool:
    return any(teacher.pk == scope.person_id for teacher in occurrence.teachers.all())


def _zone(establishment_id: int) -> ZoneInfo:
    return ZoneInfo(Establishment.objects.only("timezone").get(pk=establishment_id).timezone)


def default_minutes_late(occurrence: Occurrence, now: datetime) -> int:
    """A pupil marked late during the occurrence arrives now: the minutes since its
    start, so that one tap is enough; otherwise 5 minutes, to correct if needed."""
    if occurrence.start < now < occurrence.end:
        return max(1, min(MAX_MINUTES_LATE, int((now - occurrence.start).total_seconds() // 60)))
    return DEFAULT_MINUTES_LATE


def _roll_call_access(request, occurrence_id: int, *, enter: bool) -> tuple[StaffScope, Occurrence]:
    """The occurrence and the scope its roll call is taken in: the person's staff roles
    in the occurrence's establishment, whatever space is active (after a new log-in the
    active space is the first one, and a roll call waiting on the phone must still
    reach its page). With `enter`, that establishment's space becomes the active one,
    so that the page's shell shows it. The occurrence's teachers and the office only;
    anybody else gets a 404."""
    occurrence = selectors.roll_call_occurrence(occurrence_id)
    space = None
    if occurrence is not None:
        space = next(
            (
                space
                for space in request.person_spaces.spaces
                if space.kind == STAFF and space.establishment_id == occurrence.establishment_id
            ),
            None,
        )
    scope = space.staff_scope(request.user.person_id) if space is not None else None
    if scope is None or not (is_desk(scope) or teaches(scope, occurrence)):
        raise refuse(request, "roll_call", occurrence_id)
    if enter and request.space != space:
        request.session[SPACE_SESSION_KEY] = space.key
        request.space = space
    return scope, occurrence


def _day_url(name: str, day: date, current: date) -> str:
    base = reverse(name)
    return base if day == current else f"{base}?{urlencode({'jour': day.isoformat()})}"


# -- A teacher's roll calls of the day -------------------------------------------------


@staff_page(lambda scope: scope.teaches or is_desk(scope))
def roll_call(request, *, scope):
    """The occurrences the teacher teaches on the day (`?jour=`, today by default), the
    one in progress first, each with its roll call's state. The office, who teaches
    nothing, is sent to the roll calls not taken."""
    if not scope.teaches:
        return HttpResponseRedirect(reverse("attendance:missing"))
    now = timezone.now()
    current = today()
    day = parse_day(request.GET.get("jour")) or current
    zone = _zone(scope.establishment_id)
    items = selectors.teacher_day(
        person_id=scope.person_id,
        establishment_id=scope.establishment_id,
        day=day,
        now=now,
        today=current,
    )
    rows = [
        {
            "item": item,
            "subject": item.occurrence.title,
            "audience": audience_label(item.occurrence),
            "rooms": ", ".join(room.name for room in item.occurrence.rooms.all()),
            "status": _status_word(item.occurrence),
            "summary": selectors.counts_text(item.state),
            "taken_at": selectors.clock_text(item.state.taken_at, zone) if item.state else "",
            "url": reverse("attendance:roll_call_take", args=[item.occurrence.pk]),
        }
        for item in items
    ]
    context = {
        "rows": rows,
        "day": day,
        "is_today": day == current,
        "previous": _day_url("attendance:roll_call", day - timedelta(days=1), current),
        "next": _day_url("attendance:roll_call", day + timedelta(days=1), current),
        "today_url": reverse("attendance:roll_call"),
    }
    with timezone.override(zone):
        return render(request, "attendance/rollcall/list.html", context)


def _status_word(occurrence: Occurrence) -> str:
    if occurrence.status == OccurrenceStatus.SCHEDULED:
        return ""
    if occurrence.status == OccurrenceStatus.EXCEPTIONAL:
        return _("Exceptionnelle")
    return occurrence.get_status_display()


@staff_page(lambda scope: scope.teaches)
def roll_call_now(request, *, scope):
    """The roll call of the occurrence the teacher is teaching now (one tap from the
    home page), else the day's list."""
    occurrence = selectors.current_occurrence(
        person_id=scope.person_id,
        establishment_id=scope.establishment_id,
        now=timezone.now(),
        today=today(),
    )
    if occurrence is None:
        messages.info(request, _("Pas de séance en cours : choisissez la séance de l'appel."))
        return HttpResponseRedirect(reverse("attendance:roll_call"))
    return HttpResponseRedirect(reverse("attendance:roll_call_take", args=[occurrence.pk]))


# -- One roll call ---------------------------------------------------------------------


def _known_notes(row: selectors.PupilRow, sees_confidential: bool) -> list[str]:
    """What the office already knows of the pupil, in words (a health reason is
    confidential: teachers read "absence justifiée", visibility.reason_label)."""
    notes = []
    absence = row.known.absence
    if absence is not None:
        reason = visibility.reason_label(absence, sees_confidential=sees_confidential)
        if reason:
            notes.append(
                _("Absence signalée par la vie scolaire : %(reason)s") % {"reason": reason}
            )
        else:
            notes.append(_("Absence signalée par la vie scolaire"))
    for event in row.known.events:
        label = str(EventKind(event.kind).label)
        if event.kind == EventKind.EXEMPTION:
            label = (
                _("Dispense (reste en cours)")
                if event.attendance_required
                else _("Dispense (n'est pas attendu en cours)")
            )
        notes.append(label)
    return notes


def script_texts() -> dict[str, str]:
    """What the page's script writes, translated here."""
    return {
        "none": "",
        "saved": _("Enregistré"),
        "pending": _("En attente d'envoi"),
        "sending": _("Envoi…"),
        "error": _("Non enregistré"),
        "refused": _("relevé refusé"),
        "bad_minutes": _("les minutes de retard vont de 1 à %(max)d") % {"max": MAX_MINUTES_LATE},
        "pending_one": _("1 relevé en attente d'envoi."),
        "pending_many": _("%(n)s relevés en attente d'envoi."),
        "offline": _(
            "Connexion perdue : les relevés restent sur cet appareil et seront envoyés dès "
            "le retour de la connexion."
        ),
        "login": _(
            "Votre session a pris fin : les relevés restent sur cet appareil. Reconnectez-vous, "
            "ils seront envoyés."
        ),
        "login_link": _("Se reconnecter"),
    }


def _page_context(request, scope, occurrence: Occurrence, page, *, error: str = "") -> dict:
    zone = ZoneInfo(occurrence.establishment.timezone)
    recordable = selectors.may_be_recorded(occurrence, today())
    sees_confidential = visibility.sees_health_reasons(scope.roles)
    units = list(occurrence.audience.all())
    show_division = len(units) != 1 or not units[0].division_id
    rows = []
    for row in page.rows:
        minutes = row.minutes_late
        rows.append(
            {
                "row": row,
                "pupil": row.pupil,
                # No mark chosen for a pupil known to be elsewhere: nothing is recorded
                # for them unless the teacher taps one.
                "checked": "" if row.entry is None and row.known.away else row.mark,
                "minutes": minutes or "",
                "quick": minutes if minutes in QUICK_MINUTES else None,
                "other": minutes if minutes and minutes not in QUICK_MINUTES else "",
                "notes": _known_notes(row, sees_confidential),
                "saved": row.entry is not None or page.roll_call is not None,
            }
        )
    marked = any(row["checked"] not in ("", Mark.PRESENT) for row in rows)
    back = reverse("attendance:roll_call") if scope.teaches else reverse("attendance:missing")
    if occurrence.date != today() and scope.teaches:
        back = _day_url("attendance:roll_call", occurrence.date, today())
    return {
        "occurrence": occurrence,
        "subject": occurrence.title,
        "audience": audience_label(occurrence),
        "teachers": ", ".join(t.formal_name for t in occurrence.teachers.all()),
        "rooms": ", ".join(room.name for room in occurrence.rooms.all()),
        "page": page,
        "rows": rows,
        "show_division": show_division,
        "marks": MARK_BUTTONS,
        "quick_minutes": QUICK_MINUTES,
        "max_minutes": MAX_MINUTES_LATE,
        "start_ms": int(occurrence.start.timestamp() * 1000),
        "end_ms": int(occurrence.end.timestamp() * 1000),
        "texts": script_texts(),
        "recordable": recordable,
        "not_recordable": selectors.not_recordable_reason(occurrence, today()),
        "summary": selectors.summary_text(page.state, zone),
        "taken": page.roll_call is not None,
        "marked": marked,
        "error": error,
        "back_url": back,
        "office": is_desk(scope) and not teaches(scope, occurrence),
        "entry_url": reverse("attendance:roll_call_entry", args=[occurrence.pk]),
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
        "zone": zone,
    }


@require_http_methods(["GET", "POST"])
@login_required
def roll_call_take(request, occurrence_id: int):
    """The roll call page of one occurrence; its form (without JavaScript) sends the
    whole list."""
    scope, occurrence = _roll_call_access(request, occurrence_id, enter=True)
    if request.method == "POST":
        return _record_list(request, scope, occurrence)
    return _render(request, scope, occurrence)


def _render(request, scope, occurrence: Occurrence, *, error: str = "", status: int = 200):
    page = selectors.roll_call_page(occurrence)
    context = _page_context(request, scope, occurrence, page, error=error)
    with timezone.override(context["zone"]):
        return render(request, "attendance/rollcall/take.html", context, status=status)


class BadEntry(ValueError):
    pass


def _minutes(value: str | None) -> int | None:
    """Minutes of lateness typed, None when nothing was typed."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        minutes = int(value)
    except ValueError as error:
        raise BadEntry(_("Les minutes de retard sont un nombre entier.")) from error
    if not 1 <= minutes <= MAX_MINUTES_LATE:
        raise BadEntry(_("Les minutes de retard vont de 1 à %(max)d.") % {"max": MAX_MINUTES_LATE})
    return minutes


def _entry(mark: str, minutes: int | None, occurrence: Occurrence) -> services.Entry:
    if mark not in Mark.values:
        raise BadEntry(_("Relevé inconnu."))
    if mark == Mark.PRESENT:
        return services.Entry(None)
    if mark == Mark.LATE:
        return services.Entry(
            Mark.LATE, minutes or default_minutes_late(occurrence, timezone.now())
        )
    return services.Entry(mark)


def _typed_list(post, occurrence: Occurrence, pupil_ids: list[int]) -> dict[int, services.Entry]:
    """The entries the form changed: each pupil's mark and minutes against what the page
    showed when it was opened (`initial-…`), so that sending the list does not overwrite
    what someone else recorded meanwhile for the other pupils."""
    entries = {}
    for pupil_id in pupil_ids:
        mark = post.get(f"mark-{pupil_id}")
        if mark is None:
            continue
        minutes = None
        if mark == Mark.LATE:
            minutes = _minutes(post.get(f"minutes-{pupil_id}")) or _minutes(
                post.get(f"quick-{pupil_id}")
            )
        initial_mark = post.get(f"initial-{pupil_id}", "")
        initial_minutes = _minutes(post.get(f"initial-minutes-{pupil_id}"))
        if mark == initial_mark and (minutes is None or minutes == initial_minutes):
            continue
        entries[pupil_id] = _entry(mark, minutes, occurrence)
    return entries


def _record_list(request, scope, occurrence: Occurrence):
    if not selectors.may_be_recorded(occurrence, today()):
        return _render(
            request,
            scope,
            occurrence,
            error=selectors.not_recordable_reason(occurrence, today()),
            status=400,
        )
    audience = {pupil.pk: pupil for pupil in selectors.expected_pupils(occurrence)}
    try:
        entries = _typed_list(request.POST, occurrence, list(audience))
        services.roll_call_record(
            actor=request.user, occurrence=occurrence, entries=entries, audience=audience
        )
    except BadEntry as error:
        return _render(request, scope, occurrence, error=str(error), status=400)
    except ValidationError as error:
        return _render(request, scope, occurrence, error=" ".join(error.messages), status=400)
    except PermissionDenied as error:
        raise refuse(request, "roll_call", occurrence.pk) from error
    state = selectors.roll_call_states([occurrence.pk]).get(occurrence.pk)
    messages.success(
        request,
        _("Appel enregistré : %(counts)s.") % {"counts": selectors.counts_text(state)},
    )
    return HttpResponseRedirect(reverse("attendance:roll_call_take", args=[occurrence.pk]))


@require_POST
@login_required
def roll_call_entry(request, occurrence_id: int):
    """One tap of the roll call page: one pupil's entry (`pupil`, `mark`, `minutes`), or
    none to record the roll call with the other pupils present. Answers in JSON; an
    anonymous request is redirected to the login page like any other (the script keeps
    the entry and asks the person to log in again)."""
    _scope, occurrence = _roll_call_access(request, occurrence_id, enter=False)
    if not selectors.may_be_recorded(occurrence, today()):
        return JsonResponse(
            {"error": selectors.not_recordable_reason(occurrence, today())}, status=400
        )
    pupil_id = request.POST.get("pupil", "").strip()
    entries, audience = {}, {}
    try:
        if pupil_id:
            if not pupil_id.isdigit():
                raise BadEntry(_("Élève inconnu."))
            audience = {
                pupil.pk: pupil
                for pupil in selectors.expected_pupils(occurrence, only=[int(pupil_id)])
            }
            if int(pupil_id) not in audience:
                raise BadEntry(_("Cet élève ne fait pas partie de la séance."))
            entries[int(pupil_id)] = _entry(
                request.POST.get("mark", ""),
                _minutes(request.POST.get("minutes")),
                occurrence,
            )
        services.roll_call_record(
            actor=request.user, occurrence=occurrence, entries=entries, audience=audience
        )
    except BadEntry as error:
        return JsonResponse({"error": str(error)}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    except PermissionDenied as error:
        raise refuse(request, "roll_call", occurrence.pk) from error
    zone = ZoneInfo(occurrence.establishment.timezone)
    state = selectors.roll_call_states([occurrence.pk]).get(occurrence.pk)
    answer = {"saved": True, "summary": selectors.summary_text(state, zone)}
    if entries:
        typed = entries[int(pupil_id)]
        answer.update(
            pupil=int(pupil_id), mark=typed.mark or Mark.PRESENT, minutes=typed.minutes_late
        )
    return JsonResponse(answer)


# -- Roll calls not taken --------------------------------------------------------------


@staff_page(is_desk)
def missing(request, *, scope):
    """The held occurrences of the day (`?jour=`) that started more than the grace delay
    ago without a roll call, per teacher; today's list refreshes itself every minute."""
    now = timezone.now()
    current = today()
    day = parse_day(request.GET.get("jour")) or current
    zone = _zone(scope.establishment_id)
    grace = selectors.roll_call_grace_minutes(scope.establishment_id)
    groups = selectors.missing_roll_calls(
        establishment_id=scope.establishment_id, day=day, now=now, grace_minutes=grace
    )
    teachers = [
        {
            "teacher": group.teacher,
            "occurrences": [
                {
                    "occurrence": occurrence,
                    "subject": occurrence.title,
                    "audience": audience_label(occurrence),
                    "rooms": ", ".join(room.name for room in occurrence.rooms.all()),
                    "url": reverse("attendance:roll_call_take", args=[occurrence.pk]),
                }
                for occurrence in group.occurrences
            ],
        }
        for group in groups
    ]
    context = {
        "teachers": teachers,
        "count": len({o["occurrence"].pk for t in teachers for o in t["occurrences"]}),
        "day": day,
        "is_today": day == current,
        "grace": grace,
        "refreshed_at": selectors.clock_text(now, zone),
        "self_url": _day_url("attendance:missing", day, current),
        "previous": _day_url("attendance:missing", day - timedelta(days=1), current),
        "next": _day_url("attendance:missing", day + timedelta(days=1), current),
        "today_url": reverse("attendance:missing"),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    with timezone.override(zone):
        response = render(
            request,
            "attendance/rollcall/_missing.html" if partial else "attendance/rollcall/missing.html",
            context,
        )
    patch_vary_headers(response, ("HX-Request",))
    return response


patterns = [
    path("appel/", roll_call, name="roll_call"),
    path("appel/maintenant/", roll_call_now, name="roll_call_now"),
    path("appel/seance/<int:occurrence_id>/", roll_call_take, name="roll_call_take"),
    path("appel/seance/<int:occurrence_id>/releve/", roll_call_entry, name="roll_call_entry"),
    path("appels-non-faits/", missing, name="missing"),
]
