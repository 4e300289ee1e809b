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


def _holder_name(holder: str, names: dict[tuple[str, int], str]) -> str:
    kind, _, pk = holder.partition(":")
    return names.get((kind, int(pk)), holder)


def import_checks(
    *,
    report: "ImportReport",
    source: SourceTimetable,
    rows: list["PlannedRow"],
    resolved: "Resolved",
    year: SchoolYear,
) -> None:
    names = {
        **{("teacher", p.pk): p.sort_name for p in resolved.teachers.values()},
        **{("room", r.pk): r.name for r in resolved.rooms.values()},
        **{("pupil", p.pk): p.sort_name for p in resolved.pupils.values()},
    }
    members = members_by_unit(year)
    pupils_on: dict[tuple[str, int, object], frozenset[int]] = {}

    def audience_pupils(kind: str, pk: int, day) -> frozenset[int]:
        key = (kind, pk, day)
        if key not in pupils_on:
            pupils_on[key] = frozenset(
                pupil for pupil, interval in members.get((kind, pk), ()) if interval.contains(day)
            )
        return pupils_on[key]

    bookings: dict[str, list[engine.Booking]] = defaultdict(list)
    for row in rows:
        if row.cancelled:
            continue
        for teacher in row.teachers:
            bookings["teachers"].append((f"teacher:{teacher}", row.start, row.end, row.uid))
        for room in row.rooms:
            bookings["rooms"].append((f"room:{room}", row.start, row.end, row.uid))
        pupils: set[int] = set()
        for kind, pk in row.audience:
            if kind == PUPIL:
                pupils.add(pk)
            else:
                pupils |= audience_pupils(kind, pk, row.day)
        bookings["pupils"].extend(
            (f"pupil:{pupil}", row.start, row.end, row.uid) for pupil in pupils
        )
    report.overlaps = {}
    for kind in ("teachers", "rooms", "pupils"):
        pairs = engine.overlaps(bookings[kind])
        report.overlaps[kind] = {
            "count": len(pairs),
            "examples": [
                {
                    "who": _holder_name(first[0], names),
                    "start": first[1].isoformat(),
                    "occurrences": [first[3], second[3]],
                }
                for first, second in pairs[:DETAILS]
            ],
        }
    without = [
        pupil.person
        for pupil in source.pupils
        if not any(membership.kind == DIVISION for membership in pupil.memberships)
    ]
    report.counts["pupils_without_division"] = len(without)
    report.pupils_without_division = [f"{p.last_name} {p.first_name}".strip() for p in without][
        :DETAILS
    ]
