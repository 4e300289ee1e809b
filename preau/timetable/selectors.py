"""Reads of timetables: exactly the occurrences each pupil, teacher, room and division
has (timetable.md, "Views that must be exact"), in a fixed number of queries.

A pupil's occurrences are those whose audience holds, on the occurrence's date, a unit
the pupil belongs to on that date: their division, one of their class parts, a group
they are in (through a class part, their whole division, or directly), or the pupil.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from preau.structure.models import (
    ClassPartMembership,
    Division,
    Enrolment,
    Group,
    GroupMembership,
)
from preau.timetable.engine import Interval, intersect, merge_intervals
from preau.timetable.models import Occurrence, OccurrenceAudience
from preau.timetable.source import CLASS_PART, DIVISION, GROUP, PUPIL

AUDIENCE_COLUMN = {
    DIVISION: "division_id",
    GROUP: "group_id",
    CLASS_PART: "class_part_id",
    PUPIL: "pupil_id",
}
Units = dict[tuple[str, int], list[Interval]]


def _bounded(start_date, end_date, year_start, year_end, start: date, end: date):
    return intersect(
        Interval(max(start_date, year_start), min(end_date or year_end, year_end)),
        Interval(start, end),
    )


def pupil_units(
    pupil_ids: Iterable[int], start: date, end: date, within_division: int | None = None
) -> Units:
    """The units the pupils belong to between `start` and `end`, with the dates.
    With `within_division`, each pupil's units only while the pupil is in that division
    (a division's timetable shows what concerns its pupils as its pupils). Five
    queries, whatever the number of pupils."""
    pupil_ids = list(pupil_ids)
    per_pupil, in_division = _memberships(pupil_ids, start, end, within_division)
    units: Units = defaultdict(list)
    for pupil in pupil_ids:
        for unit, spans in _own_units(per_pupil, in_division, pupil, start, end, within_division):
            units[unit] += spans
    return {unit: merge_intervals(spans) for unit, spans in units.items() if spans}


def units_of_each_pupil(pupil_ids: Iterable[int], start: date, end: date) -> dict[int, Units]:
    """`pupil_units` pupil by pupil (the same five queries): each pupil's own units."""
    pupil_ids = list(pupil_ids)
    per_pupil, in_division = _memberships(pupil_ids, start, end, None)
    return {
        pupil: {
            unit: merge_intervals(spans)
            for unit, spans in _own_units(per_pupil, in_division, pupil, start, end, None)
            if spans
        }
        for pupil in pupil_ids
    }


def _memberships(pupil_ids: list[int], start: date, end: date, within_division: int | None):
    per_pupil: dict[int, Units] = defaultdict(lambda: defaultdict(list))
    in_division: dict[int, list[Interval]] = defaultdict(list)
    division_spans: list[tuple[int, int, Interval]] = []
    for pupil, division, s, e, ys, ye in (
        Enrolment.objects.filter(pupil_id__in=pupil_ids, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list(
            "pupil_id",
            "division_id",
            "start_date",
            "end_date",
            "division__school_year__start_date",
            "division__school_year__end_date",
        )
    ):
        span = _bounded(s, e, ys, ye, start, end)
        if span is None:
            continue
        if division == within_division:
            in_division[pupil].append(span)
        per_pupil[pupil][(DIVISION, division)].append(span)
        division_spans.append((pupil, division, span))
    part_spans: list[tuple[int, int, Interval]] = []
    for pupil, part, s, e, ys, ye in (
        ClassPartMembership.objects.filter(pupil_id__in=pupil_ids, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list(
            "pupil_id",
            "class_part_id",
            "start_date",
            "end_date",
            "class_part__division__school_year__start_date",
            "class_part__division__school_year__end_date",
        )
    ):
        span = _bounded(s, e, ys, ye, start, end)
        if span is not None:
            per_pupil[pupil][(CLASS_PART, part)].append(span)
            part_spans.append((pupil, part, span))
    for pupil, group, s, e, ys, ye in (
        GroupMembership.objects.filter(pupil_id__in=pupil_ids, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list(
            "pupil_id",
            "group_id",
            "start_date",
            "end_date",
            "group__school_year__start_date",
            "group__school_year__end_date",
        )
    ):
        span = _bounded(s, e, ys, ye, start, end)
        if span is not None:
            per_pupil[pupil][(GROUP, group)].append(span)
    # The groups of the pupils' divisions and class parts, through subqueries rather
    # than the ids found above: the queries run whatever the pupils belong to, so that
    # a view costs the same for every pupil.
    groups_of_division = defaultdict(list)
    for group, division in Group.divisions.through.objects.filter(
        division_id__in=Enrolment.objects.filter(pupil_id__in=pupil_ids).values("division_id")
    ).values_list("group_id", "division_id"):
        groups_of_division[division].append(group)
    groups_of_part = defaultdict(list)
    for group, part in Group.class_parts.through.objects.filter(
        classpart_id__in=ClassPartMembership.objects.filter(pupil_id__in=pupil_ids).values(
            "class_part_id"
        )
    ).values_list("group_id", "classpart_id"):
        groups_of_part[part].append(group)
    for pupil, division, span in division_spans:
        for group in groups_of_division[division]:
            per_pupil[pupil][(GROUP, group)].append(span)
    for pupil, part, span in part_spans:
        for group in groups_of_part[part]:
            per_pupil[pupil][(GROUP, group)].append(span)
    return per_pupil, in_division


def _own_units(per_pupil, in_division, pupil, start, end, within_division):
    own = per_pupil[pupil]
    own[(PUPIL, pupil)].append(Interval(start, end))
    bound = merge_intervals(in_division[pupil]) if within_division is not None else None
    for unit, spans in own.items():
        if bound is None:
            yield unit, list(spans)
        else:
            yield unit, [piece for span in spans for b in bound if (piece := intersect(span, b))]


def _units_filter(units: Units) -> Q:
    condition = Q(pk__in=[])
    for (kind, pk), spans in units.items():
        for span in spans:
            condition |= Q(
                **{f"audience__{AUDIENCE_COLUMN[kind]}": pk},
                date__gte=span.start,
                date__lte=span.end,
            )
    return condition


def _displayed(occurrences: QuerySet[Occurrence]) -> QuerySet[Occurrence]:
    """What every view shows of an occurrence, in four more queries."""
    return (
        occurrences.filter(withdrawn_in__isnull=True)
        .select_related("subject", "course", "origin", "origin__subject")
        .prefetch_related(
            "teachers",
            "rooms",
            Prefetch(
                "audience",
                queryset=OccurrenceAudience.objects.select_related(
                    "division", "group", "class_part", "class_part__division", "pupil"
                ),
            ),
        )
        .order_by("start", "id")
    )


def occurrences_for_units(
    units: Units, start: date, end: date, establishment_id: int | None = None
) -> QuerySet[Occurrence]:
    ids = Occurrence.objects.filter(_units_filter(units), date__gte=start, date__lte=end)
    if establishment_id is not None:
        ids = ids.filter(establishment_id=establishment_id)
    return _displayed(Occurrence.objects.filter(pk__in=ids.values("pk")))


def pupil_occurrences(pupil_id: int, start: date, end: date) -> QuerySet[Occurrence]:
    """Exactly the occurrences whose audience holds the pupil (timetable.md)."""
    return occurrences_for_units(pupil_units([pupil_id], start, end), start, end)


def teacher_occurrences(
    person_id: int, start: date, end: date, establishment_id: int | None = None
) -> QuerySet[Occurrence]:
    """Exactly the occurrences where the teacher is present that week."""
    occurrences = Occurrence.objects.filter(teachers=person_id, date__gte=start, date__lte=end)
    if establishment_id is not None:
        occurrences = occurrences.filter(establishment_id=establishment_id)
    return _displayed(Occurrence.objects.filter(pk__in=occurrences.values("pk")))


def room_occurrences(room_id: int, start: date, end: date) -> QuerySet[Occurrence]:
    return _displayed(
        Occurrence.objects.filter(
            pk__in=Occurrence.objects.filter(rooms=room_id, date__gte=start, date__lte=end).values(
                "pk"
            )
        )
    )


def division_occurrences(division: Division, start: date, end: date) -> QuerySet[Occurrence]:
    """The occurrences whose audience holds at least one pupil of the division (on the
    day, as a pupil of the division), and those given to the whole division."""
    pupils = (
        Enrolment.objects.filter(division=division, start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .values_list("pupil_id", flat=True)
    )
    units = pupil_units(set(pupils), start, end, within_division=division.pk)
    # Sessions given to the whole division are its own even on a day it has no pupil.
    units[(DIVISION, division.pk)] = [Interval(start, end)]
    return occurrences_for_units(units, start, end, establishment_id=division.establishment_id)


def audience_label(occurrence: Occurrence, division: Division | None = None) -> str:
    """Who the occurrence is for, in words; in a division's view, empty when it is the
    whole division, else the group or part names (timetable.md)."""
    names = []
    for unit in occurrence.audience.all():
        if division is not None and unit.division_id == division.pk:
            continue
        if unit.class_part_id:
            names.append(f"{unit.class_part.division.name} {unit.class_part.name}")
        else:
            names.append(str(unit.division or unit.group or unit.pupil))
    return ", ".join(sorted(names))


def students_set_occurrences(establishment, name: str, start: date, end: date):
    """FET: the occurrences of the activities whose students include the students set
    `name` (a year, group or subgroup), directly or through the nesting. The FET reader
    keeps, in the version's metadata, each set's subgroups (`students_sets`, keyed by
    folded name) and, in each course's provenance, the subgroups its activity reaches
    (`subgroups`)."""
    from preau.timetable.models import Course, TimetableVersion
    from preau.timetable.resolve import fold

    versions = TimetableVersion.objects.filter(establishment=establishment, is_current=True)
    course_ids = []
    for version in versions:
        sets = version.metadata.get("students_sets", {})
        wanted = set(sets.get(fold(name), []))
        if not wanted:
            continue
        # values_list, not `version.courses.only(…)`: the related manager reads each
        # course's deferred version_id, one query per course.
        course_ids += [
            pk
            for pk, subgroups in Course.objects.filter(version=version).values_list(
                "pk", "provenance__subgroups"
            )
            if subgroups and wanted.intersection(subgroups)
        ]
    return _displayed(
        Occurrence.objects.filter(course_id__in=course_ids, date__gte=start, date__lte=end)
    )


def with_successors(occurrences: QuerySet[Occurrence]) -> QuerySet[Occurrence]:
    """The occurrences with the sessions that moved or replaced them (`successors`),
    so that a moved session can say where it went: one more query."""
    return occurrences.prefetch_related(
        Prefetch(
            "successors",
            queryset=Occurrence.objects.only("id", "origin_id", "date", "start", "end", "status"),
        )
    )


def occurrence_page(occurrence_id: int) -> Occurrence | None:
    """One occurrence with everything its page shows, withdrawn or not: resources and
    audience, the sessions it came from or went to, and its provenance (source course,
    version, import run). Six queries at most."""
    return (
        Occurrence.objects.filter(pk=occurrence_id)
        .select_related(
            "establishment",
            "subject",
            "origin",
            "origin__subject",
            "first_version",
            "withdrawn_in",
            "course__version__import_run__actor__person",
        )
        .prefetch_related(
            "teachers",
            "rooms",
            Prefetch(
                "audience",
                queryset=OccurrenceAudience.objects.select_related(
                    "division", "group", "class_part", "class_part__division", "pupil"
                ),
            ),
            Prefetch(
                "successors",
                queryset=Occurrence.objects.select_related("subject").prefetch_related("teachers"),
            ),
        )
        .first()
    )


def occurrence_concerns(occurrence: Occurrence, pupil_ids: Iterable[int]) -> bool:
    """Whether, on its date, the occurrence's audience holds one of the pupils (the
    audience must be prefetched or is read in one more query)."""
    units = pupil_units(pupil_ids, occurrence.date, occurrence.date)
    for unit in occurrence.audience.all():
        for kind, column in AUDIENCE_COLUMN.items():
            value = getattr(unit, column)
            if value is not None and units.get((kind, value)):
                return True
    return False
