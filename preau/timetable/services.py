"""Writes about timetables: importing a file as a new version, and the changes staff
make to occurrences (cancel, move, change the room, mark a teacher absent, add an
exceptional session). Every change keeps its trail; nothing is deleted.
"""

import hashlib
import secrets
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from preau.audit.services import audit_record
from preau.core.domain import academy_for_uai
from preau.core.models import Establishment, Guardianship, Person, Role, SchoolYear
from preau.core.permissions import require_administrator
from preau.core.selectors import school_year_containing
from preau.core.services import establishment_create, school_year_create
from preau.structure.models import Subject
from preau.timetable import attachments, engine
from preau.timetable.checks import import_checks
from preau.timetable.models import (
    CalendarToken,
    Course,
    ImportRun,
    Occurrence,
    OccurrenceAudience,
    OccurrenceRoom,
    OccurrenceStatus,
    OccurrenceTeacher,
    Room,
    TimetableVersion,
)
from preau.timetable.resolve import Resolved, Resolver, guess_kind
from preau.timetable.source import (
    CLASS_PART,
    DIVISION,
    GROUP,
    OTHER,
    PUPIL,
    ROOM,
    TEACHER,
    SourceTimetable,
)

BATCH = 2000
DETAILS = 50  # items of each list kept in a report


class TimetableImportError(ValueError):
    """An import refused as a whole; the message names the file element at fault."""


class _DryRun(Exception):
    def __init__(self, report):
        self.report = report


@dataclass
class ImportReport:
    format: str
    file_name: str
    uai: str
    dry_run: bool
    version: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)
    courses_without_resources: list[dict] = field(default_factory=list)
    outside_year: int = 0
    unknown_names: list[str] = field(default_factory=list)
    pupils_without_division: list[str] = field(default_factory=list)
    overlaps: dict[str, dict] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    diff: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PlannedRow:
    """An occurrence as the new version has it, before it is matched to the database."""

    uid: str
    course_key: str
    day: date
    start: datetime
    end: datetime
    subject_id: int | None
    cancelled: bool
    teachers: frozenset[int]
    rooms: frozenset[int]
    audience: frozenset[tuple[str, int]]


def _source_establishment(source: SourceTimetable, uai: str | None, actor) -> Establishment:
    """The establishment the file is for; created from its UAI when Préau does not know
    it yet (the académie follows from the département, the type from the divisions)."""
    return establishment_for_import(
        actor=actor,
        uai=uai or source.uai,
        name=source.establishment_name,
        division_names=[division.name for division in source.divisions],
    )


def establishment_for_import(
    *, actor, uai: str | None, name: str = "", division_names: list[str] | tuple = ()
) -> Establishment:
    """The establishment of UAI `uai`, created when Préau does not know it yet (the
    académie follows from the département, the type from the division names). Formats
    without dates (FET) need it before reading the file, for its calendar."""
    wanted = (uai or "").strip().upper()
    if not wanted:
        raise TimetableImportError("Aucun UAI : le fichier n'en donne pas, précisez --uai.")
    establishment = Establishment.objects.filter(uai=wanted).first()
    if establishment is not None:
        return establishment
    academy = academy_for_uai(wanted)
    if academy is None:
        raise TimetableImportError(
            f"UAI {wanted} : le département ne correspond à aucune académie ; créez "
            "l'établissement avant d'importer."
        )
    try:
        return establishment_create(
            actor=actor,
            uai=wanted,
            name=(name or f"Établissement {wanted}")[:200],
            kind=guess_kind(list(division_names)),
            academy=academy,
        )
    except ValidationError as error:
        raise TimetableImportError(
            f"UAI {wanted} : établissement impossible à créer ({'; '.join(error.messages)})."
        ) from error


def _school_year(
    establishment: Establishment,
    source: SourceTimetable,
    actor,
    start: date | None,
    end: date | None,
) -> SchoolYear:
    first, last = start or source.first_day, end or source.last_day
    day = first or timezone.localdate()
    year = school_year_containing(establishment, day)
    if year is not None:
        return year
    if first is None or last is None:
        raise TimetableImportError(
            f"Aucune année scolaire de {establishment} ne contient le {day:%d/%m/%Y}, et le "
            "fichier ne donne pas ses dates : créez l'année scolaire ou précisez --from et --to."
        )
    return school_year_create(
        actor=actor, establishment=establishment, start_date=first, end_date=last
    )


def _uid(fmt: str, course_key: str, day: date) -> str:
    return f"{fmt}:{course_key}:{day.isoformat()}"[:80]


def _plan(
    source: SourceTimetable,
    resolved: Resolved,
    establishment: Establishment,
    year: SchoolYear,
    report: ImportReport,
) -> tuple[list[PlannedRow], dict[str, dict]]:
    """Every occurrence of the new version, with its resources as database ids."""
    zone = ZoneInfo(establishment.timezone)
    group_divisions = {
        group.key: frozenset(group.division_keys)
        | frozenset(
            part.division_key
            for part in source.class_parts
            if part.key in set(group.class_part_keys)
        )
        for group in source.groups
    }
    first = source.first_day or year.start_date
    last = source.last_day or year.end_date
    unknown = set()
    rows: list[PlannedRow] = []
    courses: dict[str, dict] = {}
    held: dict[frozenset, tuple[frozenset, frozenset, frozenset]] = {}
    uids: set[str] = set()
    for course in source.courses:
        if not course.resources:
            report.courses_without_resources.append(course.provenance or {"key": course.key})
            continue
        plan = engine.plan_course(course, first_day=first, last_day=last)
        report.outside_year += plan.outside_year
        subject = resolved.subjects.get(course.subject_key) if course.subject_key else None
        if course.subject_key and subject is None:
            unknown.add(f"matière {course.subject_key}")
        courses[course.key] = {"course": course, "subject": subject}
        for planned in plan.occurrences:
            # A course holds the same resources most weeks: resolve each set once.
            if planned.present not in held:
                held[planned.present] = _held(planned.present, resolved, group_divisions, unknown)
            teachers, rooms, audience = held[planned.present]
            start = datetime.combine(planned.day, course.start, tzinfo=zone)
            end = datetime.combine(planned.day, course.end, tzinfo=zone)
            if end <= start:
                raise TimetableImportError(
                    f"Cours {course.provenance or course.key} : la fin ({course.end:%H:%M}) "
                    f"n'est pas après le début ({course.start:%H:%M})."
                )
            uid = _uid(source.format, course.occurrence_key or course.key, planned.day)
            copy = 1
            # Courses sharing their occurrence key on the same day: numbered in order.
            while course.occurrence_key and uid in uids:
                copy += 1
                uid = _uid(source.format, f"{course.occurrence_key}-{copy}", planned.day)
            uids.add(uid)
            rows.append(
                PlannedRow(
                    uid=uid,
                    course_key=course.key,
                    day=planned.day,
                    start=start,
                    end=end,
                    subject_id=subject.pk if subject else None,
                    cancelled=planned.cancelled,
                    teachers=teachers,
                    rooms=rooms,
                    audience=audience,
                )
            )
    report.unknown_names = sorted(unknown)[:DETAILS]
    report.counts["unknown_names"] = len(unknown)
    report.counts["courses_without_resources"] = len(report.courses_without_resources)
    report.courses_without_resources = report.courses_without_resources[:DETAILS]
    return rows, courses


def _held(
    present: frozenset, resolved: Resolved, group_divisions: dict, unknown: set
) -> tuple[frozenset, frozenset, frozenset]:
    """The teachers, the rooms and the audience (timetable.md §6) of an occurrence that
    holds the resources `present`, as database ids; names nobody knows go to `unknown`."""
    teachers, rooms, audience = set(), set(), set()
    for kind, key in present:
        if kind == OTHER:
            continue
        target = _lookup(resolved, kind, key)
        if target is None:
            unknown.add(f"{kind} {key}")
        elif kind == TEACHER:
            teachers.add(target.pk)
        elif kind == ROOM:
            rooms.add(target.pk)
    for kind, key in engine.effective_audience(present, group_divisions):
        target = _lookup(resolved, kind, key)
        if target is not None:
            audience.add((kind, target.pk))
    return frozenset(teachers), frozenset(rooms), frozenset(audience)


def _lookup(resolved: Resolved, kind: str, key: str):
    table = {
        TEACHER: resolved.teachers,
        ROOM: resolved.rooms,
        DIVISION: resolved.divisions,
        GROUP: resolved.groups,
        CLASS_PART: resolved.class_parts,
        PUPIL: resolved.pupils,
    }[kind]
    return table.get(key)


AUDIENCE_FIELD = {
    DIVISION: "division_id",
    GROUP: "group_id",
    CLASS_PART: "class_part_id",
    PUPIL: "pupil_id",
}


def _unit(division: int | None, group: int | None, part: int | None, pupil: int | None):
    """The one unit an audience row names, as (kind, id)."""
    for kind, value in ((DIVISION, division), (GROUP, group), (CLASS_PART, part), (PUPIL, pupil)):
        if value is not None:
            return kind, value
    raise AssertionError("an audience row names one unit")


@dataclass
class _Known:
    """An occurrence a source gave before, as the diff compares it."""

    pk: int
    start: datetime
    end: datetime
    subject_id: int | None
    status: str
    cancelled_in_source: bool
    withdrawn: bool
    teachers: set[int] = field(default_factory=set)
    rooms: set[int] = field(default_factory=set)
    audience: set[tuple[str, int]] = field(default_factory=set)


def _current(establishment: Establishment, year: SchoolYear) -> dict[str, _Known]:
    """Every occurrence the sources gave so far in the year, by uid, with its resources,
    withdrawn ones included (a course that comes back gets its row back): four queries
    of plain values whatever the size."""
    known: dict[str, _Known] = {}
    by_pk: dict[int, _Known] = {}
    for pk, uid, start, end, subject_id, status, cancelled, withdrawn_in in (
        Occurrence.objects.filter(
            establishment=establishment, school_year=year, course__isnull=False
        )
        .order_by()
        .values_list(
            "pk",
            "uid",
            "start",
            "end",
            "subject_id",
            "status",
            "cancelled_in_source",
            "withdrawn_in_id",
        )
    ):
        entry = _Known(pk, start, end, subject_id, status, cancelled, withdrawn_in is not None)
        known[uid] = by_pk[pk] = entry
    scope = {
        "occurrence__establishment": establishment,
        "occurrence__school_year": year,
        "occurrence__course__isnull": False,
    }
    for occurrence_id, person_id in OccurrenceTeacher.objects.filter(**scope).values_list(
        "occurrence_id", "person_id"
    ):
        by_pk[occurrence_id].teachers.add(person_id)
    for occurrence_id, room_id in OccurrenceRoom.objects.filter(**scope).values_list(
        "occurrence_id", "room_id"
    ):
        by_pk[occurrence_id].rooms.add(room_id)
    for occurrence_id, *unit in OccurrenceAudience.objects.filter(**scope).values_list(
        "occurrence_id", "division_id", "group_id", "class_part_id", "pupil_id"
    ):
        by_pk[occurrence_id].audience.add(_unit(*unit))
    return known


def _describe(row: PlannedRow) -> str:
    return f"{row.start:%d/%m/%Y %H:%M}–{row.end:%H:%M} ({row.course_key})"


def timetable_import(
    *,
    actor,
    source: SourceTimetable,
    file_name: str,
    content: bytes = b"",
    uai: str | None = None,
    dry_run: bool = False,
    start: date | None = None,
    end: date | None = None,
) -> ImportReport:
    """Apply a timetable read from a file as a new version of the establishment's
    school year, in one transaction: all of it or nothing. With `dry_run`, compute the
    same report and diff, then roll everything back."""
    try:
        with transaction.atomic():
            return _import(
                actor=actor,
                source=source,
                file_name=file_name,
                content=content,
                uai=uai,
                dry_run=dry_run,
                start=start,
                end=end,
            )
    except _DryRun as preview:
        return preview.report


# What an import sets on an occurrence it keeps but whose source changed.
UPDATED_FIELDS = [
    "course",
    "start",
    "end",
    "subject",
    "status",
    "cancelled_in_source",
    "withdrawn_in",
    "updated_at",
]
OCCURRENCE_COLUMNS = (
    "establishment_id",
    "school_year_id",
    "uid",
    "course_id",
    "first_version_id",
    "date",
    "start",
    "end",
    "subject_id",
    "label",
    "status",
    "note",
    "cancelled_in_source",
    "updated_at",
)


def _source_status(status: str, cancelled: bool) -> str:
    """The status after the source cancels a week or lifts its cancellation: the other
    changes staff made (teacher absent, room changed, moved, replaced) are kept."""
    if status in (OccurrenceStatus.SCHEDULED, OccurrenceStatus.CANCELLED):
        return OccurrenceStatus.CANCELLED if cancelled else OccurrenceStatus.SCHEDULED
    return status


def _import(*, actor, source, file_name, content, uai, dry_run, start, end) -> ImportReport:
    started = clock.monotonic()
    establishment = _source_establishment(source, uai, actor)
    require_administrator(actor, establishment)
    report = ImportReport(
        format=source.format, file_name=file_name, uai=establishment.uai, dry_run=dry_run
    )
    report.problems = [problem.__dict__ for problem in source.problems][:DETAILS]
    year = _school_year(establishment, source, actor, start, end)
    resolved = Resolver(
        source=source, establishment=establishment, school_year=year, today=timezone.localdate()
    ).resolve()
    report.created = dict(resolved.created)
    report.matched = dict(resolved.matched)
    rows, courses = _plan(source, resolved, establishment, year, report)
    existing = _current(establishment, year)

    previous = TimetableVersion.objects.filter(
        establishment=establishment, school_year=year, is_current=True
    ).first()
    number = (
        TimetableVersion.objects.filter(establishment=establishment, school_year=year).count() + 1
    )
    run = ImportRun.objects.create(
        establishment=establishment,
        format=source.format,
        file_name=file_name,
        file_sha256=hashlib.sha256(content).hexdigest() if content else "",
        status=ImportRun.Status.APPLIED,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    version = TimetableVersion.objects.create(
        establishment=establishment,
        school_year=year,
        number=number,
        import_run=run,
        metadata=source.metadata,
    )
    report.version = number
    course_rows = {
        key: Course(
            version=version,
            source_key=key[:64],
            weekday=entry["course"].weekday,
            start_time=entry["course"].start,
            end_time=entry["course"].end,
            subject=entry["subject"],
            provenance=entry["course"].provenance,
        )
        for key, entry in courses.items()
    }
    Course.objects.bulk_create(course_rows.values(), batch_size=BATCH)

    now = timezone.now()
    added, changed, unchanged, restored = [], [], 0, 0
    seen = set()
    to_create: list[PlannedRow] = []
    to_update: list[Occurrence] = []
    relinked: list[tuple[int, int]] = []  # (course, occurrence) of unchanged occurrences
    # (occurrence, row, keep the rooms staff chose) whose resources are written again
    replace_resources: list[tuple[int, PlannedRow, bool]] = []
    for row in rows:
        if row.uid in seen:
            raise TimetableImportError(
                f"Deux cours identiques produisent la même séance {_describe(row)}."
            )
        seen.add(row.uid)
        course = course_rows[row.course_key]
        known = existing.get(row.uid)
        if known is None:
            to_create.append(row)
            added.append(row)
            continue
        if known.withdrawn:
            # Back in the source: the same row again (with whatever was attached to it).
            differences = ["retour"]
            added.append(row)
            restored += 1
        else:
            differences = _differences(known, row)
            if not differences:
                unchanged += 1
                relinked.append((course.pk, known.pk))
                continue
            changed.append({"occurrence": _describe(row), "changes": differences})
        status = known.status
        if row.cancelled != known.cancelled_in_source:
            status = _source_status(status, row.cancelled)
        to_update.append(
            Occurrence(
                pk=known.pk,
                course_id=course.pk,
                start=row.start,
                end=row.end,
                subject_id=row.subject_id,
                status=status,
                cancelled_in_source=row.cancelled,
                withdrawn_in_id=None,
                updated_at=now,
            )
        )
        if known.withdrawn or {"teachers", "rooms", "audience"} & set(differences):
            keep_rooms = known.status == OccurrenceStatus.ROOM_CHANGED
            replace_resources.append((known.pk, row, keep_rooms))
    withdrawn = sorted(
        (
            (uid, entry)
            for uid, entry in existing.items()
            if uid not in seen and not entry.withdrawn
        ),
        key=lambda item: (item[1].start, item[0]),
    )

    adapted: dict = {}  # parallel courses share their times: adapt each value once

    def db(value, adapt):
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    ops = connection.ops
    updated_at = ops.adapt_datetimefield_value(now)
    insert_rows(
        Occurrence,
        OCCURRENCE_COLUMNS,
        [
            (
                establishment.pk,
                year.pk,
                row.uid,
                course_rows[row.course_key].pk,
                version.pk,
                db(row.day, ops.adapt_datefield_value),
                db(row.start, ops.adapt_datetimefield_value),
                db(row.end, ops.adapt_datetimefield_value),
                row.subject_id,
                "",
                (OccurrenceStatus.CANCELLED if row.cancelled else OccurrenceStatus.SCHEDULED).value,
                "",
                row.cancelled,
                updated_at,
            )
            for row in to_create
        ],
    )
    created_ids = dict(
        Occurrence.objects.filter(establishment=establishment, first_version=version)
        .order_by()
        .values_list("uid", "pk")
    )
    Occurrence.objects.bulk_update(to_update, UPDATED_FIELDS, batch_size=BATCH)
    update_rows(Occurrence, "course_id", relinked)
    update_rows(Occurrence, "withdrawn_in_id", [(version.pk, entry.pk) for _, entry in withdrawn])
    for chunk in range(0, len(replace_resources), BATCH):
        part = replace_resources[chunk : chunk + BATCH]
        ids = [pk for pk, _, _ in part]
        OccurrenceTeacher.objects.filter(occurrence_id__in=ids).delete()
        OccurrenceRoom.objects.filter(
            occurrence_id__in=[pk for pk, _, keep_rooms in part if not keep_rooms]
        ).delete()
        OccurrenceAudience.objects.filter(occurrence_id__in=ids).delete()
    _write_resources([(created_ids[row.uid], row, False) for row in to_create] + replace_resources)

    report.counts.update(
        {
            "courses": len(source.courses),
            "occurrences": len(rows),
            "cancelled_in_source": sum(row.cancelled for row in rows),
            "teachers": len(source.teachers),
            "rooms": len(source.rooms),
            "divisions": len(source.divisions),
            "groups": len(source.groups),
            "pupils": len(source.pupils),
        }
    )
    report.diff = {
        "previous_version": previous.number if previous else None,
        "added": len(added),
        "changed": len(changed),
        "unchanged": unchanged,
        "withdrawn": len(withdrawn),
        "restored": restored,
        "added_examples": [_describe(row) for row in added[:DETAILS]],
        "changed_examples": changed[:DETAILS],
        "withdrawn_examples": [
            f"{timezone.localtime(entry.start):%d/%m/%Y %H:%M} ({uid})"
            for uid, entry in withdrawn[:DETAILS]
        ],
    }
    # Roll calls, absences or homework on occurrences the file withdraws stay attached to
    # them (nothing is deleted); the report flags them for staff to review.
    attached = attachments.attached_to([entry.pk for _, entry in withdrawn])
    if attached:
        flagged = set().union(*attached.values())
        report.diff["withdrawn_with_attachments"] = {
            label: len(ids) for label, ids in sorted(attached.items())
        }
        report.diff["withdrawn_attached_examples"] = [
            f"{timezone.localtime(entry.start):%d/%m/%Y %H:%M} ({uid})"
            for uid, entry in withdrawn
            if entry.pk in flagged
        ][:DETAILS]
    import_checks(report=report, source=source, rows=rows, resolved=resolved, year=year)
    report.seconds = round(clock.monotonic() - started, 2)
    if dry_run:
        raise _DryRun(report)
    run.report = report.as_dict()
    run.seconds = report.seconds
    run.save(update_fields=["report", "seconds"])
    audit_record(
        actor=actor,
        action="timetable.import",
        target=version,
        establishment=establishment,
        after={"file": file_name, "format": source.format, **report.diff, "examples": None},
    )
    return report


def _differences(known: _Known, row: PlannedRow) -> list[str]:
    """What the source changed in an occurrence. The rooms of an occurrence whose room
    staff changed are theirs: the source's rooms are not compared."""
    found = []
    if known.start != row.start or known.end != row.end:
        found.append("horaire")
    if known.subject_id != row.subject_id:
        found.append("matière")
    if known.teachers != row.teachers:
        found.append("teachers")
    if known.status != OccurrenceStatus.ROOM_CHANGED and known.rooms != row.rooms:
        found.append("rooms")
    if known.audience != row.audience:
        found.append("audience")
    if known.cancelled_in_source != row.cancelled:
        found.append("annulation")
    return found


def _write_resources(rows: list[tuple[int, PlannedRow, bool]]) -> None:
    """The teachers, rooms and audience of each occurrence (id, planned row, whether
    its rooms are kept): tens of thousands of rows for a whole year, inserted by plain
    executemany rather than model instances."""
    insert_rows(
        OccurrenceTeacher,
        ("occurrence_id", "person_id"),
        [(pk, p) for pk, row, _ in rows for p in row.teachers],
    )
    insert_rows(
        OccurrenceRoom,
        ("occurrence_id", "room_id"),
        [(pk, r) for pk, row, keep_rooms in rows if not keep_rooms for r in row.rooms],
    )
    for kind, column in AUDIENCE_FIELD.items():
        insert_rows(
            OccurrenceAudience,
            ("occurrence_id", column),
            [(pk, unit) for pk, row, _ in rows for k, unit in row.audience if k == kind],
        )


def _rows_per_statement(columns: int) -> int:
    """Rows in one multi-row statement: within the backend's limit of parameters, and
    at most a thousand."""
    limit = connection.features.max_query_params or 65535
    return max(1, min(1000, limit // columns))


def update_rows(model, column: str, rows: list[tuple]) -> None:
    """Set `column` to a value per row id: (value, id) pairs. PostgreSQL takes them a
    thousand at a time (UPDATE … FROM VALUES): one round trip per row would cost seconds;
    SQLite, in process, runs them by plain executemany."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    name = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET {name} = %s WHERE id = %s",  # noqa: S608 - names are ours
                rows,
            )
            return
        size = _rows_per_statement(2)
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            values = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                f"UPDATE {table} SET {name} = v.value FROM (VALUES {values}) "  # noqa: S608
                f"AS v(value, id) WHERE {table}.id = v.id",
                [value for pair in part for value in pair],
            )


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain rows (values already as the database takes them), many rows per
    statement."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    size = _rows_per_statement(len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([marks] * len(part))}",  # noqa: S608
                [value for row in part for value in row],
            )


# -- Changes made by staff during the year -----------------------------------------------

EDITOR_ROLES = frozenset({"direction", "secretariat", "cpe"})


def require_timetable_editor(actor, establishment: Establishment) -> None:
    """The direction, the secretariat and the CPE change occurrences; the trail keeps
    who did what."""
    if actor is None or actor.is_superuser:
        return
    if (
        not Role.objects.current(timezone.localdate())
        .filter(person_id=actor.person_id, establishment=establishment, kind__in=EDITOR_ROLES)
        .exists()
    ):
        raise PermissionDenied(
            "Seules la direction, le secrétariat et la vie scolaire modifient l'emploi du temps."
        )


def _snapshot(occurrence: Occurrence) -> dict:
    return {
        "status": occurrence.status,
        "start": occurrence.start.isoformat(),
        "end": occurrence.end.isoformat(),
        "note": occurrence.note,
        "rooms": sorted(r.name for r in occurrence.rooms.all()),
        "teachers": sorted(t.pk for t in occurrence.teachers.all()),
    }


def _record(actor, action: str, occurrence: Occurrence, before: dict) -> None:
    audit_record(
        actor=actor,
        action=f"occurrence.{action}",
        target=occurrence,
        establishment=occurrence.establishment,
        before=before,
        after=_snapshot(occurrence),
    )


@transaction.atomic
def occurrence_set_status(
    *, actor, occurrence: Occurrence, status: str, note: str = ""
) -> Occurrence:
    """Cancel an occurrence, mark its teacher absent, or put it back as planned."""
    require_timetable_editor(actor, occurrence.establishment)
    if status not in (
        OccurrenceStatus.CANCELLED,
        OccurrenceStatus.TEACHER_ABSENT,
        OccurrenceStatus.SCHEDULED,
    ):
        raise ValidationError(f"État « {status} » : utilisez le déplacement ou le remplacement.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    occurrence.status, occurrence.note = status, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, status, occurrence, before)
    return occurrence


@transaction.atomic
def occurrence_change_room(
    *, actor, occurrence: Occurrence, rooms: list[Room], note: str = ""
) -> Occurrence:
    """Hold the occurrence in other rooms: a room change, not a cancellation."""
    require_timetable_editor(actor, occurrence.establishment)
    if any(room.establishment_id != occurrence.establishment_id for room in rooms):
        raise ValidationError("Une salle d'un autre établissement ne peut pas être choisie.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    OccurrenceRoom.objects.filter(occurrence=occurrence).delete()
    OccurrenceRoom.objects.bulk_create(OccurrenceRoom(occurrence=occurrence, room=r) for r in rooms)
    occurrence.status, occurrence.note = OccurrenceStatus.ROOM_CHANGED, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, "room_changed", occurrence, before)
    return occurrence


def _copy(occurrence: Occurrence, *, start: datetime, end: datetime, uid: str) -> Occurrence:
    copy = Occurrence.objects.create(
        establishment=occurrence.establishment,
        school_year=occurrence.school_year,
        uid=uid,
        date=timezone.localtime(start, ZoneInfo(occurrence.establishment.timezone)).date(),
        start=start,
        end=end,
        subject=occurrence.subject,
        label=occurrence.label,
        status=OccurrenceStatus.EXCEPTIONAL,
        origin=occurrence,
    )
    OccurrenceRoom.objects.bulk_create(
        OccurrenceRoom(occurrence=copy, room_id=r.pk) for r in occurrence.rooms.all()
    )
    OccurrenceAudience.objects.bulk_create(
        OccurrenceAudience(
            occurrence=copy,
            division_id=a.division_id,
            group_id=a.group_id,
            class_part_id=a.class_part_id,
            pupil_id=a.pupil_id,
        )
        for a in occurrence.audience.all()
    )
    return copy


@transaction.atomic
def occurrence_move(
    *,
    actor,
    occurrence: Occurrence,
    start: datetime,
    end: datetime,
    rooms: list[Room] | None = None,
    note: str = "",
) -> Occurrence:
    """Move an occurrence to another time: the original stays, marked moved, and links to
    the new session, which families see at once."""
    require_timetable_editor(actor, occurrence.establishment)
    if end <= start:
        raise ValidationError("La fin doit être après le début.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    moved = _copy(occurrence, start=start, end=end, uid=f"{occurrence.uid}>{start:%Y%m%d%H%M}"[:80])
    moved.teachers.set(occurrence.teachers.all())
    if rooms is not None:
        moved.rooms.set(rooms)
    moved.note = note
    moved.save(update_fields=["note"])
    occurrence.status, occurrence.note = OccurrenceStatus.MOVED, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, "moved", occurrence, before)
    _record(actor, "created", moved, {})
    return moved


@transaction.atomic
def occurrence_replace(
    *, actor, occurrence: Occurrence, teachers: list[Person], note: str = ""
) -> Occurrence:
    """Another teacher takes the session: the original is marked replaced and links to
    the replacing session, at the same time and place."""
    require_timetable_editor(actor, occurrence.establishment)
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    before = _snapshot(occurrence)
    replacing = _copy(
        occurrence,
        start=occurrence.start,
        end=occurrence.end,
        uid=f"{occurrence.uid}>remplacement"[:80],
    )
    replacing.teachers.set(teachers)
    replacing.note = note
    replacing.save(update_fields=["note"])
    occurrence.status, occurrence.note = OccurrenceStatus.REPLACED, note
    occurrence.save(update_fields=["status", "note", "updated_at"])
    _record(actor, "replaced", occurrence, before)
    _record(actor, "created", replacing, {})
    return replacing


@transaction.atomic
def occurrence_add(
    *,
    actor,
    establishment: Establishment,
    start: datetime,
    end: datetime,
    subject: Subject | None = None,
    label: str = "",
    teachers=(),
    rooms=(),
    divisions=(),
    groups=(),
    note: str = "",
) -> Occurrence:
    """An exceptional session (an extra lesson, a test, an outing)."""
    require_timetable_editor(actor, establishment)
    if end <= start:
        raise ValidationError("La fin doit être après le début.")
    day = timezone.localtime(start, ZoneInfo(establishment.timezone)).date()
    year = school_year_containing(establishment, day)
    if year is None:
        raise ValidationError(f"Le {day:%d/%m/%Y} n'est dans aucune année scolaire.")
    occurrence = Occurrence.objects.create(
        establishment=establishment,
        school_year=year,
        uid=f"manual:{secrets.token_hex(12)}",
        date=day,
        start=start,
        end=end,
        subject=subject,
        label=label,
        status=OccurrenceStatus.EXCEPTIONAL,
        note=note,
    )
    occurrence.teachers.set(teachers)
    occurrence.rooms.set(rooms)
    OccurrenceAudience.objects.bulk_create(
        [OccurrenceAudience(occurrence=occurrence, division=d) for d in divisions]
        + [OccurrenceAudience(occurrence=occurrence, group=g) for g in groups]
    )
    _record(actor, "created", occurrence, {})
    return occurrence


# -- Private calendar subscriptions ---------------------------------------------------


def _require_calendar_owner(actor, subject_person: Person) -> None:
    """A person subscribes to their own timetable, or to a child's they are responsible
    for (any level: the timetable is shown to contacts too)."""
    if actor is None or actor.person_id is None:
        raise PermissionDenied("Un abonnement d'agenda appartient à une personne.")
    if actor.person_id == subject_person.pk:
        return
    if not Guardianship.objects.filter(guardian_id=actor.person_id, pupil=subject_person).exists():
        raise PermissionDenied("Cet emploi du temps n'est ni le vôtre ni celui de votre enfant.")


@transaction.atomic
def calendar_token_create(*, actor, subject_person: Person) -> CalendarToken:
    """A new private address for a phone's calendar; the person's previous addresses for
    the same timetable stop working, so that one link is live at a time."""
    _require_calendar_owner(actor, subject_person)
    now = timezone.now()
    CalendarToken.objects.filter(
        person_id=actor.person_id, subject_person=subject_person, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = CalendarToken.objects.create(
        person_id=actor.person_id,
        subject_person=subject_person,
        token=secrets.token_urlsafe(32),
    )
    audit_record(
        actor=actor,
        action="calendar_token.create",
        target=token,
        after={"subject_person": subject_person.pk},
    )
    return token


@transaction.atomic
def calendar_token_revoke(*, actor, token: CalendarToken) -> CalendarToken:
    """The address stops working at once; only the person who created it revokes it."""
    if actor is None or token.person_id != actor.person_id:
        raise PermissionDenied("Seule la personne qui a créé cet abonnement peut le révoquer.")
    token = CalendarToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="calendar_token.revoke",
            target=token,
            after={"subject_person": token.subject_person_id},
        )
    return token
