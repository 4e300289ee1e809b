"""The EDT rules of timetable.md, one small export written by each test: per-resource
weeks, A/B weeks, existence, the school year's bounds, cancelled weeks, the audience
rule (§6) with dated memberships, co-teaching, and what real files look like (case of
names, encodings, byte-order mark, empty dates, namespace or none).

Each test states what must be seen, by whom, then checks every pupil, teacher, room
and division of its file against the independent reading (edt_reference.py), through
the selectors and `export_timetable`.
"""

import json
import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from preau.core.models import ExternalId, Person
from preau.structure.models import Division
from preau.timetable import selectors
from preau.timetable.importers.edt import parse_edt
from preau.timetable.models import Course, Occurrence, OccurrenceStatus, Room
from tests.timetable.edt_reference import (
    PARIS,
    Cours,
    EdtFile,
    compare_events,
    events_of,
    fail_on,
    line_of,
    mask,
    read_reference_bytes,
)

pytestmark = pytest.mark.django_db

UAI = "0134567A"
MONDAY1 = date(2013, 9, 2)
ALL = mask(*range(1, 7))  # weeks 1 to 6
YEAR = (date(2013, 9, 2), date(2014, 7, 4))


def day(week: int, weekday: int = 1) -> date:
    """The date of `weekday` (1 = Monday) in school week `week`."""
    return MONDAY1 + timedelta(weeks=week - 1, days=weekday - 1)


def school(**changes) -> EdtFile:
    """Four divisions with two class parts each (3D: one), seven pupils, three
    teachers, three rooms; the tests add groups and courses."""
    whole = ("2013-09-02", "2014-07-04")
    edt = EdtFile(
        teachers={"1": ("DUPONT", "Anne"), "2": ("MARTIN", "Paul"), "3": ("LEROY", "Claire")},
        divisions={
            "10": ("3A", ["101", "102"]),
            "11": ("3B", ["111", "112"]),
            "12": ("3C", ["121", "122"]),
            "13": ("3D", ["131"]),
        },
        rooms={"30": "B12", "31": "B14", "32": "LABO"},
        pupils={
            ident: (
                f"ELEVE{ident}",
                f"Prenom{ident}",
                [("Classe", c, *whole), ("PartieDeClasse", p, *whole)],
            )
            for ident, c, p in (
                ("1", "10", "101"),
                ("2", "10", "102"),
                ("3", "11", "111"),
                ("4", "11", "112"),
                ("5", "12", "121"),
                ("6", "12", "122"),
                ("7", "13", "131"),
            )
        },
    )
    for key, value in changes.items():
        setattr(edt, key, value)
    return edt


def run_import(path, *options: str) -> dict:
    out = StringIO()
    call_command("import_timetable", "--format", "edt", "--json", *options, str(path), stdout=out)
    return json.loads(out.getvalue())


def export(*who: str) -> list:
    out = StringIO()
    call_command("export_timetable", "--uai", UAI, *who, "--format", "ics", stdout=out)
    return events_of(out.getvalue())


def person(ident: str, kind: str = "pupil") -> Person:
    return ExternalId.objects.get(source="edt", kind=kind, value=ident).person


def seen(occurrences) -> list[tuple]:
    """What a view shows, as (date, start, subject, teachers, rooms, status)."""
    return [
        (
            o.date,
            f"{o.start.astimezone(PARIS):%H:%M}",
            o.subject.label if o.subject else "",
            tuple(sorted(t.last_name for t in o.teachers.all())),
            tuple(sorted(r.name for r in o.rooms.all())),
            o.status,
        )
        for o in occurrences
    ]


def pupil_sees(ident: str) -> list[tuple]:
    return seen(selectors.pupil_occurrences(person(ident).pk, *YEAR))


def teacher_sees(ident: str) -> list[tuple]:
    return seen(selectors.teacher_occurrences(person(ident, "teacher").pk, *YEAR))


def room_sees(name: str) -> list[tuple]:
    return seen(selectors.room_occurrences(Room.objects.get(name=name).pk, *YEAR))


def division_sees(name: str) -> list[tuple[tuple, str]]:
    """A division's view: each occurrence with the label it carries there."""
    division = Division.objects.get(name=name)
    occurrences = list(selectors.division_occurrences(division, *YEAR))
    return [
        (row, selectors.audience_label(o, division))
        for row, o in zip(seen(occurrences), occurrences, strict=True)
    ]


def dates(rows) -> list[date]:
    return [row[0] for row in rows]


def check_with_reference(path) -> None:
    """Every pupil, teacher, room and division of the file, through export_timetable,
    against the independent reading; the divisions' partial occurrences named."""
    reference = read_reference_bytes(path.read_bytes())
    problems = []
    for ident in reference.pupil_idents:
        problems += compare_events(
            f"pupil {ident}", export("--pupil", f"edt:{ident}"), reference.pupils[ident]
        )
    for ident in reference.teacher_names:
        problems += compare_events(
            f"teacher {ident}", export("--teacher", f"edt:{ident}"), reference.teachers[ident]
        )
    for name in sorted(set(Room.objects.values_list("name", flat=True))):
        problems += compare_events(
            f"room {name}", export("--room", name), reference.rooms.get(name, [])
        )
    for name in reference.division_names.values():
        events = export("--division", name)
        expected = reference.divisions.get(name, [])
        problems += compare_events(f"division {name}", events, [e for e, _ in expected])
        for expected_occurrence, labels in expected:
            start = expected_occurrence.start
            texts = [
                str(event.get("description"))
                for event in events
                if event.decoded("dtstart") == start
            ]
            if labels and not any(all(label in text for label in labels) for text in texts):
                problems.append(f"division {name}: {start} not labelled {sorted(labels)}: {texts}")
    fail_on(problems, path.name)


# -- §3 Resources are per week -----------------------------------------------------------


def test_alternating_teachers(tmp_path):
    edt = school(
        courses=[
            Cours(
                day=1,
                place=0,
                resources=[
                    ("Professeur", "1", mask(1, 3, 5)),
                    ("Professeur", "2", mask(2, 4, 6)),
                    ("Classe", "10", ALL),
                    ("Salle", "30", ALL),
                ],
            )
        ]
    )
    path = edt.write(tmp_path)
    report = run_import(path)
    assert report["counts"]["occurrences"] == 6
    assert dates(teacher_sees("1")) == [day(1), day(3), day(5)]
    assert dates(teacher_sees("2")) == [day(2), day(4), day(6)]
    assert [row[3] for row in pupil_sees("1")] == [("DUPONT",), ("MARTIN",)] * 3
    assert len(room_sees("B12")) == 6
    assert pupil_sees("3") == []
    check_with_reference(path)


def test_one_group_on_even_weeks_another_on_odd_weeks(tmp_path):
    edt = school(
        groups={
            "20": ("3A GR1", [("PartieDeClasse", "101")]),
            "21": ("3A GR2", [("PartieDeClasse", "102")]),
        },
        courses=[
            Cours(
                day=2,
                place=1,
                resources=[
                    ("Professeur", "1", ALL),
                    ("Groupe", "20", mask(2, 4, 6)),
                    ("Groupe", "21", mask(1, 3, 5)),
                    ("Salle", "31", ALL),
                ],
            )
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("1")) == [day(2, 2), day(4, 2), day(6, 2)]
    assert dates(pupil_sees("2")) == [day(1, 2), day(3, 2), day(5, 2)]
    assert dates(teacher_sees("1")) == [day(week, 2) for week in range(1, 7)]
    assert [label for _, label in division_sees("3A")] == ["3A GR2", "3A GR1"] * 3
    assert division_sees("3B") == []
    check_with_reference(path)


def test_alternating_rooms(tmp_path):
    edt = school(
        courses=[
            Cours(
                day=3,
                place=2,
                places=2,
                resources=[
                    ("Professeur", "2", ALL),
                    ("Classe", "11", ALL),
                    ("Salle", "30", mask(1, 2, 3)),
                    ("Salle", "32", mask(4, 5, 6)),
                ],
            )
        ]
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(room_sees("B12")) == [day(w, 3) for w in (1, 2, 3)]
    assert dates(room_sees("LABO")) == [day(w, 3) for w in (4, 5, 6)]
    assert room_sees("B14") == []
    assert [(row[1], row[4]) for row in pupil_sees("3")] == [("10:00", ("B12",))] * 3 + [
        ("10:00", ("LABO",))
    ] * 3
    events = export("--pupil", "edt:4")
    assert [str(e.get("location")) for e in events] == ["B12"] * 3 + ["LABO"] * 3
    assert {e.decoded("dtend").hour for e in events} == {10}  # 12:00 Paris, UTC+2
    check_with_reference(path)


def test_a_b_weeks_from_the_sample_masks(tmp_path):
    """5773783553108 and 11135250639018 are the sample's weeks A and B (formats.md)."""
    edt = school(
        courses=[
            Cours(
                day=4,
                place=5,
                resources=[("Professeur", "1", 5773783553108), ("Classe", "10", 5773783553108)],
            ),
            Cours(
                day=4,
                place=5,
                resources=[("Professeur", "1", 11135250639018), ("Classe", "11", 11135250639018)],
            ),
            Cours(
                day=5,
                place=0,
                resources=[("Professeur", "3", 35132630760702), ("Classe", "12", 35132630760702)],
            ),
        ]
    )
    path = edt.write(tmp_path)
    run_import(path)
    even = [2, 4, 6, 10, 12, 14, 16, 20, 22, 28, 30, 38, 40, 42]
    odd = [1, 3, 5, 7, 11, 13, 15, 19, 21, 23, 29, 31, 37, 41, 43]
    assert dates(pupil_sees("1")) == [day(w, 4) for w in even]
    assert dates(pupil_sees("3")) == [day(w, 4) for w in odd]
    assert dates(teacher_sees("1")) == sorted(day(w, 4) for w in even + odd)
    weeks = [*range(1, 8), *range(10, 17), *range(19, 26), *range(28, 34), *range(36, 45)]
    assert dates(pupil_sees("5")) == [day(w, 5) for w in weeks]
    check_with_reference(path)


# -- §4 Existence --------------------------------------------------------------------------


def test_course_with_only_a_subject_has_no_occurrence_and_is_reported(tmp_path):
    edt = school(
        courses=[
            Cours(day=1, place=0, resources=[("Classe", "10", ALL)]),
            Cours(day=2, place=3, subject="2", resources=[]),
        ]
    )
    path = edt.write(tmp_path)
    report = run_import(path)
    assert report["counts"]["occurrences"] == 6
    assert report["counts"]["courses_without_resources"] == 1
    [listed] = report["courses_without_resources"]
    assert listed["ligne"] == line_of(edt.xml(), '<Cours Jour="2"')
    assert listed["jour"] == 2
    assert Occurrence.objects.filter(subject__code="FRANC").count() == 0
    out = StringIO()
    call_command("import_timetable", "--format", "edt", "--dry-run", str(path), stdout=out)
    assert "cours sans ressource : 1" in out.getvalue()


def test_a_course_exists_in_weeks_where_only_its_room_is_present(tmp_path):
    """Existence (§4) counts every week-bearing resource, a room or a `Materiel` too."""
    edt = school(
        courses=[
            Cours(
                day=1,
                place=0,
                resources=[
                    ("Professeur", "1", mask(1)),
                    ("Salle", "30", mask(1, 2)),
                    ("Materiel", "9", mask(3)),
                ],
            )
        ]
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(room_sees("B12")) == [day(1), day(2)]
    assert dates(teacher_sees("1")) == [day(1)]
    assert Occurrence.objects.count() == 3
    check_with_reference(path)


def test_occurrences_outside_the_school_year_are_counted_not_created(tmp_path):
    edt = school(
        start="2013-09-04",  # a Wednesday: Monday 2 and Tuesday 3 September are outside
        end="2013-09-27",  # Friday of week 4
        courses=[
            Cours(day=1, place=0, resources=[("Professeur", "1", ALL), ("Classe", "10", ALL)]),
            Cours(day=5, place=0, resources=[("Professeur", "2", ALL), ("Classe", "10", ALL)]),
        ],
    )
    path = edt.write(tmp_path)
    report = run_import(path)
    # Mondays: weeks 2–4 in, 1, 5, 6 out; Fridays: weeks 1–4 in (27 Sept. is the last day).
    assert report["outside_year"] == 3 + 2
    assert report["counts"]["occurrences"] == 3 + 4
    assert dates(teacher_sees("1")) == [day(2), day(3), day(4)]
    assert dates(teacher_sees("2")) == [day(w, 5) for w in (1, 2, 3, 4)]
    assert Occurrence.objects.count() == 7
    check_with_reference(path)


# -- §5 Cancelled weeks ------------------------------------------------------------------------


def test_cancelled_week_is_shown_struck_through(tmp_path):
    edt = school(
        courses=[
            Cours(
                day=1,
                place=0,
                cancelled=mask(2),
                resources=[
                    ("Professeur", "1", mask(1, 2, 3)),
                    ("Classe", "10", mask(1, 2, 3)),
                    ("Salle", "30", mask(1, 2, 3)),
                ],
            )
        ]
    )
    path = edt.write(tmp_path)
    report = run_import(path)
    assert report["counts"]["cancelled_in_source"] == 1
    assert [row[5] for row in pupil_sees("1")] == [
        OccurrenceStatus.SCHEDULED,
        OccurrenceStatus.CANCELLED,
        OccurrenceStatus.SCHEDULED,
    ]
    for who in (
        ("--pupil", "edt:2"),
        ("--teacher", "edt:1"),
        ("--room", "B12"),
        ("--division", "3A"),
    ):
        assert [str(e.get("status")) for e in export(*who)] == [
            "CONFIRMED",
            "CANCELLED",
            "CONFIRMED",
        ]
    assert Occurrence.objects.get(date=day(2)).cancelled_in_source
    check_with_reference(path)


# -- §6 Audience ----------------------------------------------------------------------------


def test_division_listed_with_groups_drawing_on_it_adds_nothing(tmp_path):
    """3A is listed with a group of 3A's part 101: only that part's pupils are expected.
    3B feeds none of the groups listed: the whole of 3B is."""
    edt = school(
        groups={"22": ("3A LATIN", [("PartieDeClasse", "101")])},
        courses=[
            Cours(
                day=1,
                place=2,
                resources=[
                    ("Professeur", "3", mask(1, 2)),
                    ("Classe", "10", mask(1, 2)),
                    ("Classe", "11", mask(1, 2)),
                    ("Groupe", "22", mask(1, 2)),
                ],
            )
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("1")) == [day(1), day(2)]
    assert pupil_sees("2") == []
    assert dates(pupil_sees("3")) == dates(pupil_sees("4")) == [day(1), day(2)]
    # In 3A's view the occurrence is labelled with the group (and says 3B is there);
    # in 3B's it concerns the whole division, which is not named.
    assert [label for _, label in division_sees("3A")] == ["3A LATIN, 3B"] * 2
    assert [label for _, label in division_sees("3B")] == ["3A LATIN"] * 2
    assert division_sees("3C") == []
    check_with_reference(path)


def test_division_listed_with_a_group_on_other_weeks_only(tmp_path):
    """Weeks count one by one: when the group is absent, the division counts in full."""
    edt = school(
        groups={"22": ("3A LATIN", [("PartieDeClasse", "101")])},
        courses=[
            Cours(
                day=1,
                place=2,
                resources=[("Classe", "10", mask(1, 2)), ("Groupe", "22", mask(1))],
            )
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("1")) == [day(1), day(2)]
    assert dates(pupil_sees("2")) == [day(2)]
    check_with_reference(path)


def test_group_of_parts_of_three_divisions(tmp_path):
    edt = school(
        groups={
            "23": (
                "3ABC GREC",
                [("PartieDeClasse", "101"), ("PartieDeClasse", "111"), ("PartieDeClasse", "121")],
            )
        },
        courses=[
            Cours(
                day=2,
                place=6,
                resources=[
                    ("Professeur", "2", mask(1, 2)),
                    ("Groupe", "23", mask(1, 2)),
                    ("Salle", "32", mask(1, 2)),
                ],
            )
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    for ident in ("1", "3", "5"):
        assert dates(pupil_sees(ident)) == [day(1, 2), day(2, 2)]
    for ident in ("2", "4", "6", "7"):
        assert pupil_sees(ident) == []
        assert export("--pupil", f"edt:{ident}") == []
    for name in ("3A", "3B", "3C"):
        assert [label for _, label in division_sees(name)] == ["3ABC GREC"] * 2
        assert all("3ABC GREC" in str(e.get("description")) for e in export("--division", name))
    assert division_sees("3D") == []
    check_with_reference(path)


def test_group_of_whole_divisions_and_a_pupil_listed_directly(tmp_path):
    edt = school(
        groups={
            "24": ("ATELIER", [("PartieDeClasse", "102"), ("Eleve", "7")]),
            "25": ("3BC SPORT", [("Classe", "11"), ("Classe", "12")]),
        },
        courses=[
            Cours(
                day=3, place=4, resources=[("Professeur", "1", mask(1)), ("Groupe", "24", mask(1))]
            ),
            Cours(
                day=3, place=6, resources=[("Professeur", "2", mask(1)), ("Groupe", "25", mask(1))]
            ),
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("7")) == [day(1, 3)]
    assert dates(pupil_sees("2")) == [day(1, 3)]
    assert pupil_sees("1") == []
    for ident in ("3", "4", "5", "6"):
        assert [row[1] for row in pupil_sees(ident)] == ["14:00"]
    assert [label for _, label in division_sees("3D")] == ["ATELIER"]
    assert [label for _, label in division_sees("3A")] == ["ATELIER"]
    assert [label for _, label in division_sees("3B")] == ["3BC SPORT"]
    check_with_reference(path)


def test_pupil_listed_in_a_course(tmp_path):
    """An `Eleve` carrying weeks in a course (a pupil's own session) is expected there."""
    edt = school(
        courses=[
            Cours(
                day=5,
                place=7,
                resources=[
                    ("Professeur", "3", mask(2, 3)),
                    ("Eleve", "7", mask(2)),
                    ("Eleve", "1", mask(3)),
                ],
            )
        ]
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("7")) == [day(2, 5)]
    assert dates(pupil_sees("1")) == [day(3, 5)]
    assert pupil_sees("2") == []
    assert [row[0] for row, _ in division_sees("3D")] == [day(2, 5)]
    check_with_reference(path)


def test_pupil_changing_division_follows_the_old_timetable_until_the_day(tmp_path):
    """Pupil 8 is in 3A (part 101) until Monday 16 September, then in 3B (part 111)."""
    edt = school(
        groups={
            "22": ("3A LATIN", [("PartieDeClasse", "101")]),
            "26": ("3B ALL", [("PartieDeClasse", "111")]),
        },
        courses=[
            Cours(
                day=1,
                place=0,
                resources=[
                    ("Professeur", "1", mask(1, 2, 3, 4)),
                    ("Classe", "10", mask(1, 2, 3, 4)),
                ],
            ),
            Cours(
                day=2,
                place=0,
                resources=[
                    ("Professeur", "2", mask(1, 2, 3, 4)),
                    ("Classe", "11", mask(1, 2, 3, 4)),
                ],
            ),
            Cours(
                day=3,
                place=0,
                resources=[
                    ("Professeur", "3", mask(1, 2, 3, 4)),
                    ("Groupe", "22", mask(1, 2, 3, 4)),
                ],
            ),
            Cours(
                day=4,
                place=0,
                resources=[
                    ("Professeur", "3", mask(1, 2, 3, 4)),
                    ("Groupe", "26", mask(1, 2, 3, 4)),
                ],
            ),
        ],
    )
    edt.pupils["8"] = (
        "MOBILE",
        "Lou",
        [
            ("Classe", "10", "2013-09-02", "2013-09-16"),
            ("PartieDeClasse", "101", "2013-09-02", "2013-09-16"),
            ("Classe", "11", "2013-09-17", "2014-07-04"),
            ("PartieDeClasse", "111", "2013-09-17", "2014-07-04"),
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("8")) == [
        day(1, 1),
        day(1, 3),
        day(2, 1),
        day(2, 3),
        day(3, 1),  # Monday 16 September, the last day in 3A
        day(3, 2),  # Tuesday 17 September, the first in 3B
        day(3, 4),
        day(4, 2),
        day(4, 4),
    ]
    # 3A's timetable: its own courses, every week; 3B's courses never appear in it.
    assert [row[0] for row, _ in division_sees("3A")] == [
        day(w, d) for w in (1, 2, 3, 4) for d in (1, 3)
    ]
    assert [row[0] for row, _ in division_sees("3B")] == [
        day(w, d) for w in (1, 2, 3, 4) for d in (2, 4)
    ]
    check_with_reference(path)


def test_pupil_leaving_a_class_part_keeps_the_division(tmp_path):
    edt = school(
        groups={"22": ("3A LATIN", [("PartieDeClasse", "101")])},
        courses=[Cours(day=3, place=0, resources=[("Groupe", "22", mask(1, 2, 3))])],
    )
    edt.pupils["1"] = (
        "ELEVE1",
        "Prenom1",
        [
            ("Classe", "10", "2013-09-02", "2014-07-04"),
            ("PartieDeClasse", "101", "2013-09-02", "2013-09-12"),
        ],
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert dates(pupil_sees("1")) == [day(1, 3), day(2, 3)]
    # Nobody of 3A is in the group in week 3: 3A's view no longer shows it.
    assert [row[0] for row, _ in division_sees("3A")] == [day(1, 3), day(2, 3)]
    check_with_reference(path)


# -- §8 Several teachers ----------------------------------------------------------------------


def test_co_teaching(tmp_path):
    edt = school(
        courses=[
            Cours(
                day=4,
                place=3,
                resources=[
                    ("Professeur", "1", mask(1)),
                    ("Professeur", "3", mask(1)),
                    ("Classe", "12", mask(1)),
                    ("Salle", "31", mask(1)),
                ],
            )
        ]
    )
    path = edt.write(tmp_path)
    run_import(path)
    assert [row[3] for row in pupil_sees("5")] == [("DUPONT", "LEROY")]
    assert dates(teacher_sees("1")) == dates(teacher_sees("3")) == [day(1, 4)]
    [event] = export("--pupil", "edt:6")
    assert "Anne DUPONT" in str(event.get("description"))
    assert "Claire LEROY" in str(event.get("description"))
    check_with_reference(path)


# -- Real files --------------------------------------------------------------------------------


def _busy_school() -> EdtFile:
    return school(
        groups={
            "22": ("3A LATIN", [("PartieDeClasse", "101")]),
            "23": (
                "3ABC GREC",
                [("PartieDeClasse", "102"), ("PartieDeClasse", "112"), ("PartieDeClasse", "122")],
            ),
        },
        courses=[
            Cours(
                day=1,
                place=0,
                resources=[("Professeur", "1", ALL), ("Classe", "10", ALL), ("Salle", "30", ALL)],
            ),
            Cours(
                day=1,
                place=1,
                cancelled=mask(3),
                resources=[
                    ("Professeur", "2", mask(1, 3, 5)),
                    ("Professeur", "3", mask(2, 4, 6)),
                    ("Groupe", "23", ALL),
                ],
            ),
            Cours(
                day=2,
                place=2,
                resources=[
                    ("Professeur", "3", ALL),
                    ("Classe", "10", ALL),
                    ("Groupe", "22", ALL),
                    ("Salle", "32", mask(1, 2)),
                ],
            ),
        ],
    )


def _lower_names(text: str) -> str:
    """Every tag and attribute name in lower case, as some exports write them."""
    text = re.sub(r"<(/?)([A-Za-z]+)", lambda m: f"<{m.group(1)}{m.group(2).lower()}", text)
    return re.sub(r" ([A-Za-z]+)=", lambda m: f" {m.group(1).lower()}=", text)


@pytest.mark.parametrize(
    "variant",
    [
        "plain",
        "lower-case names",
        "IdPN",
        "no namespace",
        "byte-order mark",
        "ISO-8859-15 declared",
        "ISO-8859-15 said UTF-8",
    ],
)
def test_file_variants_give_the_same_timetable(tmp_path, variant):
    edt = _busy_school()
    edt.pupils["9"] = (
        "LŒUVRE",
        "Zoé",
        [("Classe", "10", "2013-09-02", "2014-07-04"), ("PartieDeClasse", "102", "", "")],
    )
    edt.pupil_attributes["9"] = {"NumeroNational": "123456789AB"}
    text = edt.xml()
    if variant == "lower-case names":
        data = _lower_names(text).encode()
    elif variant == "IdPN":
        data = text.replace("IDPN=", "IdPN=").replace("NumeroNational", "NUMERONATIONAL").encode()
    elif variant == "no namespace":
        edt.namespace = False
        data = edt.xml().encode()
    elif variant == "byte-order mark":
        data = b"\xef\xbb\xbf" + text.encode()
    elif variant == "ISO-8859-15 declared":
        data = edt.xml("ISO-8859-15").encode("iso-8859-15")
    elif variant == "ISO-8859-15 said UTF-8":
        data = text.encode("iso-8859-15")
    else:
        data = text.encode()
    path = tmp_path / "edt.xml"
    path.write_bytes(data)
    report = run_import(path)
    assert report["counts"]["occurrences"] == 6 + 6 + 6
    assert report["counts"]["cancelled_in_source"] == 1
    # The same courses, so the same occurrence identifiers, whatever the file looks like.
    plain = parse_edt(text.encode(), file_name="plain.xml")
    assert sorted(Course.objects.values_list("source_key", flat=True)) == sorted(
        course.key for course in plain.courses if course.resources
    )
    pupil = Person.objects.get(last_name="LŒUVRE")
    assert pupil.first_name == "Zoé"
    out = StringIO()
    call_command(
        "export_timetable",
        "--uai",
        UAI,
        "--pupil",
        "ine:123456789AB",
        "--format",
        "ics",
        stdout=out,
    )
    assert len(events_of(out.getvalue())) == 6 + 6
    check_with_reference(path)


def test_empty_birth_and_entry_dates(tmp_path):
    edt = school(
        courses=[Cours(day=1, place=0, resources=[("Professeur", "1", ALL), ("Classe", "13", ALL)])]
    )
    edt.pupils["7"] = (
        "VIDE",
        "Sam",
        [("Classe", "13", "", ""), ("PartieDeClasse", "131", "", "2013-09-20")],
    )
    edt.pupil_attributes["7"] = {"DateNaissance": ""}
    path = edt.write(tmp_path)
    run_import(path)
    assert person("7").birth_date is None
    assert dates(pupil_sees("7")) == [day(w) for w in range(1, 7)]
    check_with_reference(path)
