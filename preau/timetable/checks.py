"""The checks an import report makes (timetable.md, "Checks an import report makes"):
a pupil, a teacher or a room in two occurrences at once, pupils without division. The
other checks (courses without resources, unknown names, weeks outside the school year)
are counted while the occurrences are planned."""

from collections import defaultdict
from typing import TYPE_CHECKING

from preau.core.models import SchoolYear
from preau.structure.models import ClassPartMembership, Enrolment, Group, GroupMembership
from preau.timetable import engine
from preau.timetable.source import CLASS_PART, DIVISION, GROUP, PUPIL, SourceTimetable

if TYPE_CHECKING:
    from preau.timetable.resolve import Resolved
    from preau.timetable.services import ImportReport, PlannedRow

DETAILS = 50


def _interval(start, end, year: SchoolYear) -> engine.Interval:
    return engine.Interval(start or year.start_date, end or year.end_date)


def members_by_unit(year: SchoolYear) -> dict[tuple[str, int], list[tuple[int, engine.Interval]]]:
    """For every division, class part and group of the year, its pupils with the dates
    of their membership (a group through its class parts, its whole divisions and its
    direct members). Four queries."""
    units: dict[tuple[str, int], list[tuple[int, engine.Interval]]] = defaultdict(list)
    for pupil, division, start, end in Enrolment.objects.filter(
        division__school_year=year
    ).values_list("pupil_id", "division_id", "start_date", "end_date"):
        units[(DIVISION, division)].append((pupil, _interval(start, end, year)))
    for pupil, part, start, end in ClassPartMembership.objects.filter(
        class_part__division__school_year=year
    ).values_list("pupil_id", "class_part_id", "start_date", "end_date"):
        units[(CLASS_PART, part)].append((pupil, _interval(start, end, year)))
    for pupil, group, start, end in GroupMembership.objects.filter(
        group__school_year=year
    ).values_list("pupil_id", "group_id", "start_date", "end_date"):
        units[(GROUP, group)].append((pupil, _interval(start, end, year)))
    for group in Group.objects.filter(school_year=year).prefetch_related(
        "class_parts", "divisions"
    ):
        for part in group.class_parts.all():
            units[(GROUP, group.pk)] += units.get((CLASS_PART, part.pk), [])
        for division in group.divisions.all():
            units[(GROUP, group.pk)] += units.get((DIVISION, division.pk), [])
    return units


def import_checks(
    *,
    report: "ImportReport",
    source: SourceTimetable,
    rows: list["PlannedRow"],
    resolved: "Resolved",
    year: SchoolYear,
) -> None:
    """Pupils, teachers and rooms in two occurrences at once (cancelled ones aside),
    pupils without division. Occurrences that overlap in time are paired first, then
    the holders each pair shares are counted: one overlap per holder and pair."""
    names = {
        **{("teacher", p.pk): p.sort_name for p in resolved.teachers.values()},
        **{("room", r.pk): r.name for r in resolved.rooms.values()},
        **{("pupil", p.pk): p.sort_name for p in resolved.pupils.values()},
    }
    # Most memberships last the whole year: those pupils are the unit's every day.
    days = [row.day for row in rows]
    whole = (
        engine.Interval(min(days), max(days))
        if days
        else engine.Interval(year.start_date, year.end_date)
    )
    always: dict[tuple[str, int], frozenset[int]] = {}
    dated: dict[tuple[str, int], list[tuple[int, engine.Interval]]] = {}
    for unit, entries in members_by_unit(year).items():
        always[unit] = frozenset(
            pupil
            for pupil, interval in entries
            if interval.start <= whole.start and interval.end >= whole.end
        )
        dated[unit] = [
            (pupil, interval)
            for pupil, interval in entries
            if not (interval.start <= whole.start and interval.end >= whole.end)
        ]
    pupils_on: dict[tuple[str, int, object], frozenset[int]] = {}

    def audience_pupils(kind: str, pk: int, day) -> frozenset[int]:
        unit = (kind, pk)
        if not dated.get(unit):
            return always.get(unit, frozenset())
        key = (kind, pk, day)
        if key not in pupils_on:
            pupils_on[key] = always[unit] | frozenset(
                pupil for pupil, interval in dated[unit] if interval.contains(day)
            )
        return pupils_on[key]

    pupils_of: dict[str, frozenset[int]] = {}

    def pupils(row: "PlannedRow") -> frozenset[int]:
        if row.uid not in pupils_of:
            found: set[int] = set()
            for kind, pk in row.audience:
                if kind == PUPIL:
                    found.add(pk)
                else:
                    found |= audience_pupils(kind, pk, row.day)
            pupils_of[row.uid] = frozenset(found)
        return pupils_of[row.uid]

    counts = {"teachers": 0, "rooms": 0, "pupils": 0}
    examples: dict[str, list[dict]] = {"teachers": [], "rooms": [], "pupils": []}
    pairs = engine.overlapping((row.start, row.end, row) for row in rows if not row.cancelled)
    for first, second in pairs:
        for kind, holder, shared in (
            ("teachers", "teacher", first.teachers & second.teachers),
            ("rooms", "room", first.rooms & second.rooms),
            ("pupils", "pupil", pupils(first) & pupils(second)),
        ):
            if not shared:
                continue
            counts[kind] += len(shared)
            for pk in sorted(shared):
                if len(examples[kind]) < DETAILS:
                    examples[kind].append(
                        {
                            "who": names.get((holder, pk), f"{holder}:{pk}"),
                            "start": first.start.isoformat(),
                            "occurrences": [first.uid, second.uid],
                        }
                    )
    report.overlaps = {kind: {"count": counts[kind], "examples": examples[kind]} for kind in counts}
    without = [
        pupil.person
        for pupil in source.pupils
        if not any(membership.kind == DIVISION for membership in pupil.memberships)
    ]
    report.counts["pupils_without_division"] = len(without)
    report.pupils_without_division = [f"{p.last_name} {p.first_name}".strip() for p in without][
        :DETAILS
    ]
