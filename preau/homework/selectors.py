"""Reads of the cahier de textes, scoped and in a fixed number of queries.

Who must do a homework: the pupils of the audience of the session it was given in, as
the audience stands on the homework's due date (a pupil who joins a division finds
its homework due from the day they join; one who leaves no longer sees it).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from preau.core.models import Person, SchoolYear
from preau.core.richtext import plain_text
from preau.homework.access import DIRECTION_ROLES, services_q
from preau.homework.models import (
    Attachment,
    Homework,
    HomeworkDone,
    Kind,
    SessionContent,
    Visa,
)
from preau.structure.models import (
    LEVEL_ORDER,
    ClassPartMembership,
    Division,
    Enrolment,
    GroupMembership,
    TeachingService,
)
from preau.structure.selectors import visible_pupils
from preau.timetable.models import NOT_HELD, Occurrence, OccurrenceAudience, OccurrenceTeacher
from preau.timetable.selectors import (
    AUDIENCE_COLUMN,
    Units,
    pupil_occurrences,
    teacher_occurrences,
    units_of_each_pupil,
)

SUMMARY_LENGTH = 200


@dataclass(frozen=True)
class DueItem:
    id: int
    subject: str  # subject label (or occurrence title)
    summary: str  # plain-text instructions, truncated ~200 chars
    due_date: date
    estimated_minutes: int | None
    kind: str  # value of Kind
    kind_label: str
    done: bool  # marked done by that pupil
    attachments: int  # number of attachments
    establishment_id: int = 0  # where it was given (a pupil may be in two)


def summary_of(html: str, length: int = SUMMARY_LENGTH) -> str:
    text = " ".join(plain_text(html).split())
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"


def _due_filter(units: Units, prefix: str = "occurrence__audience__") -> Q:
    """Homework whose session's audience holds one of `units` on the due date."""
    condition = Q(pk__in=[])
    for (kind, pk), spans in units.items():
        for span in spans:
            condition |= Q(
                **{f"{prefix}{AUDIENCE_COLUMN[kind]}": pk},
                due_date__gte=span.start,
                due_date__lte=span.end,
            )
    return condition


def attachment_count() -> Coalesce:
    return Coalesce(
        Subquery(
            Attachment.objects.filter(homework=OuterRef("pk"))
            .order_by()
            .values("homework")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def due_homework(pupil_ids: Iterable[int], start: date, end: date):
    """The homework due between `start` and `end` for any of the pupils, with, for each
    pupil, the ids of theirs: `(homework by id, {pupil: [homework ids]}, the ids as a subquery)`.
    Seven queries (five for the memberships)."""
    pupil_ids = list(dict.fromkeys(pupil_ids))
    each = units_of_each_pupil(pupil_ids, start, end)
    merged: Units = defaultdict(list)
    for units in each.values():
        for unit, spans in units.items():
            merged[unit] += spans
    ids = Homework.objects.filter(
        _due_filter(merged), due_date__gte=start, due_date__lte=end, withdrawn_at__isnull=True
    ).values("pk")
    homework = {
        item.pk: item
        for item in Homework.objects.filter(pk__in=ids)
        .select_related("subject", "occurrence", "occurrence__subject")
        .annotate(attachment_total=attachment_count())
        .order_by("due_date", "pk")
    }
    audiences: dict[int, list[tuple[str, int]]] = defaultdict(list)
    # Subqueries rather than the ids found: the same queries run whatever is found.
    occurrence_ids = Homework.objects.filter(pk__in=ids).values("occurrence_id")
    for row in OccurrenceAudience.objects.filter(occurrence_id__in=occurrence_ids).values(
        "occurrence_id", *AUDIENCE_COLUMN.values()
    ):
        for kind, column in AUDIENCE_COLUMN.items():
            if row[column] is not None:
                audiences[row["occurrence_id"]].append((kind, row[column]))
    mine: dict[int, list[int]] = {}
    for pupil in pupil_ids:
        units = each.get(pupil, {})
        mine[pupil] = [
            item.pk
            for item in homework.values()
            if any(
                span.start <= item.due_date <= span.end
                for unit in audiences[item.occurrence_id]
                for span in units.get(unit, ())
            )
        ]
    return homework, mine, ids


def subject_label(item: Homework) -> str:
    if item.subject_id:
        return item.subject.label
    return item.occurrence.title


def homework_due(pupil_ids: Iterable[int], start: date, end: date) -> dict[int, list[DueItem]]:
    """Homework due between start and end (inclusive) for each pupil, by due date then
    subject; a fixed number of queries whatever the number of pupils (eight)."""
    pupil_ids = list(dict.fromkeys(pupil_ids))
    if not pupil_ids:
        return {}
    homework, mine, ids = due_homework(pupil_ids, start, end)
    done = set(
        HomeworkDone.objects.filter(homework_id__in=ids, pupil_id__in=pupil_ids).values_list(
            "homework_id", "pupil_id"
        )
    )
    labels = dict(Kind.choices)
    result: dict[int, list[DueItem]] = {}
    for pupil in pupil_ids:
        items = [
            DueItem(
                id=item.pk,
                subject=subject_label(item),
                summary=summary_of(item.instructions),
                due_date=item.due_date,
                estimated_minutes=item.estimated_minutes,
                kind=item.kind,
                kind_label=str(labels.get(item.kind, item.kind)),
                done=(item.pk, pupil) in done,
                attachments=item.attachment_total,
                establishment_id=item.establishment_id,
            )
            for item in (homework[pk] for pk in mine[pupil])
        ]
        items.sort(key=lambda due: (due.due_date, due.subject.casefold(), due.id))
        result[pupil] = items
    return result


# -- What the pages of pupils and families show --------------------------------------------


@dataclass
class Decorated:
    """A homework as a page or the API shows it."""

    homework: Homework
    attachments: list[Attachment]
    teachers: list[str]
    done: bool

    @property
    def subject(self) -> str:
        return subject_label(self.homework)


def decorate(homework: dict[int, Homework], ids, pupil_id: int | None) -> dict[int, Decorated]:
    """Attachments, the teachers of the session it was given in and the pupil's tick
    for each homework: three queries (two without a pupil), whatever is found."""
    attachments: dict[int, list[Attachment]] = defaultdict(list)
    for attachment in Attachment.objects.filter(homework_id__in=ids).order_by("created_at", "pk"):
        attachments[attachment.homework_id].append(attachment)
    teachers: dict[int, list[str]] = defaultdict(list)
    for link in (
        OccurrenceTeacher.objects.filter(
            occurrence_id__in=Homework.objects.filter(pk__in=ids).values("occurrence_id")
        )
        .select_related("person")
        .order_by("person__last_name", "person__first_name")
    ):
        teachers[link.occurrence_id].append(link.person.formal_name)
    done: set[int] = set()
    if pupil_id is not None:
        done = set(
            HomeworkDone.objects.filter(homework_id__in=ids, pupil_id=pupil_id).values_list(
                "homework_id", flat=True
            )
        )
    return {
        pk: Decorated(item, attachments[pk], teachers[item.occurrence_id], pk in done)
        for pk, item in homework.items()
    }


def pupil_homework(
    pupil_id: int, establishment_id: int, start: date, end: date, *, with_done: bool = True
) -> list[Decorated]:
    """The homework the pupil must do between `start` and `end` in the establishment,
    by due date then subject, with what pages show of each. Ten queries (nine without
    the ticks)."""
    homework, mine, ids = due_homework([pupil_id], start, end)
    decorated = decorate(homework, ids, pupil_id if with_done else None)
    items = [
        decorated[pk] for pk in mine[pupil_id] if homework[pk].establishment_id == establishment_id
    ]
    items.sort(key=lambda d: (d.homework.due_date, d.subject.casefold(), d.homework.pk))
    return items


def pupil_sessions(pupil_id: int, establishment_id: int, start: date, end: date):
    """The pupil's sessions between `start` and `end` with their content, its
    attachments, and the homework given in each (with attachments)."""
    return (
        pupil_occurrences(pupil_id, start, end)
        .filter(establishment_id=establishment_id)
        .select_related("session_content")
        .prefetch_related(
            "session_content__attachments",
            Prefetch(
                "homework",
                queryset=Homework.objects.filter(withdrawn_at__isnull=True)
                .prefetch_related("attachments")
                .order_by("due_date", "pk"),
            ),
        )
    )


# -- Teachers ---------------------------------------------------------------------------------


def live_homework_count() -> Coalesce:
    return Coalesce(
        Subquery(
            Homework.objects.filter(occurrence=OuterRef("pk"), withdrawn_at__isnull=True)
            .order_by()
            .values("occurrence")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def teacher_sessions(person_id: int, establishment_id: int, start: date, end: date):
    """The teacher's sessions between `start` and `end`, each with whether its content
    is written (`has_content`) and the number of homework given (`homework_total`)."""
    return teacher_occurrences(person_id, start, end, establishment_id).annotate(
        has_content=Exists(
            SessionContent.objects.filter(occurrence=OuterRef("pk")).exclude(body="")
        ),
        homework_total=live_homework_count(),
    )


def session_homework(occurrence: Occurrence) -> list[Homework]:
    """The homework given in the session, withdrawn ones last, with attachments and who
    ticked them (two queries)."""
    return list(
        Homework.objects.filter(occurrence=occurrence)
        .select_related("due_occurrence", "subject", "copied_from__occurrence")
        .prefetch_related("attachments")
        .annotate(done_total=Count("done_marks"))
        .order_by(F("withdrawn_at").asc(nulls_first=True), "due_date", "pk")
    )


def content_of(occurrence: Occurrence) -> SessionContent | None:
    return (
        SessionContent.objects.filter(occurrence=occurrence)
        .select_related("author")
        .prefetch_related("attachments")
        .first()
    )


def _audience_units(occurrence: Occurrence) -> Q:
    """Occurrences sharing a unit of `occurrence`'s audience (prefetched)."""
    condition = Q(pk__in=[])
    for unit in occurrence.audience.all():
        for column in AUDIENCE_COLUMN.values():
            value = getattr(unit, column)
            if value is not None:
                condition |= Q(**{f"audience__{column}": value})
    return condition


def next_sessions(occurrence: Occurrence, *, limit: int = 5, within_days: int = 35):
    """The next sessions of the same subject for the same audience, the proposed due
    dates of a homework (the first is the default): two queries at most."""
    following = Occurrence.objects.filter(
        _audience_units(occurrence),
        establishment_id=occurrence.establishment_id,
        subject_id=occurrence.subject_id,
        start__gt=occurrence.start,
        date__lte=occurrence.date + timedelta(days=within_days),
        withdrawn_in__isnull=True,
    ).exclude(status__in=NOT_HELD)
    if occurrence.subject_id is None:
        following = following.filter(label=occurrence.label)
    return list(
        Occurrence.objects.filter(pk__in=following.values("pk"))
        .select_related("subject")
        .order_by("start", "pk")[:limit]
    )


def copy_targets(person_id: int, occurrence: Occurrence, *, days: int = 14) -> list[Occurrence]:
    """The teacher's other sessions from the day of `occurrence` for `days` days, to
    which a homework may be copied: those of the same subject first."""
    sessions = [
        item
        for item in teacher_occurrences(
            person_id,
            occurrence.date,
            occurrence.date + timedelta(days=days),
            occurrence.establishment_id,
        )
        if item.pk != occurrence.pk and item.is_held
    ]
    sessions.sort(key=lambda item: (item.subject_id != occurrence.subject_id, item.start, item.pk))
    return sessions


# -- Who a session is for, and their load --------------------------------------------------


def audience_pupils(occurrence: Occurrence, day: date) -> list[int]:
    """The pupils of the session's audience on `day` (one query; the audience
    prefetched)."""
    divisions, parts, groups, pupils = set(), set(), set(), set()
    for unit in occurrence.audience.all():
        if unit.division_id:
            divisions.add(unit.division_id)
        elif unit.class_part_id:
            parts.add(unit.class_part_id)
        elif unit.group_id:
            groups.add(unit.group_id)
        elif unit.pupil_id:
            pupils.add(unit.pupil_id)
    if not (divisions or parts or groups or pupils):
        return []
    member = (
        Q(
            Exists(
                Enrolment.objects.on(day).filter(
                    Q(division_id__in=divisions) | Q(division__groups__in=groups),
                    pupil=OuterRef("pk"),
                )
            )
        )
        | Q(
            Exists(
                ClassPartMembership.objects.on(day).filter(
                    Q(class_part_id__in=parts) | Q(class_part__groups__in=groups),
                    pupil=OuterRef("pk"),
                )
            )
        )
        | Q(
            Exists(
                GroupMembership.objects.on(day).filter(group_id__in=groups, pupil=OuterRef("pk"))
            )
        )
        | Q(pk__in=pupils)
    )
    return list(Person.objects.filter(member).values_list("pk", flat=True))


@dataclass
class DayLoad:
    """The homework due one day for a set of pupils: each homework once, with the
    number of those pupils who must do it, and the load of the most loaded pupil."""

    day: date
    items: list[tuple[Homework, int]]
    most_items: int
    most_minutes: int
    unestimated: int
    too_many: bool = False
    too_long: bool = False

    @property
    def warned(self) -> bool:
        return self.too_many or self.too_long


def workload(pupil_ids: Iterable[int], start: date, end: date, policy) -> dict[date, DayLoad]:
    """Day by day from `start` to `end`, the homework due for the pupils and the load of
    the most loaded one, flagged above the establishment's thresholds. Seven queries."""
    pupil_ids = list(dict.fromkeys(pupil_ids))
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    loads = {day: DayLoad(day, [], 0, 0, 0) for day in days}
    if not pupil_ids:
        return loads
    homework, mine, _ids = due_homework(pupil_ids, start, end)
    concerned: dict[int, int] = defaultdict(int)
    per_pupil_day: dict[tuple[int, date], list[Homework]] = defaultdict(list)
    for pupil, ids in mine.items():
        for pk in ids:
            concerned[pk] += 1
            per_pupil_day[(pupil, homework[pk].due_date)].append(homework[pk])
    for pk, item in homework.items():
        if concerned[pk]:
            loads[item.due_date].items.append((item, concerned[pk]))
    for (_pupil, day), items in per_pupil_day.items():
        load = loads[day]
        load.most_items = max(load.most_items, len(items))
        load.most_minutes = max(load.most_minutes, sum(i.estimated_minutes or 0 for i in items))
    for load in loads.values():
        load.items.sort(key=lambda pair: (subject_label(pair[0]).casefold(), pair[0].pk))
        load.unestimated = sum(1 for item, _n in load.items if item.estimated_minutes is None)
        load.too_many = load.most_items > policy.daily_items
        load.too_long = load.most_minutes > policy.daily_workload_minutes
    return loads


def division_pupils(division: Division, start: date, end: date) -> list[int]:
    """The pupils enrolled in the division at some time between the two days (one
    query)."""
    return list(
        Enrolment.objects.filter(division=division, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list("pupil_id", flat=True)
        .distinct()
    )


def workload_divisions(scope, day: date) -> list[Division]:
    """The divisions whose workload the staff member reads: every division of the
    school year for the direction; for a teacher, those of the pupils they teach."""
    year = Division.objects.filter(
        establishment_id=scope.establishment_id,
        school_year__start_date__lte=day,
        school_year__end_date__gte=day,
    )
    if not (scope.roles & DIRECTION_ROLES):
        year = year.filter(
            Exists(
                Enrolment.objects.on(day).filter(
                    division=OuterRef("pk"), pupil__in=visible_pupils(scope, day)
                )
            )
        )
    return sorted(year, key=lambda d: (LEVEL_ORDER.get(d.level, 99), d.name))


# -- The direction's review ------------------------------------------------------------------


@dataclass
class ServiceRow:
    service: TeachingService
    sessions: int = 0
    with_content: int = 0
    homework: int = 0
    visa: Visa | None = None

    @property
    def without_content(self) -> int:
        return self.sessions - self.with_content

    @property
    def teachers(self) -> str:
        return ", ".join(t.formal_name for t in self.service.teachers.all())


def _service_keys(subject_id, division_id, part_division_id, group_id) -> list[tuple]:
    keys = []
    if division_id:
        keys.append((subject_id, "d", division_id))
    if part_division_id:
        keys.append((subject_id, "d", part_division_id))
    if group_id:
        keys.append((subject_id, "g", group_id))
    return keys


def review_rows(
    establishment_id: int, year: SchoolYear, start: date, end: date, teacher_id: int | None = None
) -> list[ServiceRow]:
    """Each teaching service of the year (of one teacher when asked) with, between
    `start` and `end`, its sessions held, those with a content, the homework given, and
    its latest visa. Six queries."""
    services = TeachingService.objects.filter(school_year=year).select_related(
        "subject", "division", "group"
    )
    if teacher_id is not None:
        services = services.filter(teachers=teacher_id)
    rows = {
        service.pk: ServiceRow(service)
        for service in services.prefetch_related(
            Prefetch("teachers", queryset=Person.objects.order_by("last_name", "first_name"))
        )
    }
    by_key = {
        (
            row.service.subject_id,
            "d" if row.service.division_id else "g",
            row.service.division_id or row.service.group_id,
        ): row
        for row in rows.values()
    }
    held = Occurrence.objects.filter(
        establishment_id=establishment_id,
        date__gte=start,
        date__lte=end,
        withdrawn_in__isnull=True,
    ).exclude(status__in=NOT_HELD)
    content = set(
        SessionContent.objects.filter(occurrence__in=held.values("pk"))
        .exclude(body="")
        .values_list("occurrence_id", flat=True)
    )
    given = dict(
        Homework.objects.filter(occurrence__in=held.values("pk"), withdrawn_at__isnull=True)
        .values("occurrence_id")
        .annotate(n=Count("pk"))
        .values_list("occurrence_id", "n")
    )
    counted: set[tuple[int, int]] = set()
    for pk, subject, division, part_division, group in held.values_list(
        "pk",
        "subject_id",
        "audience__division_id",
        "audience__class_part__division_id",
        "audience__group_id",
    ):
        for key in _service_keys(subject, division, part_division, group):
            row = by_key.get(key)
            if row is None or (row.service.pk, pk) in counted:
                continue
            counted.add((row.service.pk, pk))
            row.sessions += 1
            row.with_content += pk in content
            row.homework += given.get(pk, 0)
    for visa in (
        Visa.objects.filter(service_id__in=list(rows))
        .select_related("person")
        .order_by("service_id", "-created_at", "-pk")
    ):
        if rows[visa.service_id].visa is None:
            rows[visa.service_id].visa = visa
    return sorted(
        rows.values(),
        key=lambda r: (
            [t.sort_name.casefold() for t in r.service.teachers.all()] or ["~"],
            r.service.subject.label,
            r.service.audience_name,
        ),
    )


def service_sessions(service: TeachingService, start: date, end: date):
    """The service's sessions between `start` and `end` with their content and
    homework (and the attachments of both), newest first."""
    ids = Occurrence.objects.filter(
        services_q([service]),
        establishment_id=service.establishment_id,
        date__gte=start,
        date__lte=end,
        withdrawn_in__isnull=True,
    ).values("pk")
    return (
        Occurrence.objects.filter(pk__in=ids)
        .select_related("subject", "session_content__author")
        .prefetch_related(
            "teachers",
            "session_content__attachments",
            Prefetch(
                "audience",
                queryset=OccurrenceAudience.objects.select_related(
                    "division", "group", "class_part", "class_part__division", "pupil"
                ),
            ),
            Prefetch(
                "homework",
                queryset=Homework.objects.filter(withdrawn_at__isnull=True)
                .prefetch_related("attachments")
                .order_by("due_date", "pk"),
            ),
        )
        .order_by("-start", "-pk")
    )


def service_visas(service: TeachingService) -> list[Visa]:
    return list(Visa.objects.filter(service=service).select_related("person"))
