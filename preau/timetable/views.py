"""Timetable pages: the week and the day of a pupil, a guardian's child, a teacher, a
division and a room, exactly as the source built them (timetable.md); one session with
its provenance and the staff changes; the import page; the private calendar
subscription and its feed.

Whose timetable a page may show is decided here from the active space and the staff
scope, through the structure selectors; anything else answers 404 (core.access.refuse).
"""

import hashlib
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from preau.core.access import StaffScope, refuse
from preau.core.models import Establishment, Guardianship, Person, Role, RoleKind, SchoolYear
from preau.core.selectors import school_year_containing, today
from preau.portal.access import staff_page
from preau.portal.spaces import FAMILY, PUPIL, STAFF
from preau.structure.models import Division
from preau.structure.selectors import current_divisions, divisions_for_scope, visible_pupils
from preau.timetable import grid
from preau.timetable.engine import weeks_of_mask
from preau.timetable.forms import (
    ImportApplyForm,
    ImportForm,
    MoveForm,
    NoteForm,
    OccurrenceAddForm,
    ReplaceForm,
    RoomChangeForm,
    local_moment,
    teachers_of,
)
from preau.timetable.ics import to_ics
from preau.timetable.importers import ImportOptions, ParseError, read
from preau.timetable.labels import short_name, status_of
from preau.timetable.models import (
    CalendarToken,
    ImportRun,
    Occurrence,
    OccurrenceStatus,
    Room,
)
from preau.timetable.report import LABELS, OVERLAPS
from preau.timetable.resolve import fold
from preau.timetable.selectors import (
    audience_label,
    division_occurrences,
    occurrence_concerns,
    occurrence_page,
    pupil_occurrences,
    room_occurrences,
    teacher_occurrences,
    with_successors,
)
from preau.timetable.services import (
    EDITOR_ROLES,
    TimetableImportError,
    calendar_token_create,
    calendar_token_revoke,
    occurrence_add,
    occurrence_change_room,
    occurrence_move,
    occurrence_replace,
    occurrence_set_status,
    timetable_import,
)


def is_editor(scope: StaffScope | None) -> bool:
    """Direction, secretariat and CPE change sessions (services.require_timetable_editor
    checks it again)."""
    return scope is not None and bool(scope.roles & EDITOR_ROLES)


def _staff_scope(request) -> StaffScope | None:
    space = request.space
    return space.staff_scope(request.user.person_id) if space is not None else None


# -- How a session is shown --------------------------------------------------------------


@dataclass
class Card:
    occurrence: Occurrence
    subject: str
    modifier: str
    label: str
    detail: str
    teachers: str
    rooms: str
    audience: str


@dataclass
class DayColumn:
    day: date
    is_today: bool
    url: str
    cards: list[grid.Placed]


# -- Whose timetable ----------------------------------------------------------------------

# How a card names the audience: only groups and parts (a pupil's own timetable), all
# of it (a teacher's or a room's), or the part of the division (a division's).
AUDIENCE_PARTIAL, AUDIENCE_ALL, AUDIENCE_DIVISION = range(3)


@dataclass(frozen=True)
class Owner:
    """Whose timetable a page shows, and how to read it."""

    title: str
    establishment_id: int
    url: str
    occurrences: Callable[[date, date], QuerySet[Occurrence]]
    audience: int = AUDIENCE_ALL
    division: Division | None = None
    # The person's own timetable or their child's: offers the phone subscription.
    own: bool = False
    # A staff member looking at someone else's: link back to the chooser.
    chosen: bool = False
    lead: str = ""
    # A teacher's timetable does not repeat the teacher's name on every session.
    teacher_id: int | None = None


def audience_of(occurrence: Occurrence, owner: Owner) -> str:
    if owner.audience == AUDIENCE_DIVISION:
        return audience_label(occurrence, owner.division)
    if owner.audience == AUDIENCE_PARTIAL:
        units = occurrence.audience.all()
        return audience_label(occurrence) if any(not u.division_id for u in units) else ""
    return audience_label(occurrence)


def card_of(occurrence: Occurrence, owner: Owner, zone: ZoneInfo) -> Card:
    modifier, label, detail = status_of(occurrence, zone)
    return Card(
        occurrence=occurrence,
        subject=occurrence.title,
        modifier=modifier,
        label=label,
        detail=detail,
        teachers=", ".join(
            short_name(t) for t in occurrence.teachers.all() if t.pk != owner.teacher_id
        ),
        rooms=", ".join(room.name for room in occurrence.rooms.all()),
        audience=audience_of(occurrence, owner),
    )


def _minutes(value, zone: ZoneInfo) -> int:
    local = timezone.localtime(value, zone)
    return local.hour * 60 + local.minute


def _page_url(base: str, **params) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def timetable_page(request, owner: Owner, *, scope: StaffScope | None = None):
    """The week (or `?jour=` the day) of `owner`; an htmx request gets only the grid."""
    establishment = Establishment.objects.only("timezone", "saturday_classes").get(
        pk=owner.establishment_id
    )
    zone = ZoneInfo(establishment.timezone)
    saturday = establishment.saturday_classes
    now = today()
    period = grid.period_for(
        week=request.GET.get("semaine"),
        day=request.GET.get("jour"),
        today=now,
        saturday_classes=saturday,
    )
    occurrences = list(with_successors(owner.occurrences(period.start, period.end)))
    by_day: dict[date, list[tuple[int, int, Card]]] = {}
    for occurrence in occurrences:
        start = _minutes(occurrence.start, zone)
        end = start + int((occurrence.end - occurrence.start).total_seconds() // 60)
        by_day.setdefault(occurrence.date, []).append(
            (start, end, card_of(occurrence, owner, zone))
        )
    days = grid.shown_days(period, set(by_day), saturday)
    first_hour, last_hour = grid.hour_range(
        (start, end) for day in days for start, end, _card in by_day.get(day, [])
    )
    columns = [
        DayColumn(
            day=day,
            is_today=day == now,
            url=_page_url(owner.url, jour=day.isoformat()),
            cards=grid.place(by_day.get(day, []), first_hour),
        )
        for day in days
    ]
    if period.single_day:
        nav = {
            "previous": _page_url(
                owner.url, jour=grid.next_school_day(period.start, saturday, -1).isoformat()
            ),
            "next": _page_url(
                owner.url, jour=grid.next_school_day(period.start, saturday).isoformat()
            ),
            "today": _page_url(owner.url, jour=now.isoformat()),
            "other": _page_url(owner.url, semaine=period.start.isoformat()),
        }
    else:
        nav = {
            "previous": _page_url(
                owner.url, semaine=(period.start - timedelta(days=7)).isoformat()
            ),
            "next": _page_url(owner.url, semaine=(period.start + timedelta(days=7)).isoformat()),
            "today": owner.url,
            "other": _page_url(owner.url, jour=(now if now in days else days[0]).isoformat()),
        }
    context = {
        "owner": owner,
        "period": period,
        "first_day": days[0],
        "last_day": days[-1],
        "columns": columns,
        "hours": list(range(first_hour, last_hour)),
        "span_minutes": (last_hour - first_hour) * 60,
        "count": len(occurrences),
        "nav": nav,
        # The week shown by default: this one, or the coming one on the weekend.
        "is_current": period.start <= now <= period.end
        or period == grid.period_for(week=None, day=None, today=now, saturday_classes=saturday),
        "editor": is_editor(scope),
        "scope": scope,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    with timezone.override(zone):
        response = render(
            request, "timetable/_week.html" if partial else "timetable/week.html", context
        )
    patch_vary_headers(response, ("HX-Request",))
    return response


def pupil_owner(pupil_id: int, title: str, establishment_id: int, url: str, **kwargs) -> Owner:
    return Owner(
        title=title,
        establishment_id=establishment_id,
        url=url,
        occurrences=lambda start, end: pupil_occurrences(pupil_id, start, end),
        audience=AUDIENCE_PARTIAL,
        **kwargs,
    )


def teacher_owner(person_id: int, title: str, establishment_id: int, url: str, **kw) -> Owner:
    return Owner(
        title=title,
        establishment_id=establishment_id,
        url=url,
        occurrences=lambda start, end: teacher_occurrences(person_id, start, end, establishment_id),
        teacher_id=person_id,
        **kw,
    )


@login_required
def home(request):
    """A pupil's timetable, a guardian's active child's, a teacher's own; for the vie
    scolaire, the direction and the secretariat, the chooser."""
    space = request.space
    url = reverse("timetable:home")
    if space is not None and space.kind == PUPIL:
        owner = pupil_owner(
            request.user.person_id,
            _("Mon emploi du temps"),
            space.establishment_id,
            url,
            own=True,
        )
        return timetable_page(request, owner)
    if space is not None and space.kind == FAMILY:
        child = request.child
        if child is None:
            return render(request, "timetable/no_child.html")
        owner = pupil_owner(
            child.id,
            _("Emploi du temps de %(name)s") % {"name": child.display_name},
            child.establishment_id,
            url,
            own=True,
        )
        return timetable_page(request, owner)
    scope = _staff_scope(request)
    if scope is not None and scope.teaches:
        owner = teacher_owner(
            scope.person_id, _("Mon emploi du temps"), scope.establishment_id, url, own=True
        )
        return timetable_page(request, owner, scope=scope)
    if scope is not None and scope.sees_whole_establishment:
        return chooser(request)
    raise refuse(request, "page", request.path)


# -- The chooser and the timetables staff look at ----------------------------------------

MAX_PUPILS = 30


def _matches(words: list[str], *texts: str) -> bool:
    haystack = fold(" ".join(texts))
    return all(word in haystack for word in words)


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def chooser(request, *, scope):
    """Whose timetable to look at: the divisions the person may see, and for the whole
    establishment's staff the teachers and rooms; pupils by search."""
    day = today()
    query = request.GET.get("q", "").strip()[:100]
    words = fold(query).split()
    divisions = [d for d in divisions_for_scope(scope, day) if _matches(words, d.name)]
    teachers, rooms = [], []
    if scope.sees_whole_establishment:
        teachers = [
            person
            for person in teachers_of(scope.establishment_id)
            if _matches(words, person.last_name, person.first_name)
        ]
        rooms = [
            room
            for room in Room.objects.filter(establishment_id=scope.establishment_id)
            if _matches(words, room.name)
        ]
    pupils = []
    if query:
        found = visible_pupils(scope, day)
        for word in query.split():
            found = found.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
        found = list(found.order_by("last_name", "first_name")[: MAX_PUPILS + 1])
        placements = current_divisions([p.pk for p in found], day)
        pupils = [(pupil, placements.get(pupil.pk)) for pupil in found]
    context = {
        "query": query,
        "divisions": divisions,
        "teachers": teachers,
        "rooms": rooms,
        "pupils": pupils[:MAX_PUPILS],
        "more_pupils": len(pupils) > MAX_PUPILS,
        "scope": scope,
        "editor": is_editor(scope),
        "total": len(divisions) + len(teachers) + len(rooms) + len(pupils[:MAX_PUPILS]),
    }
    template = "timetable/chooser.html"
    if request.htmx and request.htmx.target == "chooser-results":
        template = "timetable/_chooser_results.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _visible_division(request, scope: StaffScope, division_id: int) -> Division:
    division = next((d for d in divisions_for_scope(scope, today()) if d.pk == division_id), None)
    if division is None:
        raise refuse(request, "division", division_id)
    return division


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def division_week(request, division_id: int, *, scope):
    division = _visible_division(request, scope, division_id)
    owner = Owner(
        title=_("Classe %(name)s") % {"name": division.name},
        establishment_id=scope.establishment_id,
        url=reverse("timetable:division", args=[division.pk]),
        occurrences=lambda start, end: division_occurrences(division, start, end),
        audience=AUDIENCE_DIVISION,
        division=division,
        chosen=True,
    )
    return timetable_page(request, owner, scope=scope)


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def teacher_week(request, person_id: int, *, scope):
    teacher = None
    if scope.sees_whole_establishment or person_id == scope.person_id:
        teacher = teachers_of(scope.establishment_id).filter(pk=person_id).first()
    if teacher is None:
        raise refuse(request, "teacher", person_id)
    owner = teacher_owner(
        teacher.pk,
        teacher.formal_name,
        scope.establishment_id,
        reverse("timetable:teacher", args=[teacher.pk]),
        chosen=True,
    )
    return timetable_page(request, owner, scope=scope)


@staff_page(lambda scope: scope.sees_whole_establishment)
def room_week(request, room_id: int, *, scope):
    room = Room.objects.filter(pk=room_id, establishment_id=scope.establishment_id).first()
    if room is None:
        raise refuse(request, "room", room_id)
    owner = Owner(
        title=_("Salle %(name)s") % {"name": room.name},
        establishment_id=scope.establishment_id,
        url=reverse("timetable:room", args=[room.pk]),
        occurrences=lambda start, end: room_occurrences(room.pk, start, end),
        chosen=True,
    )
    return timetable_page(request, owner, scope=scope)


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def pupil_week(request, pupil_id: int, *, scope):
    day = today()
    pupil = visible_pupils(scope, day).filter(pk=pupil_id).first()
    if pupil is None:
        raise refuse(request, "pupil", pupil_id)
    division = current_divisions([pupil.pk], day).get(pupil.pk)
    owner = pupil_owner(
        pupil.pk,
        pupil.sort_name,
        scope.establishment_id,
        reverse("timetable:pupil", args=[pupil.pk]),
        chosen=True,
        lead=_("Classe %(name)s") % {"name": division.name} if division else "",
    )
    return timetable_page(request, owner, scope=scope)


# -- One session ----------------------------------------------------------------------------


def _may_see(request, occurrence: Occurrence) -> bool:
    space = request.space
    if space is None:
        return False
    if space.kind in (PUPIL, FAMILY):
        if space.kind == PUPIL:
            pupils = [request.user.person_id]
        else:
            pupils = [child.id for child in request.person_spaces.children]
        return occurrence.withdrawn_in_id is None and occurrence_concerns(occurrence, pupils)
    scope = _staff_scope(request)
    if scope is None or occurrence.establishment_id != scope.establishment_id:
        return False
    if scope.sees_whole_establishment:
        return True
    if not scope.teaches:
        return False
    if any(t.pk == scope.person_id for t in occurrence.teachers.all()):
        return True
    return occurrence_concerns(
        occurrence, visible_pupils(scope, today()).values_list("pk", flat=True)
    )


def _visible_occurrence(request, occurrence_id: int) -> Occurrence:
    occurrence = occurrence_page(occurrence_id)
    if occurrence is None or not _may_see(request, occurrence):
        raise refuse(request, "occurrence", occurrence_id)
    return occurrence


# The changes an editor makes to a session, by the word in the URL: the form, what the
# service is asked, and what the page says afterwards.
ACTIONS = {
    "annuler": (NoteForm, gettext_lazy("Annuler la séance")),
    "absent": (NoteForm, gettext_lazy("Enseignant absent")),
    "retablir": (NoteForm, gettext_lazy("Rétablir la séance")),
    "salle": (RoomChangeForm, gettext_lazy("Changer de salle")),
    "deplacer": (MoveForm, gettext_lazy("Déplacer la séance")),
    "remplacer": (ReplaceForm, gettext_lazy("Remplacer l'enseignant")),
}


def available_actions(occurrence: Occurrence) -> list[str]:
    """What may still be done to a session: nothing to a withdrawn, moved or replaced
    one (the changes go to its new session); a cancelled one can only be put back."""
    status = occurrence.status
    if occurrence.withdrawn_in_id or status in (
        OccurrenceStatus.MOVED,
        OccurrenceStatus.REPLACED,
    ):
        return []
    if status == OccurrenceStatus.CANCELLED:
        return ["retablir"]
    actions = ["annuler", "absent", "salle", "deplacer", "remplacer"]
    if status == OccurrenceStatus.TEACHER_ABSENT:
        actions[1] = "retablir"
    return actions


def _form(action: str, occurrence: Occurrence, data=None):
    form_class, _title = ACTIONS[action]
    kwargs = {"prefix": action}
    if form_class is not NoteForm:
        kwargs["occurrence"] = occurrence
    if form_class is MoveForm and data is None:
        zone = ZoneInfo(occurrence.establishment.timezone)
        kwargs["initial"] = {
            "date": occurrence.date,
            "start": timezone.localtime(occurrence.start, zone).time(),
            "end": timezone.localtime(occurrence.end, zone).time(),
        }
    return form_class(data, **kwargs)


def _provenance(occurrence: Occurrence) -> dict | None:
    course = occurrence.course
    if course is None:
        return None
    source = course.provenance or {}
    resources = []
    for resource in source.get("ressources", []):
        weeks = ""
        try:
            weeks = week_ranges(weeks_of_mask(int(resource.get("semaines", ""))))
        except (TypeError, ValueError):
            weeks = resource.get("semaines", "")
        resources.append({**resource, "weeks": weeks})
    known = {"ligne", "jour", "place", "places", "matiere", "ressources"}
    return {
        "course": course,
        "version": course.version,
        "run": course.version.import_run,
        "source": source,
        "resources": resources,
        "others": sorted(
            (key, ", ".join(map(str, value)) if isinstance(value, list | tuple) else value)
            for key, value in source.items()
            if key not in known
        ),
    }


def week_ranges(weeks: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] → "1–3, 7, 9–10"."""
    parts, run = [], []
    for week in weeks:
        if run and week == run[-1] + 1:
            run.append(week)
            continue
        if run:
            parts.append(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [week]
    if run:
        parts.append(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0]))
    return ", ".join(parts)


WEEKDAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def _back_url(request, occurrence: Occurrence) -> str:
    """The timetable the person came from (a division's, a room's…), else their own
    week of the session."""
    came_from = request.headers.get("referer", "")
    if url_has_allowed_host_and_scheme(
        came_from, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        path = urlsplit(came_from)
        if path.path.startswith(reverse("timetable:home")) and "/seance/" not in path.path:
            return path.path + (f"?{path.query}" if path.query else "")
    return _page_url(reverse("timetable:home"), semaine=occurrence.date.isoformat())


def _detail(request, occurrence: Occurrence, *, bound=None, status: int = 200):
    scope = _staff_scope(request)
    zone = ZoneInfo(occurrence.establishment.timezone)
    modifier, label, detail = status_of(occurrence, zone)
    editor = is_editor(scope)
    forms = []
    if editor:
        for action in available_actions(occurrence):
            form = bound if bound is not None and bound.prefix == action else None
            forms.append(
                {
                    "action": action,
                    "title": ACTIONS[action][1],
                    "form": form or _form(action, occurrence),
                    "url": reverse("timetable:change", args=[occurrence.pk, action]),
                    "open": form is not None,
                }
            )
    provenance = _provenance(occurrence) if scope is not None else None
    context = {
        "occurrence": occurrence,
        "subject": occurrence.title,
        "modifier": modifier,
        "label": label,
        "detail": detail,
        "audience": audience_label(occurrence),
        "successors": list(occurrence.successors.all()),
        "staff": scope is not None,
        "editor": editor,
        "administers": scope is not None and scope.administers,
        "forms": forms,
        "provenance": provenance,
        "weekday": WEEKDAY_NAMES[occurrence.course.weekday - 1]
        if occurrence.course_id and 1 <= occurrence.course.weekday <= 7
        else "",
        "back_url": _back_url(request, occurrence),
    }
    with timezone.override(zone):
        return render(request, "timetable/occurrence.html", context, status=status)


@login_required
def occurrence_detail(request, occurrence_id: int):
    return _detail(request, _visible_occurrence(request, occurrence_id))


@require_POST
@staff_page(is_editor)
def occurrence_change(request, occurrence_id: int, action: str, *, scope):
    """Apply one change through its service and show the session at once; a refused
    change is shown next to its field."""
    occurrence = occurrence_page(occurrence_id)
    if (
        occurrence is None
        or occurrence.establishment_id != scope.establishment_id
        or action not in available_actions(occurrence)
    ):
        raise refuse(request, "occurrence", occurrence_id)
    form = _form(action, occurrence, request.POST)
    if form.is_valid():
        try:
            shown, message = _apply(request, action, occurrence, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("timetable:occurrence", args=[shown.pk]))
    return _detail(request, occurrence, bound=form)


def _apply(request, action: str, occurrence: Occurrence, data: dict) -> tuple[Occurrence, str]:
    actor, note = request.user, data.get("note", "")
    if action in ("annuler", "absent", "retablir"):
        status = {
            "annuler": OccurrenceStatus.CANCELLED,
            "absent": OccurrenceStatus.TEACHER_ABSENT,
            "retablir": OccurrenceStatus.SCHEDULED,
        }[action]
        occurrence_set_status(actor=actor, occurrence=occurrence, status=status, note=note)
        done = {
            "annuler": _("La séance est annulée."),
            "absent": _("La séance est marquée « enseignant absent »."),
            "retablir": _("La séance est rétablie."),
        }[action]
        return occurrence, done
    if action == "salle":
        occurrence_change_room(
            actor=actor, occurrence=occurrence, rooms=list(data["rooms"]), note=note
        )
        return occurrence, _("La salle est changée.")
    if action == "deplacer":
        establishment = occurrence.establishment
        moved = occurrence_move(
            actor=actor,
            occurrence=occurrence,
            start=local_moment(data["date"], data["start"], establishment),
            end=local_moment(data["date"], data["end"], establishment),
            rooms=list(data["rooms"]) or None,
            note=note,
        )
        return moved, _("La séance est déplacée ; voici la nouvelle séance.")
    replacing = occurrence_replace(
        actor=actor, occurrence=occurrence, teachers=list(data["teachers"]), note=note
    )
    return replacing, _("Le remplacement est enregistré ; voici la séance de remplacement.")


@staff_page(is_editor)
def occurrence_new(request, *, scope):
    """An exceptional session (an extra lesson, a test, an outing)."""
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    day = grid.parse_day(request.GET.get("jour")) or today()
    year = (
        SchoolYear.objects.filter(establishment=establishment, start_date__lte=day)
        .order_by("-start_date")
        .first()
    )
    if year is None:
        raise refuse(request, "school_year", day)
    initial = {"date": day}
    division = request.GET.get("classe", "")
    if division.isdigit():
        initial["divisions"] = [int(division)]
    form = OccurrenceAddForm(
        request.POST or None, establishment=establishment, year=year, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            occurrence = occurrence_add(
                actor=request.user,
                establishment=establishment,
                start=local_moment(data["date"], data["start"], establishment),
                end=local_moment(data["date"], data["end"], establishment),
                subject=data["subject"],
                label=data["label"].strip(),
                teachers=list(data["teachers"]),
                rooms=list(data["rooms"]),
                divisions=list(data["divisions"]),
                groups=list(data["groups"]),
                note=data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("La séance exceptionnelle est ajoutée."))
            return HttpResponseRedirect(reverse("timetable:occurrence", args=[occurrence.pk]))
    return render(request, "timetable/occurrence_new.html", {"form": form, "year": year})


# -- Imports ---------------------------------------------------------------------------------

UPLOAD_DIR = "timetable-imports"
UPLOAD_SALT = "preau.timetable.import-upload"
UPLOAD_MAX_AGE = 2 * 60 * 60
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_SIZE = 500 * 1024 * 1024


class UploadError(Exception):
    """An uploaded file Préau cannot read; the message is for the person."""


def _safe_name(name: str) -> str:
    name = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip("._")
    return (cleaned or "emploi-du-temps")[-100:]


def _forget_stale_uploads() -> None:
    """Previews never applied leave their file behind: drop those older than a day."""
    limit = timezone.now() - timedelta(days=1)
    try:
        folders, _files = default_storage.listdir(UPLOAD_DIR)
        for folder in folders:
            names = default_storage.listdir(f"{UPLOAD_DIR}/{folder}")[1]
            for name in names:
                path = f"{UPLOAD_DIR}/{folder}/{name}"
                if default_storage.get_modified_time(path) < limit:
                    default_storage.delete(path)
    except (FileNotFoundError, NotImplementedError, OSError):
        return


def _keep_upload(upload, *, request, scope: StaffScope, options: dict) -> tuple[str, dict, bytes]:
    """Keep the file between the preview and the import, outside any served folder,
    under a random name; the page carries only a signed reference to it."""
    _forget_stale_uploads()
    content = upload.read()
    name = _safe_name(upload.name)
    key = default_storage.save(f"{UPLOAD_DIR}/{secrets.token_hex(16)}/{name}", ContentFile(content))
    payload = {
        "key": key,
        "name": name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "account": request.user.pk,
        "establishment": scope.establishment_id,
        "options": options,
    }
    return signing.dumps(payload, salt=UPLOAD_SALT), payload, content


def _kept_upload(value: str, *, request, scope: StaffScope) -> tuple[dict, bytes]:
    try:
        payload = signing.loads(value, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature as error:
        raise UploadError(_("L'aperçu a expiré : déposez le fichier à nouveau.")) from error
    if payload["account"] != request.user.pk or payload["establishment"] != scope.establishment_id:
        raise UploadError(_("Cet aperçu n'est pas le vôtre : déposez le fichier à nouveau."))
    try:
        with default_storage.open(payload["key"], "rb") as kept:
            content = kept.read()
    except (FileNotFoundError, OSError) as error:
        raise UploadError(_("L'aperçu a expiré : déposez le fichier à nouveau.")) from error
    if hashlib.sha256(content).hexdigest() != payload["sha256"]:
        raise UploadError(_("Le fichier a changé depuis l'aperçu : déposez-le à nouveau."))
    return payload, content


def _extract_fet(archive: Path, into: Path) -> Path:
    """The folder of a zipped fet-cl output: the one holding *_data_and_timetable.fet.
    Members are checked before extraction: no path outside the folder, no bomb."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_ZIP_SIZE:
                raise UploadError(_("L'archive est trop grande pour un emploi du temps."))
            for member in members:
                target = (into / member.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise UploadError(
                        _("L'archive contient un chemin interdit : %(name)s.")
                        % {"name": member.filename}
                    )
            zipped.extractall(into)
    except zipfile.BadZipFile as error:
        raise UploadError(_("Le fichier n'est pas une archive zip lisible.")) from error
    found = sorted(into.rglob("*_data_and_timetable.fet"))
    if not found:
        raise UploadError(
            _("L'archive ne contient aucun fichier « …_data_and_timetable.fet » écrit par fet-cl.")
        )
    return found[0].parent


def _period_of(options: dict, establishment: Establishment) -> tuple[date | None, date | None]:
    """The dates asked for; FET has none of its own, so its weeks run over the school
    year holding the dates given (or today)."""
    start = date.fromisoformat(options["start"]) if options.get("start") else None
    end = date.fromisoformat(options["end"]) if options.get("end") else None
    if options["format"] != "fet" or (start and end):
        return start, end
    day = start or end or today()
    year = school_year_containing(establishment, day)
    if year is None:
        raise UploadError(
            _(
                "FET ne donne pas de dates et l'établissement n'a pas d'année scolaire au "
                "%(day)s : indiquez la première et la dernière date."
            )
            % {"day": day.strftime("%d/%m/%Y")}
        )
    return start or year.start_date, end or year.end_date


def _read_upload(name: str, content: bytes, options: ImportOptions, fmt: str, establishment):
    """Read the file with its format's importer in a temporary folder, removed after."""
    with tempfile.TemporaryDirectory(prefix="preau-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        if fmt == "fet" and zipfile.is_zipfile(path):
            path = _extract_fet(path, Path(folder) / "fet")
        try:
            source = read(fmt, path, options)
        except ModuleNotFoundError as error:
            if error.name != f"preau.timetable.importers.{fmt}":
                raise
            raise UploadError(
                _("Le format %(format)s n'est pas encore disponible.") % {"format": fmt.upper()}
            ) from error
    if source.uai and source.uai.strip().upper() != establishment.uai:
        raise UploadError(
            _(
                "Ce fichier est celui de l'établissement %(file)s, pas de %(name)s "
                "(%(uai)s) : rien n'a été importé."
            )
            % {"file": source.uai, "name": establishment.name, "uai": establishment.uai}
        )
    return source


def _import(request, scope, *, name: str, content: bytes, options: dict, dry_run: bool):
    """Read and import (or preview) the file for the establishment of the page, never
    another one: the file's own UAI must match."""
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    start, end = _period_of(options, establishment)
    import_options = ImportOptions(
        uai=establishment.uai,
        days=options.get("days", []),
        grid=[(time.fromisoformat(a), time.fromisoformat(b)) for a, b in options.get("grid", [])],
        start=start,
        end=end,
        rules=establishment.school_calendar_rules(),
    )
    source = _read_upload(name, content, import_options, options["format"], establishment)
    return timetable_import(
        actor=request.user,
        source=source,
        file_name=name,
        content=content,
        uai=establishment.uai,
        dry_run=dry_run,
        start=start,
        end=end,
    )


def report_context(report: dict) -> dict:
    """The import report (ImportReport.as_dict or ImportRun.report) for the template."""
    return {
        "report": report,
        "resources": [
            (label, report.get("created", {}).get(key, 0), report.get("matched", {}).get(key, 0))
            for key, label in LABELS.items()
            if report.get("created", {}).get(key) or report.get("matched", {}).get(key)
        ],
        "overlaps": [
            (
                label,
                found.get("count", 0),
                [
                    (example.get("who", ""), str(example.get("start", ""))[:16].replace("T", " "))
                    for example in found.get("examples", [])[:10]
                ],
            )
            for key, label in OVERLAPS.items()
            for found in [report.get("overlaps", {}).get(key, {})]
        ],
    }


def _runs(scope: StaffScope, page: str | None):
    runs = (
        ImportRun.objects.filter(establishment_id=scope.establishment_id)
        .select_related("actor__person", "version")
        .defer("report")
    )
    return Paginator(runs, 20).get_page(page)


@staff_page(lambda scope: scope.administers)
def imports(request, *, scope):
    """Upload a file, preview what it would change, then import it."""
    form, preview, error, upload = ImportForm(), None, None, None
    if request.method == "POST" and "upload" in request.POST:
        apply_form = ImportApplyForm(request.POST)
        if apply_form.is_valid():
            try:
                payload, content = _kept_upload(
                    apply_form.cleaned_data["upload"], request=request, scope=scope
                )
                report = _import(
                    request,
                    scope,
                    name=payload["name"],
                    content=content,
                    options=payload["options"],
                    dry_run=False,
                )
            except (UploadError, ParseError, TimetableImportError, PermissionDenied) as failure:
                error = str(failure)
            else:
                default_storage.delete(payload["key"])
                run = (
                    ImportRun.objects.filter(
                        establishment_id=scope.establishment_id, version__number=report.version
                    )
                    .order_by("-id")
                    .first()
                )
                messages.success(
                    request,
                    _("Import appliqué : version %(number)s de l'emploi du temps.")
                    % {"number": report.version},
                )
                return HttpResponseRedirect(reverse("timetable:import", args=[run.pk]))
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            options = {
                "format": data["format"],
                "start": data["start"].isoformat() if data["start"] else None,
                "end": data["end"].isoformat() if data["end"] else None,
                "days": data["days"],
                "grid": [[a.isoformat(), b.isoformat()] for a, b in data["grid"]],
            }
            upload, payload, content = _keep_upload(
                data["file"], request=request, scope=scope, options=options
            )
            try:
                report = _import(
                    request,
                    scope,
                    name=payload["name"],
                    content=content,
                    options=options,
                    dry_run=True,
                )
            except (UploadError, ParseError, TimetableImportError, PermissionDenied) as failure:
                error, upload = str(failure), None
                default_storage.delete(payload["key"])
            else:
                preview = report_context(report.as_dict())
    context = {
        "form": form,
        "preview": preview,
        "upload": upload,
        "error": error,
        "runs": _runs(scope, request.GET.get("page")),
    }
    status = 400 if error else 200
    return render(request, "timetable/imports.html", context, status=status)


@staff_page(lambda scope: scope.administers)
def import_detail(request, run_id: int, *, scope):
    run = (
        ImportRun.objects.filter(pk=run_id, establishment_id=scope.establishment_id)
        .select_related("actor__person", "version")
        .first()
    )
    if run is None:
        raise refuse(request, "import", run_id)
    return render(request, "timetable/import.html", {"run": run, **report_context(run.report)})


# -- The private calendar subscription -------------------------------------------------------


def _subscription_subject(request) -> Person:
    """Whose timetable the person subscribes to: their own (a pupil, a teacher), or the
    active child's in the family space."""
    space = request.space
    if space is not None and space.kind == FAMILY and request.child is not None:
        return Person.objects.get(pk=request.child.id)
    if space is not None and (
        space.kind == PUPIL or (space.kind == STAFF and RoleKind.TEACHER in space.roles)
    ):
        return request.user.person
    raise refuse(request, "page", request.path)


@login_required
def subscription(request):
    subject = _subscription_subject(request)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            token = CalendarToken.objects.filter(
                pk=request.POST.get("token") or 0, person_id=request.user.person_id
            ).first()
            if token is None:
                raise refuse(request, "calendar_token", request.POST.get("token"))
            calendar_token_revoke(actor=request.user, token=token)
            messages.success(request, _("Le lien est révoqué : il ne donne plus rien."))
        else:
            calendar_token_create(actor=request.user, subject_person=subject)
            messages.success(request, _("Votre lien d'abonnement est prêt."))
        return HttpResponseRedirect(reverse("timetable:subscription"))
    token = (
        CalendarToken.objects.filter(
            person_id=request.user.person_id, subject_person=subject, revoked_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    feed_url = webcal_url = ""
    if token is not None:
        feed_url = request.build_absolute_uri(reverse("timetable:feed", args=[token.token]))
        webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    own = subject.pk == request.user.person_id
    return render(
        request,
        "timetable/subscription.html",
        {
            "subject": subject,
            "own": own,
            "token": token,
            "feed_url": feed_url,
            "webcal_url": webcal_url,
        },
    )


FEED_WEEKS_BEFORE = 4


@require_GET
def feed(request, token: str):
    """The calendar a phone subscribes to: no session, the token is the key. It stops as
    soon as the token is revoked or the person loses the right to the timetable."""
    found = (
        CalendarToken.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("subject_person")
        .first()
    )
    if found is None or not (
        found.person_id == found.subject_person_id
        or Guardianship.objects.filter(
            guardian_id=found.person_id, pupil_id=found.subject_person_id
        ).exists()
    ):
        raise refuse(request, "calendar_token", token[:6] + "…")
    subject = found.subject_person
    day = today()
    roles = Role.objects.current(day).filter(person=subject, establishment__isnull=False)
    years = SchoolYear.objects.filter(
        Exists(roles.filter(establishment=OuterRef("establishment"))),
        start_date__lte=day,
        end_date__gte=day,
    )
    end = years.aggregate(end=Max("end_date"))["end"] or day + timedelta(weeks=12)
    start = day - timedelta(weeks=FEED_WEEKS_BEFORE)
    occurrences = {o.pk: o for o in pupil_occurrences(subject.pk, start, end)}
    if roles.filter(kind=RoleKind.TEACHER).exists():
        occurrences.update({o.pk: o for o in teacher_occurrences(subject.pk, start, end)})
    uai = roles.values_list("establishment__uai", flat=True).first() or "preau"
    body = to_ics(
        sorted(occurrences.values(), key=lambda o: (o.start, o.pk)),
        uai=uai,
        name=_("Emploi du temps — %(name)s") % {"name": subject.display_name},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private"
    response["Content-Disposition"] = 'inline; filename="emploi-du-temps.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
