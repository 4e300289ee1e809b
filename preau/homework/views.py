"""The cahier de textes pages (docs/homework.md).

- Pupils and families: the work to do ("Travail à faire", with the pupil's "fait"
  ticks) and the contents of the sessions, week by week. The pupil a page is about is
  never taken from the URL: the signed-in pupil, or the guardian's active child.
- Teachers: their sessions of the week with what is written, and one page per session
  to write its content and give homework (due dates proposed from the next sessions of
  the same audience, the audience's workload on the chosen day, copies to another
  session, attachments).
- Teachers and the direction: the workload of a division, day by day.
- The direction: the review of each teaching service's cahier de textes with its
  visas, and the settings.

Attachments are served only here, after the same access check as the page that shows
them. Anything not visible answers a logged 404.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from preau.core.access import StaffScope, refuse
from preau.core.http import as_int, render_page
from preau.core.models import Establishment, Person, ResponsibilityLevel
from preau.core.selectors import school_year_on, today
from preau.homework import selectors, services
from preau.homework.access import (
    LEGAL,
    OWN,
    Reader,
    concerns,
    families_see_homework,
    is_direction,
    link_of,
    may_review,
    policy_of,
    staff_reads,
    staff_writes,
)
from preau.homework.forms import (
    AttachmentForm,
    ContentForm,
    CopyForm,
    HomeworkForm,
    PolicyForm,
    VisaForm,
)
from preau.homework.markup import html_to_text
from preau.homework.models import Attachment, Homework, Kind
from preau.portal.access import staff_page
from preau.portal.spaces import FAMILY, PUPIL, STAFF
from preau.structure.models import TeachingService
from preau.timetable import grid
from preau.timetable.selectors import audience_label, occurrence_page

# Days the "Travail à faire" page shows ahead, and behind (collapsed).
AHEAD_DAYS = 20
BEHIND_DAYS = 7
# The review of one service shows this many days by default.
REVIEW_DAYS = 28


# -- Shared ---------------------------------------------------------------------------------


def _zone(establishment_id: int) -> str:
    return Establishment.objects.values_list("timezone", flat=True).get(pk=establishment_id)


def reader_of(request) -> Reader | None:
    """The signed-in pupil (pupil space) or the guardian's active child (family space,
    never an id from the URL); None for a family space with no child; a logged 404 for
    any other space. One query for a contact (the establishment's setting)."""
    space = request.space
    if space is not None and space.kind == PUPIL:
        person = request.user.person
        return Reader(person.pk, person.display_name, space.establishment_id, OWN, True)
    if space is not None and space.kind == FAMILY:
        child = request.child
        if child is None:
            return None
        link = link_of(child.level)
        sees = (
            link == LEGAL or families_see_homework([child.establishment_id])[child.establishment_id]
        )
        return Reader(child.id, child.display_name, child.establishment_id, link, sees)
    raise refuse(request, "page", request.path)


def _blocked(request, reader: Reader | None, title: str):
    if reader is None:
        return render_page(request, "homework/no_child.html", {"title": title})
    if not reader.sees:
        return render_page(request, "homework/no_access.html", {"title": title, "reader": reader})
    return None


def _staff_scopes(request) -> list[StaffScope]:
    person_id = request.user.person_id
    return [
        space.staff_scope(person_id)
        for space in request.person_spaces.spaces
        if space.kind == STAFF and person_id is not None
    ]


def _active_scope(request) -> StaffScope | None:
    space = request.space
    if space is None or space.kind != STAFF:
        return None
    return space.staff_scope(request.user.person_id)


# -- Travail à faire ---------------------------------------------------------------------------


@dataclass
class DueDay:
    day: date
    items: list[selectors.Decorated]

    @property
    def minutes(self) -> int:
        return sum(item.homework.estimated_minutes or 0 for item in self.items)


def _by_day(items: list[selectors.Decorated]) -> list[DueDay]:
    days: dict[date, DueDay] = {}
    for item in items:
        days.setdefault(item.homework.due_date, DueDay(item.homework.due_date, [])).items.append(
            item
        )
    return list(days.values())


@require_GET
@login_required
def todo(request):
    """The homework to do from today for the coming weeks (the past week folded), with
    the estimated time, the attachments and, for the pupil, the "fait" ticks."""
    reader = reader_of(request)
    title = _("Travail à faire")
    blocked = _blocked(request, reader, title)
    if blocked:
        return blocked
    day = today()
    items = selectors.pupil_homework(
        reader.pupil_id,
        reader.establishment_id,
        day - timedelta(days=BEHIND_DAYS),
        day + timedelta(days=AHEAD_DAYS),
    )
    subjects = sorted(
        {(item.homework.subject_id or 0, item.subject) for item in items},
        key=lambda pair: pair[1].casefold(),
    )
    wanted = as_int(request.GET.get("matiere"))
    if wanted is not None:
        items = [item for item in items if (item.homework.subject_id or 0) == wanted]
    past = [item for item in items if item.homework.due_date < day]
    coming = [item for item in items if item.homework.due_date >= day]
    return render_page(
        request,
        "homework/todo.html",
        {
            "title": _("Mon travail à faire") if reader.own else title,
            "reader": reader,
            "day": day,
            "tomorrow": day + timedelta(days=1),
            "coming": _by_day(coming),
            "past": _by_day(list(reversed(past))),
            "past_count": len(past),
            "subjects": subjects,
            "subject": wanted,
            "ahead": day + timedelta(days=AHEAD_DAYS),
        },
        zone=_zone(reader.establishment_id),
    )


@require_POST
@login_required
def done(request, homework_id: int):
    """The pupil ticks or unticks "fait" (htmx: the tick comes back; else the page)."""
    space = request.space
    if space is None or space.kind != PUPIL:
        raise refuse(request, "homework", homework_id)
    wanted = request.POST.get("fait") in ("on", "1", "true")
    homework = Homework.objects.filter(pk=homework_id, establishment_id=space.establishment_id)
    if not homework.exists():
        raise refuse(request, "homework", homework_id)
    try:
        services.homework_done_set(actor=request.user, homework_id=homework_id, done=wanted)
    except PermissionDenied:
        raise refuse(request, "homework", homework_id) from None
    if request.htmx:
        return render_page(
            request,
            "homework/_done.html",
            {"homework_id": homework_id, "done": wanted, "changed": True},
        )
    messages.success(
        request, _("Travail marqué comme fait.") if wanted else _("Travail marqué à faire.")
    )
    return HttpResponseRedirect(reverse("homework:todo"))


# -- Contenu des séances ----------------------------------------------------------------------


def _week(request, day: date):
    """`?semaine=` any day of the week; by default the week holding today (on a Sunday,
    the week that ends: what was done is what families and teachers look at)."""
    return grid.week_of(grid.parse_day(request.GET.get("semaine")) or day)


def _week_nav(url: str, period, **query) -> dict:
    def at(monday: date) -> str:
        return f"{url}?{urlencode({**query, 'semaine': monday.isoformat()})}"

    return {
        "previous": at(period.start - timedelta(days=7)),
        "next": at(period.start + timedelta(days=7)),
        "current": f"{url}?{urlencode(query)}" if query else url,
    }


@require_GET
@login_required
def content(request):
    """Pupils and families: the contents of the sessions of a week. Teachers: their
    sessions of the week, with what is written."""
    scope = _active_scope(request)
    if scope is not None:
        if not scope.teaches:
            raise refuse(request, "page", request.path)
        return _teacher_week(request, scope)
    reader = reader_of(request)
    title = _("Contenu des séances")
    blocked = _blocked(request, reader, title)
    if blocked:
        return blocked
    day = today()
    period = _week(request, day)
    sessions = list(
        selectors.pupil_sessions(reader.pupil_id, reader.establishment_id, period.start, period.end)
    )
    days: dict[date, list] = {}
    for occurrence in sessions:
        days.setdefault(occurrence.date, []).append(occurrence)
    return render_page(
        request,
        "homework/content_family.html",
        {
            "title": title,
            "reader": reader,
            "period": period,
            "days": sorted(days.items()),
            "nav": _week_nav(reverse("homework:content"), period),
            "is_current": period.start <= day <= period.end,
            "day": day,
        },
        zone=_zone(reader.establishment_id),
    )


def _teacher_week(request, scope: StaffScope):
    day = today()
    period = _week(request, day)
    sessions = list(
        selectors.teacher_sessions(
            scope.person_id, scope.establishment_id, period.start, period.end
        )
    )
    days: dict[date, list] = {}
    for occurrence in sessions:
        occurrence.audience_text = audience_label(occurrence)
        days.setdefault(occurrence.date, []).append(occurrence)
    missing = sum(1 for o in sessions if o.is_held and o.date <= day and not o.has_content)
    return render_page(
        request,
        "homework/content_teacher.html",
        {
            "title": _("Contenu des séances"),
            "period": period,
            "days": sorted(days.items()),
            "nav": _week_nav(reverse("homework:content"), period),
            "is_current": period.start <= day <= period.end,
            "day": day,
            "missing": missing,
        },
        zone=_zone(scope.establishment_id),
    )


# -- One session (teachers) ---------------------------------------------------------------


def _session_or_404(request, occurrence_id: int):
    scope = _active_scope(request)
    if scope is None:
        raise refuse(request, "occurrence", occurrence_id)
    occurrence = occurrence_page(occurrence_id)
    if occurrence is None or not staff_reads(scope, occurrence):
        raise refuse(request, "occurrence", occurrence_id)
    return scope, occurrence


def _homework_initial(homework: Homework) -> dict:
    return {
        "instructions": html_to_text(homework.instructions),
        "kind": homework.kind,
        "due_choice": str(homework.due_occurrence_id) if homework.due_occurrence_id else "date",
        "due_date": homework.due_date,
        "estimated_minutes": homework.estimated_minutes,
        "version": homework.version,
    }


def _proposals(occurrence, homework: Homework | None = None) -> list:
    proposals = selectors.next_sessions(occurrence)
    due = homework.due_occurrence if homework is not None else None
    if due is not None and all(p.pk != due.pk for p in proposals):
        proposals = sorted([*proposals, due], key=lambda o: (o.start, o.pk))
    return proposals


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = {"due_occurrence": "due_choice", "up_to": "up_to"}.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_http_methods(["GET", "POST"])
@login_required
def session(request, occurrence_id: int):
    """A session's content and homework: written by its teachers, read by the others
    who may (the direction, the teachers of its service)."""
    scope, occurrence = _session_or_404(request, occurrence_id)
    writer = staff_writes(scope, occurrence)
    which = request.POST.get("form") if request.method == "POST" else None
    if which and not writer:
        raise refuse(request, "occurrence", occurrence_id)
    current = selectors.content_of(occurrence)
    proposals = _proposals(occurrence)
    content_form = ContentForm(
        request.POST if which == "content" else None,
        initial={
            "body": html_to_text(current.body) if current else "",
            "version": current.version if current else 0,
        },
    )
    homework_form = HomeworkForm(
        request.POST if which == "homework" else None,
        request.FILES if which == "homework" else None,
        proposals=proposals,
        workload_url=reverse("homework:session_workload", args=[occurrence.pk]),
    )
    attachment_form = AttachmentForm(
        request.POST if which == "attachment" else None,
        request.FILES if which == "attachment" else None,
        prefix="contenu",
    )
    conflict = None
    back = reverse("homework:session", args=[occurrence.pk])
    if which == "content" and content_form.is_valid():
        try:
            services.content_set(
                actor=request.user,
                occurrence_id=occurrence.pk,
                body=content_form.html(),
                version=content_form.cleaned_data["version"],
            )
        except services.Stale as stale:
            conflict = stale.current
            content_form.add_error(
                None,
                _(
                    "Un autre enseignant a enregistré le contenu pendant que vous écriviez. "
                    "Son texte est affiché ci-dessous ; reprenez le vôtre puis enregistrez."
                ),
            )
            data = request.POST.copy()
            data["version"] = conflict.version if conflict else 0
            content_form.data = data
        else:
            messages.success(request, _("Le contenu de la séance est enregistré."))
            return HttpResponseRedirect(f"{back}#contenu-seance")
    elif which == "homework" and homework_form.is_valid():
        data = homework_form.cleaned_data
        try:
            # The homework and its file together, or neither (a refused file).
            with transaction.atomic():
                homework = services.homework_create(
                    actor=request.user,
                    occurrence_id=occurrence.pk,
                    instructions=homework_form.html(),
                    due_date=data["due_date"],
                    due_occurrence_id=data["due_occurrence_id"],
                    estimated_minutes=data["estimated_minutes"],
                    kind=data["kind"],
                )
                if data.get("file"):
                    services.attachment_add(
                        actor=request.user, upload=data["file"], homework_id=homework.pk
                    )
        except ValidationError as error:
            _add_errors(homework_form, error)
        else:
            messages.success(request, _("Le travail est donné."))
            return HttpResponseRedirect(f"{back}#travaux")
    elif which == "attachment" and attachment_form.is_valid():
        try:
            with transaction.atomic():
                # A colleague may have written the first content meanwhile: join theirs.
                try:
                    owner = current or services.content_set(
                        actor=request.user, occurrence_id=occurrence.pk, body="", version=0
                    )
                except services.Stale:
                    owner = selectors.content_of(occurrence)
                services.attachment_add(
                    actor=request.user,
                    upload=attachment_form.cleaned_data["file"],
                    content_id=owner.pk,
                )
        except ValidationError as error:
            _add_errors(attachment_form, error)
        else:
            messages.success(request, _("Le fichier est joint au contenu de la séance."))
            return HttpResponseRedirect(f"{back}#contenu-seance")
    homework = selectors.session_homework(occurrence)
    targets = selectors.copy_targets(scope.person_id, occurrence) if writer else []
    preview_day = homework_form.chosen_day()
    context = {
        "occurrence": occurrence,
        "audience": audience_label(occurrence),
        "writer": writer,
        "direction": is_direction(scope),
        "current": current,
        "conflict": conflict,
        "content_form": content_form,
        "homework_form": homework_form,
        "attachment_form": attachment_form,
        "homework": homework,
        "copy_form": CopyForm(targets=targets, prefix="copie") if targets else None,
        "preview": _preview(occurrence, preview_day) if writer and preview_day else None,
        "kinds": dict(Kind.choices),
    }
    status = 400 if which else 200
    return render_page(
        request,
        "homework/session.html",
        context,
        zone=occurrence.establishment.timezone,
        status=status,
    )


@dataclass
class Preview:
    day: date
    load: selectors.DayLoad
    pupils: int
    policy: object


def _preview(occurrence, day: date) -> Preview:
    policy = policy_of(occurrence.establishment_id)
    pupils = selectors.audience_pupils(occurrence, day)
    load = selectors.workload(pupils, day, day, policy)[day]
    return Preview(day, load, len(pupils), policy)


@require_GET
@login_required
def session_workload(request, occurrence_id: int):
    """The workload of the session's audience on the due date being chosen (htmx)."""
    scope, occurrence = _session_or_404(request, occurrence_id)
    if not staff_writes(scope, occurrence):
        raise refuse(request, "occurrence", occurrence_id)
    form = HomeworkForm(request.GET, proposals=_proposals(occurrence), with_file=False)
    day = form.chosen_day()
    return render_page(
        request,
        "homework/_preview.html",
        {"preview": _preview(occurrence, day) if day else None},
        zone=occurrence.establishment.timezone,
    )


def _writable_homework(request, homework_id: int) -> tuple[StaffScope, Homework]:
    scope = _active_scope(request)
    homework = (
        Homework.objects.select_related("occurrence", "due_occurrence")
        .filter(pk=homework_id)
        .first()
    )
    if scope is None or homework is None:
        raise refuse(request, "homework", homework_id)
    occurrence = homework.occurrence
    if not staff_writes(scope, occurrence):
        raise refuse(request, "homework", homework_id)
    return scope, homework


@require_http_methods(["GET", "POST"])
@login_required
def homework_edit(request, homework_id: int):
    _scope, homework = _writable_homework(request, homework_id)
    occurrence = occurrence_page(homework.occurrence_id)
    if homework.withdrawn_at is not None:
        raise refuse(request, "homework", homework_id)
    proposals = _proposals(occurrence, homework)
    form = HomeworkForm(
        request.POST if request.method == "POST" else None,
        proposals=proposals,
        with_file=False,
        initial=_homework_initial(homework),
        workload_url=reverse("homework:session_workload", args=[occurrence.pk]),
    )
    conflict = None
    back = reverse("homework:session", args=[occurrence.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.homework_update(
                actor=request.user,
                homework_id=homework.pk,
                version=data["version"] if data["version"] is not None else -1,
                instructions=form.html(),
                due_date=data["due_date"],
                due_occurrence_id=data["due_occurrence_id"],
                estimated_minutes=data["estimated_minutes"],
                kind=data["kind"],
            )
        except services.Stale as stale:
            conflict = stale.current
            form.add_error(
                None,
                _(
                    "Ce travail a été modifié par un autre enseignant pendant que vous "
                    "écriviez. Sa version est affichée ci-dessous ; reprenez vos changements "
                    "puis enregistrez."
                ),
            )
            data = request.POST.copy()
            data["travail-version"] = conflict.version
            form.data = data
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Le travail est modifié."))
            return HttpResponseRedirect(f"{back}#travaux")
    return render_page(
        request,
        "homework/homework_edit.html",
        {
            "occurrence": occurrence,
            "audience": audience_label(occurrence),
            "homework": homework,
            "form": form,
            "conflict": conflict,
            "preview": _preview(occurrence, form.chosen_day()) if form.chosen_day() else None,
        },
        zone=occurrence.establishment.timezone,
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def homework_withdraw(request, homework_id: int):
    """Withdraw a homework: its session's teachers, or the direction."""
    scope = _active_scope(request)
    homework = Homework.objects.select_related("occurrence").filter(pk=homework_id).first()
    if scope is None or homework is None:
        raise refuse(request, "homework", homework_id)
    occurrence = homework.occurrence
    allowed = staff_writes(scope, occurrence) or (
        is_direction(scope) and occurrence.establishment_id == scope.establishment_id
    )
    if not allowed:
        raise refuse(request, "homework", homework_id)
    services.homework_withdraw(actor=request.user, homework_id=homework.pk)
    messages.success(
        request, _("Le travail est retiré : les élèves et les familles ne le voient plus.")
    )
    return HttpResponseRedirect(reverse("homework:session", args=[occurrence.pk]) + "#travaux")


@require_POST
@login_required
def homework_copy(request, homework_id: int):
    """Give the same homework in another of the teacher's sessions."""
    scope, homework = _writable_homework(request, homework_id)
    occurrence = occurrence_page(homework.occurrence_id)
    form = CopyForm(
        request.POST, targets=selectors.copy_targets(scope.person_id, occurrence), prefix="copie"
    )
    back = reverse("homework:session", args=[occurrence.pk]) + "#travaux"
    if not form.is_valid():
        messages.error(request, _("Choisissez une de vos séances pour copier ce travail."))
        return HttpResponseRedirect(back)
    target = form.cleaned_data["target"]
    try:
        copy = services.homework_copy(
            actor=request.user, homework_id=homework.pk, occurrence_id=target.pk
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(back)
    messages.success(
        request,
        _("Le travail est copié dans la séance du %(day)s (%(audience)s), pour le %(due)s.")
        % {
            "day": target.date.strftime("%d/%m"),
            "audience": audience_label(target),
            "due": copy.due_date.strftime("%d/%m"),
        },
    )
    return HttpResponseRedirect(back)


# -- Attachments ------------------------------------------------------------------------------


def _may_read(request, attachment: Attachment) -> bool:
    """The same rule as the pages showing the file: staff who read the session (in any
    of their establishments), the pupil and the families who see it."""
    owner = attachment.homework or attachment.content
    occurrence = owner.occurrence
    for scope in _staff_scopes(request):
        if scope is not None and staff_reads(scope, occurrence):
            return True
    if attachment.homework is not None:
        if attachment.homework.withdrawn_at is not None:
            return False
        days = [occurrence.date, attachment.homework.due_date]
    else:
        days = [occurrence.date]
    pupils = [
        pupil
        for pupil, establishment in _family_pupils(request).items()
        if establishment == occurrence.establishment_id
    ]
    return concerns(occurrence, pupils, days)


def _family_pupils(request) -> dict[int, int]:
    """The pupils whose cahier de textes the person reads as a pupil or a family
    (pupil → establishment), the settings applied."""
    found: dict[int, int] = {}
    for space in request.person_spaces.spaces:
        if space.kind == PUPIL and space.establishment_id is not None:
            found[request.user.person_id] = space.establishment_id
    children = request.person_spaces.children
    allowed = families_see_homework(
        {c.establishment_id for c in children if c.level != ResponsibilityLevel.LEGAL}
    )
    for child in children:
        if child.level == ResponsibilityLevel.LEGAL or allowed.get(child.establishment_id):
            found[child.id] = child.establishment_id
    return found


@require_GET
@login_required
def attachment(request, attachment_id: int):
    """The file, to whoever sees the page that lists it; a logged 404 otherwise."""
    found = (
        Attachment.objects.select_related("homework__occurrence", "content__occurrence")
        .filter(pk=attachment_id)
        .first()
    )
    if found is None or not _may_read(request, found):
        raise refuse(request, "attachment", attachment_id)
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise refuse(request, "attachment", attachment_id) from None
    response = FileResponse(handle, content_type=found.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, found.name)
    response["Content-Length"] = str(found.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def attachment_remove(request, attachment_id: int):
    scope = _active_scope(request)
    found = (
        Attachment.objects.select_related("homework__occurrence", "content__occurrence")
        .filter(pk=attachment_id)
        .first()
    )
    if scope is None or found is None:
        raise refuse(request, "attachment", attachment_id)
    occurrence = (found.homework or found.content).occurrence
    if not staff_writes(scope, occurrence):
        raise refuse(request, "attachment", attachment_id)
    services.attachment_remove(actor=request.user, attachment_id=found.pk)
    messages.success(request, _("La pièce jointe « %(name)s » est retirée.") % {"name": found.name})
    return HttpResponseRedirect(reverse("homework:session", args=[occurrence.pk]))


@require_POST
@login_required
def homework_attach(request, homework_id: int):
    _scope, homework = _writable_homework(request, homework_id)
    form = AttachmentForm(request.POST, request.FILES, prefix=f"travail-{homework.pk}")
    back = reverse("homework:session", args=[homework.occurrence_id]) + f"#travail-{homework.pk}"
    if not form.is_valid():
        messages.error(request, _("Choisissez un fichier à joindre."))
        return HttpResponseRedirect(back)
    try:
        services.attachment_add(
            actor=request.user, upload=form.cleaned_data["file"], homework_id=homework.pk
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Le fichier est joint au travail."))
    return HttpResponseRedirect(back)


# -- Charge de travail ------------------------------------------------------------------------


@staff_page(may_review)
def workload(request, *, scope):
    """One division's week: per day, the homework due and the load of its most loaded
    pupil, flagged above the establishment's thresholds."""
    day = today()
    divisions = selectors.workload_divisions(scope, day)
    wanted = request.GET.get("division")
    division = None
    if wanted:
        division = next((d for d in divisions if d.pk == as_int(wanted)), None)
        if division is None:
            raise refuse(request, "division", wanted)
    elif divisions:
        division = divisions[0]
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    # This week, or the coming one once its school days are over: what is planned.
    period = grid.period_for(
        week=request.GET.get("semaine"),
        day=None,
        today=day,
        saturday_classes=establishment.saturday_classes,
    )
    policy = policy_of(scope.establishment_id)
    loads = []
    if division is not None:
        pupils = selectors.division_pupils(division, period.start, period.end)
        by_day = selectors.workload(pupils, period.start, period.end, policy)
        loads = [
            load
            for load in by_day.values()
            if grid.is_school_day(load.day, establishment.saturday_classes) or load.items
        ]
    url = reverse("homework:workload")
    query = {"division": division.pk} if division else {}
    nav = _week_nav(url, period, **query)
    return render_page(
        request,
        "homework/workload.html",
        {
            "divisions": divisions,
            "division": division,
            "period": period,
            "loads": loads,
            "policy": policy,
            "nav": nav,
            "day": day,
            "is_current": period.start <= day <= period.end,
        },
        zone=establishment.timezone,
    )


# -- Visa (direction) ----------------------------------------------------------------------------


@staff_page(is_direction)
def review(request, *, scope):
    """Each teaching service with its sessions with and without content, the homework
    given and its latest visa; filtered by teacher."""
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    day = today()
    year = school_year_on(establishment, day)
    rows = []
    teachers = []
    wanted = as_int(request.GET.get("enseignant"))
    if year is not None:
        teachers = list(
            Person.objects.filter(teaching_services__school_year=year)
            .distinct()
            .order_by("last_name", "first_name")
        )
        if request.GET.get("enseignant") and wanted not in {t.pk for t in teachers}:
            raise refuse(request, "teacher", request.GET.get("enseignant"))
        rows = selectors.review_rows(
            establishment.pk, year, year.start_date, min(day, year.end_date), teacher_id=wanted
        )
    return render_page(
        request,
        "homework/review.html",
        {"year": year, "rows": rows, "teachers": teachers, "teacher": wanted, "day": day},
        zone=establishment.timezone,
    )


@require_http_methods(["GET", "POST"])
@staff_page(is_direction)
def review_service(request, service_id: int, *, scope):
    """One service's cahier de textes over a period, its visas, and the form to put
    one."""
    service = (
        TeachingService.objects.filter(pk=service_id, establishment_id=scope.establishment_id)
        .select_related("subject", "division", "group", "school_year", "establishment")
        .prefetch_related("teachers")
        .first()
    )
    if service is None:
        raise refuse(request, "service", service_id)
    day = today()
    visas = selectors.service_visas(service)
    end = min(day, service.school_year.end_date)
    default_start = max(service.school_year.start_date, end - timedelta(days=REVIEW_DAYS))
    if visas and visas[0].up_to >= default_start:
        default_start = min(visas[0].up_to + timedelta(days=1), end)
    start = grid.parse_day(request.GET.get("depuis")) or default_start
    start = min(max(start, service.school_year.start_date), end)
    form = VisaForm(
        request.POST if request.method == "POST" else None,
        initial={"up_to": end},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.visa_create(
                actor=request.user,
                service_id=service.pk,
                up_to=form.cleaned_data["up_to"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Le visa est enregistré."))
            return HttpResponseRedirect(reverse("homework:review_service", args=[service.pk]))
    sessions = list(selectors.service_sessions(service, start, end))
    held = [o for o in sessions if o.is_held]
    with_content = sum(1 for o in held if _has_content(o))
    return render_page(
        request,
        "homework/review_service.html",
        {
            "service": service,
            "sessions": sessions,
            "held": len(held),
            "with_content": with_content,
            "visas": visas,
            "form": form,
            "start": start,
            "end": end,
        },
        zone=service.establishment.timezone,
        status=400 if request.method == "POST" else 200,
    )


def _has_content(occurrence) -> bool:
    content = getattr(occurrence, "session_content", None)  # None: no row
    return bool(content and content.body)


@require_http_methods(["GET", "POST"])
@staff_page(is_direction)
def homework_settings(request, *, scope):
    policy = policy_of(scope.establishment_id)
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.policy_update(
                actor=request.user, establishment_id=scope.establishment_id, **changes
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Les réglages du cahier de textes sont enregistrés."))
            return HttpResponseRedirect(reverse("homework:settings"))
    return render_page(
        request,
        "homework/settings.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
