"""FET import (timetable.md, "Other sources" → FET; interfaces.md, `import_timetable`
and `export_timetable`).

Acceptance: for the three FET outputs in the shared fixtures, every subgroup's and
every teacher's timetable that Préau exports is, week by week, the one FET wrote itself
(`<name>_subgroups.xml`, `<name>_teachers.xml`, read here with plain xml.etree).
Then the rules one by one on small hand-written FET files.
"""

import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from preau.core.calendar import CalendarRules
from preau.core.models import Closure, Establishment, Person, SchoolYear
from preau.structure.models import Division, Group, Subject
from preau.timetable.importers import ImportOptions, ParseError, read
from preau.timetable.models import Course, ImportRun, Occurrence, Room, TimetableVersion
from preau.timetable.source import GROUP
from tests.factories import EstablishmentFactory, SchoolYearFactory, valid_uai

SHARED = Path(__file__).resolve().parents[2] / "../shared"
FET_FIXTURES = SHARED / "fixtures" / "fet"
needs_fixtures = pytest.mark.skipif(
    not FET_FIXTURES.is_dir(),
    reason=f"{SHARED.resolve()} is absent: the FET fixtures (fixtures/fet/) live in the "
    "shared folder next to the checkout, never in the repository.",
)

PARIS = ZoneInfo("Europe/Paris")
UAI = valid_uai("075", 9001)  # Paris: holiday zone C, metropolitan public holidays
# Two school weeks without holidays or public holidays in zone C.
FROM, TO = date(2025, 9, 8), date(2025, 9, 19)
MONDAYS = (date(2025, 9, 8), date(2025, 9, 15))


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def grid(hours: int) -> list[tuple[time, time]]:
    """Hour n from 8:00 + n hours, 55 minutes long."""
    return [(time(8 + n, 0), time(8 + n, 55)) for n in range(hours)]


def grid_option(hours: int) -> str:
    return ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in grid(hours))


def import_fet(path: Path, *args: str, uai: str | None = UAI) -> str:
    out = io.StringIO()
    call_command(
        "import_timetable",
        "--format",
        "fet",
        *(["--uai", uai] if uai else []),
        *args,
        str(path),
        stdout=out,
    )
    return out.getvalue()


def export(*who: str, start: date = FROM, end: date = TO, uai: str = UAI) -> list[dict]:
    """The VEVENTs `export_timetable` writes, as local times and plain strings."""
    out = io.StringIO()
    call_command(
        "export_timetable",
        "--uai",
        uai,
        *who,
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        "--format",
        "ics",
        stdout=out,
    )
    events = []
    for event in icalendar.Calendar.from_ical(out.getvalue()).walk("VEVENT"):
        begin = event["DTSTART"].dt.astimezone(PARIS)
        finish = event["DTEND"].dt.astimezone(PARIS)
        events.append(
            {
                "date": begin.date(),
                "start": begin.time(),
                "end": finish.time(),
                "summary": squash(str(event.get("SUMMARY", ""))),
                "location": str(event.get("LOCATION", "")),
                "description": str(event.get("DESCRIPTION", "")),
                "status": str(event.get("STATUS", "")),
            }
        )
    return events


def weekly(events: list[dict]) -> Counter:
    return Counter((e["date"], e["start"], e["end"], e["summary"]) for e in events)


# -- Acceptance: FET's own output is the reference -------------------------------------


def fet_reference(path: Path) -> dict[str, list[tuple[int, int, int, str]]]:
    """FET's per-subgroup (or per-teacher) timetable: for each name, one (day, first
    hour, last hour, subject) per placed activity. FET writes an activity in every hour
    it occupies; its hours are consecutive."""
    reference = {}
    for holder in ET.parse(path).getroot():  # noqa: S314 - FET's own output, a fixture
        cells: dict[tuple[int, str], tuple[list[int], str]] = {}
        for day_index, day in enumerate(holder.findall("Day")):
            for hour_index, hour in enumerate(day.findall("Hour")):
                subjects = [squash(s.get("name")) for s in hour.findall("Subject")]
                for n, activity in enumerate(hour.findall("Activity")):
                    hours, _ = cells.setdefault(
                        (day_index, activity.get("id")), ([], subjects[n] if subjects else "")
                    )
                    hours.append(hour_index)
        entries = []
        for (day_index, activity), (hours, subject) in cells.items():
            assert hours == list(range(hours[0], hours[-1] + 1)), (holder.get("name"), activity)
            entries.append((day_index, hours[0], hours[-1], subject))
        reference[squash(holder.get("name"))] = entries
    return reference


def expected_weeks(entries, hours: int) -> Counter:
    """FET's weekly pattern dated: FET day n is weekday n (Monday first), every week."""
    slots = grid(hours)
    return Counter(
        (monday + timedelta(days=day), slots[first][0], slots[last][1], subject)
        for monday in MONDAYS
        for day, first, last, subject in entries
    )


def differences(expected: Counter, got: Counter) -> str:
    missing, extra = expected - got, got - expected
    return f"missing {sorted(missing.elements())[:4]}, extra {sorted(extra.elements())[:4]}"


FIXTURES = [
    pytest.param("gr-vartholomio", "2008-2009", 7, id="gr-vartholomio"),
    pytest.param("de-secondary-school-1", "German_subact_constr", 6, id="de-secondary-school-1"),
    pytest.param("es-secondary-school-2", "secondary-school", 7, id="es-secondary-school-2"),
]


@needs_fixtures
@pytest.mark.django_db
@pytest.mark.parametrize(("folder", "name", "hours"), FIXTURES)
def test_every_subgroup_and_teacher_has_fets_own_timetable(folder, name, hours):
    """Given FET's output folder, when Préau imports it and exports each subgroup's and
    each teacher's timetable, then each is FET's own, every week of the period."""
    path = FET_FIXTURES / folder
    assert "Contrôles" in import_fet(
        path, "--from", FROM.isoformat(), "--to", TO.isoformat(), "--grid", grid_option(hours)
    )
    version = TimetableVersion.objects.get(establishment__uai=UAI, is_current=True)
    known_sets = version.metadata["students_sets"]

    subgroups = fet_reference(path / f"{name}_subgroups.xml")
    teachers = fet_reference(path / f"{name}_teachers.xml")
    assert subgroups
    assert teachers
    wrong = []
    for subgroup, entries in subgroups.items():
        assert subgroup.casefold() in known_sets, subgroup
        expected = expected_weeks(entries, hours)
        got = weekly(export("--students-set", subgroup))
        if got != expected:
            wrong.append(f"subgroup {subgroup}: {differences(expected, got)}")
    for teacher, entries in teachers.items():
        expected = expected_weeks(entries, hours)
        got = weekly(export("--teacher", f"fet:{teacher}"))
        if got != expected:
            wrong.append(f"teacher {teacher}: {differences(expected, got)}")
    assert not wrong, f"{len(wrong)} timetables differ from FET's: " + "; ".join(wrong[:5])


@needs_fixtures
@pytest.mark.django_db
def test_a_year_or_a_group_shows_the_union_of_its_subgroups():
    """timetable.md: a group's or a year's timetable is the union of its subgroups'."""
    path = FET_FIXTURES / "gr-vartholomio"
    import_fet(path, "--from", FROM.isoformat(), "--to", TO.isoformat(), "--grid", grid_option(7))
    subgroups = fet_reference(path / "2008-2009_subgroups.xml")
    nesting = {"2008-2009": list(subgroups), "Β": ["Β1", "Β2"]}
    for students_set, members in nesting.items():
        union = set()
        for member in members:
            union |= set(expected_weeks(subgroups[member], 7))
        assert set(weekly(export("--students-set", students_set))) == union, students_set


# -- Small FET files ----------------------------------------------------------------


def _names(tag: str, names) -> str:
    return "".join(f"<{tag}><Name>{escape(n)}</Name></{tag}>" for n in names)


def write_fet(
    folder: Path,
    *,
    name: str = "ecole",
    days=("Lundi", "Mardi", "Mercredi"),
    hours=("1", "2", "3", "4"),
    subjects=("Maths", "Français"),
    teachers=("Prof A", "Prof B"),
    rooms=(),
    students: str = "<Year><Name>3e</Name><Group><Name>3A</Name>"
    "<Subgroup><Name>3A1</Name></Subgroup><Subgroup><Name>3A2</Name></Subgroup></Group></Year>",
    activities=(),
    placements=(),
    institution: str = "Collège FET",
) -> Path:
    """A `timetables/<name>/` folder as fet-cl writes it. `activities`: dicts with id,
    teachers, subject, students, duration, group, active; `placements`: (id, day,
    hour) or (id, day, hour, room, real rooms)."""
    room_xml = ""
    for room in rooms:
        room_name, reals = room if isinstance(room, tuple) else (room, None)
        virtual = ""
        if reals:
            virtual = "<Number_of_Sets_of_Real_Rooms>1</Number_of_Sets_of_Real_Rooms>"
            virtual += "<Set_of_Real_Rooms>" + "".join(
                f"<Real_Room>{escape(r)}</Real_Room>" for r in reals
            )
            virtual += "</Set_of_Real_Rooms>"
        room_xml += (
            f"<Room><Name>{escape(room_name)}</Name><Building></Building><Capacity>30</Capacity>"
            f"<Virtual>{'true' if reals else 'false'}</Virtual>{virtual}"
            "<Comments></Comments></Room>"
        )
    activity_xml = ""
    for activity in activities:
        activity_xml += "<Activity>\n"
        for teacher in activity.get("teachers", ()):
            activity_xml += f"\t<Teacher>{escape(teacher)}</Teacher>\n"
        if activity.get("subject"):
            activity_xml += f"\t<Subject>{escape(activity['subject'])}</Subject>\n"
        for students_set in activity.get("students", ()):
            activity_xml += f"\t<Students>{escape(students_set)}</Students>\n"
        duration = activity.get("duration", 1)
        activity_xml += (
            f"\t<Duration>{duration}</Duration>\n\t<Total_Duration>{duration}</Total_Duration>\n"
            f"\t<Id>{activity['id']}</Id>\n"
            f"\t<Activity_Group_Id>{activity.get('group', activity['id'])}</Activity_Group_Id>\n"
            f"\t<Active>{'true' if activity.get('active', True) else 'false'}</Active>\n"
            "\t<Comments></Comments>\n</Activity>\n"
        )
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<fet version="6.8.5">\n'
        f"<Mode>Official</Mode>\n<Institution_Name>{escape(institution)}</Institution_Name>\n"
        f"<Days_List>\n<Number_of_Days>{len(days)}</Number_of_Days>\n{_names('Day', days)}\n"
        "</Days_List>\n"
        f"<Hours_List>\n<Number_of_Hours>{len(hours)}</Number_of_Hours>\n"
        f"{_names('Hour', hours)}\n</Hours_List>\n"
        f"<Subjects_List>\n{_names('Subject', subjects)}\n</Subjects_List>\n"
        f"<Teachers_List>\n{_names('Teacher', teachers)}\n</Teachers_List>\n"
        f"<Students_List>\n{students}\n</Students_List>\n"
        f"<Activities_List>\n{activity_xml}</Activities_List>\n"
        f"<Rooms_List>\n{room_xml}\n</Rooms_List>\n"
        "<Time_Constraints_List></Time_Constraints_List>\n"
        "<Space_Constraints_List></Space_Constraints_List>\n</fet>\n"
    )
    placed = ['<?xml version="1.0" encoding="UTF-8"?>', "<Activities_Timetable>"]
    for placement in placements:
        identifier, day, hour, *rest = placement
        room = rest[0] if rest else ""
        reals = rest[1] if len(rest) > 1 else ()
        placed += [
            "<Activity>",
            f"\t<Id>{identifier}</Id>",
            f"\t<Day>{escape(day)}</Day>",
            f"\t<Hour>{escape(hour)}</Hour>",
            f"\t<Room>{escape(room)}</Room>",
            *(f"\t<Real_Room>{escape(r)}</Real_Room>" for r in reals),
            "</Activity>",
        ]
    placed.append("</Activities_Timetable>\n")
    target = folder / "timetables" / name
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{name}_data_and_timetable.fet").write_text(data, encoding="utf-8")
    (target / f"{name}_activities.xml").write_text("\n".join(placed), encoding="utf-8")
    return target


def read_fet(path: Path, **options):
    options.setdefault("grid", grid(4))
    options.setdefault("start", FROM)
    options.setdefault("end", TO)
    options.setdefault("rules", CalendarRules(holiday_zone="C", public_calendar="metropole"))
    return read("fet", path, ImportOptions(**options))


def by_key(source) -> dict:
    return {course.key: course for course in source.courses}


NESTED = (
    "<Year><Name>Y1</Name>"
    "<Group><Name>G1</Name><Subgroup><Name>S1</Name></Subgroup>"
    "<Subgroup><Name>S2</Name></Subgroup></Group>"
    "<Group><Name>G2</Name></Group></Year>"
    # G1 again in another year, and S2 again in another group: the same sets.
    "<Year><Name>Y2</Name>"
    "<Group><Name>G1</Name><Subgroup><Name>S1</Name></Subgroup>"
    "<Subgroup><Name>S2</Name></Subgroup></Group>"
    "<Group><Name>G3</Name><Subgroup><Name>S2</Name></Subgroup>"
    "<Subgroup><Name>S3</Name></Subgroup></Group></Year>"
    "<Year><Name>Y3</Name></Year>"
)
NESTED_ACTIVITIES = [
    {"id": 1, "teachers": ["Prof A"], "subject": "Y1", "students": ["Y1"]},
    {"id": 2, "teachers": ["Prof A"], "subject": "G1", "students": ["G1"]},
    {"id": 3, "teachers": ["Prof A"], "subject": "S2", "students": ["S2"]},
    {"id": 4, "teachers": ["Prof A"], "subject": "Y3", "students": ["Y3"]},
    {"id": 5, "teachers": ["Prof B"], "subject": "G2", "students": ["G2"]},
    {"id": 6, "teachers": ["Prof B"], "subject": "G3", "students": ["G3"]},
]
NESTED_PLACEMENTS = [
    (1, "Lundi", "1"),
    (2, "Lundi", "2"),
    (3, "Lundi", "3"),
    (4, "Lundi", "4"),
    (5, "Mardi", "1"),
    (6, "Mardi", "2"),
]


def nested_fet(folder: Path) -> Path:
    return write_fet(
        folder,
        subjects=("Y1", "G1", "S2", "Y3", "G2", "G3"),
        students=NESTED,
        activities=NESTED_ACTIVITIES,
        placements=NESTED_PLACEMENTS,
    )


def test_students_sets_nest_with_automatic_groups_and_subgroups(tmp_path):
    """Given years, groups and subgroups nesting loosely (a group in two years, a
    subgroup in two groups, a year without groups, a group without subgroups), each set
    stands for the subgroups FET gives it, and each activity reaches those of its
    students."""
    source = read_fet(nested_fet(tmp_path))
    sets = source.metadata["students_sets"]
    assert sets["y1"] == ["G2 Automatic Subgroup", "S1", "S2"]
    assert sets["y2"] == ["S1", "S2", "S3"]
    assert sets["g1"] == ["S1", "S2"]
    assert sets["g3"] == ["S2", "S3"]
    assert sets["s2"] == ["S2"]
    assert sets["g2"] == sets["g2 automatic subgroup"] == ["G2 Automatic Subgroup"]
    automatic = ["Y3 Automatic Group Automatic Subgroup"]
    assert sets["y3"] == sets["y3 automatic group"] == automatic
    assert sets["y3 automatic group automatic subgroup"] == automatic
    reached = {key: course.provenance["subgroups"] for key, course in by_key(source).items()}
    assert reached == {
        "1": ["G2 Automatic Subgroup", "S1", "S2"],
        "2": ["S1", "S2"],
        "3": ["S2"],
        "4": automatic,
        "5": ["G2 Automatic Subgroup"],
        "6": ["S2", "S3"],
    }
    # The sets named on activities are groups without pupils, never divisions.
    assert source.divisions == []
    assert {group.name for group in source.groups} == {"Y1", "G1", "S2", "Y3", "G2", "G3"}
    assert all(
        resource.kind == GROUP
        for course in source.courses
        for resource in course.resources
        if resource.kind not in ("teacher", "room")
    )


@pytest.mark.django_db
def test_a_students_set_sees_the_activities_of_every_set_holding_it(tmp_path):
    """A subgroup's timetable is every activity reaching it: its own, its groups' and
    its years'; nothing of the sets beside it."""
    import_fet(
        nested_fet(tmp_path), "--from", "2025-09-08", "--to", "2025-09-12", "--grid", grid_option(4)
    )
    assert sorted(e["summary"] for e in export("--students-set", "S2")) == ["G1", "G3", "S2", "Y1"]
    assert sorted(e["summary"] for e in export("--students-set", "s1")) == ["G1", "Y1"]
    assert sorted(e["summary"] for e in export("--students-set", "G2 Automatic Subgroup")) == [
        "G2",
        "Y1",
    ]
    assert [e["summary"] for e in export("--students-set", "Y3")] == ["Y3"]
    assert sorted(e["summary"] for e in export("--students-set", "Y2")) == [
        "G1",
        "G3",
        "S2",
        "Y1",
    ]
    assert Division.objects.count() == 0
    assert set(Group.objects.values_list("name", flat=True)) == {"Y1", "G1", "S2", "Y3", "G2", "G3"}


@pytest.mark.django_db
def test_an_activity_of_several_hours_is_one_occurrence(tmp_path):
    """Duration 2 from hour 2: one occurrence a week, from hour 2's start to hour 3's
    end."""
    path = write_fet(
        tmp_path,
        activities=[
            {"id": 7, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]},
            {"id": 8, "teachers": ["Prof A"], "subject": "Français", "duration": 2},
        ],
        placements=[(7, "Lundi", "1"), (8, "Mardi", "2")],
    )
    import_fet(path, "--from", "2025-09-08", "--to", "2025-09-19", "--grid", grid_option(4))
    events = [e for e in export("--teacher", "fet:Prof A") if e["summary"] == "Français"]
    assert [(e["date"], e["start"], e["end"]) for e in events] == [
        (date(2025, 9, 9), time(9, 0), time(10, 55)),
        (date(2025, 9, 16), time(9, 0), time(10, 55)),
    ]


def test_split_activities_are_placed_separately(tmp_path):
    """Three lessons of one activity group (same Activity_Group_Id) are three courses,
    each where FET put it."""
    lesson = {"teachers": ["Prof A"], "subject": "Maths", "students": ["3A"], "group": 10}
    path = write_fet(
        tmp_path,
        activities=[{**lesson, "id": 10}, {**lesson, "id": 11}, {**lesson, "id": 12}],
        placements=[(10, "Lundi", "1"), (11, "Mercredi", "3"), (12, "Lundi", "4")],
    )
    courses = by_key(read_fet(path))
    assert {key: (c.weekday, c.start) for key, c in courses.items()} == {
        "10": (1, time(8, 0)),
        "11": (3, time(10, 0)),
        "12": (1, time(11, 0)),
    }
    assert {c.provenance["groupe_activites"] for c in courses.values()} == {"10"}


def test_inactive_activities_do_not_exist(tmp_path):
    path = write_fet(
        tmp_path,
        activities=[
            {"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]},
            {"id": 2, "teachers": ["Prof B"], "subject": "Maths", "active": False},
            {"id": 3, "teachers": ["Prof B"], "subject": "Maths", "active": False},
        ],
        # FET only places active activities; an inactive one listed anyway is ignored.
        placements=[(1, "Lundi", "1"), (2, "Lundi", "2")],
    )
    source = read_fet(path)
    assert list(by_key(source)) == ["1"]
    assert source.problems == []


def test_an_active_activity_fet_did_not_place_is_reported(tmp_path):
    path = write_fet(
        tmp_path,
        activities=[
            {"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]},
            {"id": 2, "teachers": ["Prof B"], "subject": "Maths", "students": ["3A"]},
        ],
        placements=[(1, "Lundi", "1"), (2, "", "")],
    )
    source = read_fet(path)
    assert list(by_key(source)) == ["1"]
    assert [problem.code for problem in source.problems] == ["fet_not_placed"]
    assert "l'activité 2" in source.problems[0].message


@pytest.mark.django_db
def test_activities_without_students_show_only_for_their_teachers(tmp_path):
    """A duty without students is in its teachers' timetables and no students set's;
    the teachers of a shared activity all have it, in one occurrence."""
    path = write_fet(
        tmp_path,
        activities=[
            {"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3e"]},
            {"id": 2, "teachers": ["Prof A", "Prof B"], "subject": "Français"},
        ],
        placements=[(1, "Lundi", "1"), (2, "Lundi", "2")],
    )
    import_fet(path, "--from", "2025-09-08", "--to", "2025-09-12", "--grid", grid_option(4))
    assert [e["summary"] for e in export("--students-set", "3A1")] == ["Maths"]
    assert [e["summary"] for e in export("--students-set", "3e")] == ["Maths"]
    duty = export("--teacher", "fet:Prof B")
    assert [e["summary"] for e in duty] == ["Français"]
    assert "PROF A" in duty[0]["description"].upper()
    assert "PROF B" in duty[0]["description"].upper()
    assert sorted(e["summary"] for e in export("--teacher", "fet:Prof A")) == ["Français", "Maths"]
    assert Occurrence.objects.filter(subject__label="Français").count() == 1


@pytest.mark.django_db
def test_names_padded_with_tabs_and_newlines_are_the_same_names(tmp_path):
    """FET names carry tabs, newlines and padding: they are folded everywhere, and the
    same name written with other spaces or case is the same teacher, set, day…"""
    path = write_fet(
        tmp_path,
        days=("\tLundi\t", "Mardi  "),
        hours=(" 1ª\t", "Recreo", "2ª"),
        subjects=("Matemáticas\t\t",),
        teachers=("Prof\t\t8 ", "Prof\n9"),
        rooms=(" Aula: 1º\tESO A\t\t",),
        students="<Year><Name>1º ESO\tA  </Name></Year>",
        activities=[
            {
                "id": 1,
                "teachers": ["Prof 8"],
                "subject": "Matemáticas",
                "students": ["1º  ESO A"],
            },
            {"id": 2, "teachers": ["prof 9\t"], "subject": " matemáticas"},
        ],
        placements=[(1, "Lundi", "1ª\t", "Aula: 1º ESO A"), (2, " mardi", "RECREO")],
    )
    import_fet(path, "--from", "2025-09-08", "--to", "2025-09-12", "--grid", grid_option(3))
    events = export("--teacher", "fet:Prof 8")
    assert [(e["summary"], e["location"], e["date"], e["start"]) for e in events] == [
        ("Matemáticas", "Aula: 1º ESO A", date(2025, 9, 8), time(8, 0))
    ]
    assert export("--teacher", "fet:Prof\t 8") == events
    assert [e["summary"] for e in export("--students-set", "1º eso a")] == ["Matemáticas"]
    assert [e["start"] for e in export("--teacher", "fet:Prof 9")] == [time(9, 0)]
    assert Subject.objects.get().label == "Matemáticas"
    assert Room.objects.get().name == "Aula: 1º ESO A"
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Prof 8", "Prof 9"]


@pytest.mark.django_db
def test_days_option_maps_fet_days_to_weekdays(tmp_path):
    path = write_fet(
        tmp_path,
        days=("Día 1", "Día 2"),
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Día 2", "1")],
    )
    import_fet(
        path,
        "--days",
        "tue,thu",
        "--from",
        "2025-09-08",
        "--to",
        "2025-09-19",
        "--grid",
        grid_option(4),
    )
    assert [e["date"] for e in export("--teacher", "fet:Prof A")] == [
        date(2025, 9, 11),
        date(2025, 9, 18),
    ]


@pytest.mark.parametrize(
    ("hours", "spans"),
    [
        pytest.param(
            ("08:00-08:55", "9h00 - 9h55", "10.05-11.00"),
            [(time(8, 0), time(8, 55)), (time(9, 0), time(9, 55)), (time(10, 5), time(11, 0))],
            id="ranges",
        ),
        # A lone start ends when the next hour starts; the last lasts as the one before.
        pytest.param(
            ("08:00", "09:00", "10:15"),
            [(time(8, 0), time(9, 0)), (time(9, 0), time(10, 15)), (time(10, 15), time(11, 30))],
            id="starts",
        ),
    ],
)
def test_hour_names_that_are_times_give_the_grid(tmp_path, hours, spans):
    path = write_fet(
        tmp_path,
        hours=hours,
        activities=[{"id": n, "teachers": ["Prof A"], "subject": "Maths"} for n in (1, 2, 3)],
        placements=[(1, "Lundi", hours[0]), (2, "Lundi", hours[1]), (3, "Lundi", hours[2])],
    )
    source = read_fet(path, grid=[])
    assert [(c.start, c.end) for c in source.courses] == spans


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "précisez --grid"),
        (("--grid", "08:00-08:55,09:00-09:55"), "--grid donne 2 plage(s), le fichier FET a 3"),
        (("--grid", grid_option(3), "--days", "mon,tue"), "--days donne 2 jour(s)"),
        (("--grid", grid_option(3), "--days", "mon,mon,tue"), "tous différents"),
    ],
)
def test_days_and_grid_must_fit_the_fet_file(tmp_path, args, message):
    path = write_fet(
        tmp_path,
        hours=("1ª", "Recreo", "2ª"),
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Lundi", "1ª")],
    )
    with pytest.raises(CommandError) as refused:
        import_fet(path, "--from", "2025-09-08", "--to", "2025-09-12", *args)
    assert message in str(refused.value)
    assert "ecole_data_and_timetable.fet, ligne" in str(refused.value)
    assert not Establishment.objects.filter(uai=UAI).exists()


def test_more_than_seven_days_are_refused(tmp_path):
    path = write_fet(
        tmp_path,
        days=[f"J{n}" for n in range(1, 11)],
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "J8", "1")],
    )
    with pytest.raises(ParseError, match="10 jours"):
        read_fet(path)


@pytest.mark.django_db
def test_school_holidays_public_holidays_and_closures_have_no_occurrence(tmp_path):
    """Zone C (Paris): Toussaint from 20 to 31 October 2025, Armistice on Tuesday
    11 November, and a closure the establishment entered."""
    establishment = EstablishmentFactory(uai=UAI)
    Closure.objects.create(
        establishment=establishment,
        start_date=date(2025, 11, 18),
        end_date=date(2025, 11, 18),
        label="Journée pédagogique",
    )
    path = write_fet(
        tmp_path,
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]}],
        placements=[(1, "Mardi", "1")],
    )
    import_fet(path, "--from", "2025-10-13", "--to", "2025-11-28", "--grid", grid_option(4))
    dates = [
        e["date"]
        for e in export("--students-set", "3A2", start=date(2025, 10, 1), end=date(2025, 11, 30))
    ]
    assert dates == [date(2025, 10, 14), date(2025, 11, 4), date(2025, 11, 25)]
    course = Course.objects.get()
    assert course.provenance["jour"] == "Mardi"
    off = TimetableVersion.objects.get().metadata["days_off"]
    assert off["2025-11-11"] == "Armistice"
    assert off["2025-11-18"] == "Journée pédagogique"


@pytest.mark.django_db
def test_the_period_may_start_and_end_inside_a_week(tmp_path):
    path = write_fet(
        tmp_path,
        activities=[
            {"id": 1, "teachers": ["Prof A"], "subject": "Maths"},
            {"id": 2, "teachers": ["Prof A"], "subject": "Français"},
        ],
        placements=[(1, "Lundi", "1"), (2, "Mercredi", "1")],
    )
    import_fet(path, "--from", "2025-09-10", "--to", "2025-09-22", "--grid", grid_option(4))
    events = export("--teacher", "fet:Prof A", start=date(2025, 9, 1), end=date(2025, 9, 30))
    assert sorted((e["date"], e["summary"]) for e in events) == [
        (date(2025, 9, 10), "Français"),
        (date(2025, 9, 15), "Maths"),
        (date(2025, 9, 17), "Français"),
        (date(2025, 9, 22), "Maths"),
    ]


@pytest.mark.django_db
def test_without_dates_the_establishments_school_year_is_generated(tmp_path):
    year = SchoolYearFactory(establishment=EstablishmentFactory(uai=UAI))
    path = write_fet(
        tmp_path,
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Lundi", "1")],
    )
    import_fet(path, "--grid", grid_option(4))
    dates = sorted(Occurrence.objects.values_list("date", flat=True))
    assert year.start_date <= dates[0] < year.start_date + timedelta(days=21)
    assert year.end_date - timedelta(days=21) < dates[-1] <= year.end_date
    assert len(dates) > 20
    assert TimetableVersion.objects.get().school_year == year


@pytest.mark.django_db
def test_the_establishment_is_created_with_the_uai_and_the_institution_name(tmp_path):
    path = write_fet(
        tmp_path,
        institution="Collège\tJean  Moulin",
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Lundi", "1")],
    )
    with pytest.raises(CommandError, match="--uai"):
        import_fet(path, "--grid", grid_option(4), uai=None)
    import_fet(path, "--from", "2025-09-08", "--to", "2025-09-12", "--grid", grid_option(4))
    establishment = Establishment.objects.get(uai=UAI)
    assert establishment.name == "Collège Jean Moulin"
    assert establishment.holiday_zone == "C"
    year = SchoolYear.objects.get(establishment=establishment)
    assert (year.start_date, year.end_date) == (date(2025, 9, 8), date(2025, 9, 12))


@pytest.mark.django_db
def test_virtual_rooms_bring_their_real_rooms(tmp_path):
    path = write_fet(
        tmp_path,
        rooms=("Labo 1", "Labo 2", ("Labos", ["Labo 1", "Labo 2"])),
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]}],
        placements=[(1, "Lundi", "1", "Labos", ["Labo 1", "Labo 2"])],
    )
    import_fet(path, "--from", "2025-09-08", "--to", "2025-09-12", "--grid", grid_option(4))
    [event] = export("--students-set", "3A")
    assert set(event["location"].split(", ")) == {"Labos", "Labo 1", "Labo 2"}
    assert [e["summary"] for e in export("--room", "Labo 2")] == ["Maths"]


@pytest.mark.parametrize("which", ["folder", "data", "activities"])
def test_path_is_the_folder_or_one_of_its_files(tmp_path, which):
    folder = write_fet(
        tmp_path,
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Lundi", "1")],
    )
    path = {
        "folder": folder,
        "data": folder / "ecole_data_and_timetable.fet",
        "activities": folder / "ecole_activities.xml",
    }[which]
    assert list(by_key(read_fet(path))) == ["1"]


@pytest.mark.django_db
def test_reimporting_the_same_timetable_changes_nothing(tmp_path):
    """Courses are keyed by activity id and occurrences by activity and date: the same
    export imported again is a new version with every occurrence unchanged."""
    path = write_fet(
        tmp_path,
        activities=[
            {"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]},
            {"id": 2, "teachers": ["Prof B"], "subject": "Français", "students": ["3e"]},
        ],
        placements=[(1, "Lundi", "1"), (2, "Mardi", "2")],
    )
    args = ("--from", "2025-09-08", "--to", "2025-09-19", "--grid", grid_option(4), "--json")
    first = json.loads(import_fet(path, *args))
    second = json.loads(import_fet(path, *args))
    assert first["diff"]["added"] == 4
    assert second["version"] == 2
    assert (second["diff"]["added"], second["diff"]["unchanged"]) == (0, 4)
    assert second["matched"] == {"subjects": 2, "teachers": 2, "groups": 2}
    assert Person.objects.count() == 2


@pytest.mark.django_db
def test_dry_run_writes_nothing_not_even_the_establishment(tmp_path):
    path = write_fet(
        tmp_path,
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Lundi", "1")],
    )
    out = import_fet(
        path, "--dry-run", "--from", "2025-09-08", "--to", "2025-09-12", "--grid", grid_option(4)
    )
    assert "APERÇU" in out
    assert not Establishment.objects.exists()
    assert not Occurrence.objects.exists()


# -- Refused files --------------------------------------------------------------------

GOOD_ACTIVITIES = [
    {"id": 1, "teachers": ["Prof A"], "subject": "Maths", "students": ["3A"]},
    {"id": 2, "teachers": ["Prof B"], "subject": "Français", "students": ["3e"], "duration": 2},
]
GOOD_PLACEMENTS = [(1, "Lundi", "1"), (2, "Mardi", "2")]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def _snapshot() -> dict:
    models = (Establishment, SchoolYear, Person, Subject, Room, Group, Division)
    models += (Course, Occurrence, TimetableVersion, ImportRun)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        pytest.param(
            lambda f: _truncate(f / "ecole_data_and_timetable.fet"),
            "ecole_data_and_timetable.fet, ligne",
            "XML invalide ou tronqué",
            id="truncated-data",
        ),
        pytest.param(
            lambda f: _truncate(f / "ecole_activities.xml"),
            "ecole_activities.xml, ligne",
            "XML invalide ou tronqué",
            id="truncated-placement",
        ),
        pytest.param(
            {"placements": [(1, "Samedi", "1"), (2, "Mardi", "2")]},
            "ecole_activities.xml, ligne 3",
            "<Activity> Id 1 : le jour « Samedi » n'est pas dans <Days_List>",
            id="unknown-day",
        ),
        pytest.param(
            {"placements": [(1, "Lundi", "1"), (2, "Mardi", "9")]},
            "ecole_activities.xml, ligne 9",
            "<Activity> Id 2 : l'heure « 9 » n'est pas dans <Hours_List>",
            id="unknown-hour",
        ),
        pytest.param(
            {"placements": [(1, "Lundi", "1"), (2, "Mardi", "4")]},
            "ecole_activities.xml, ligne 9",
            "<Activity> Id 2 : commence à l'heure « 4 » et dure 2 heure(s)",
            id="beyond-the-last-hour",
        ),
        pytest.param(
            {"placements": [*GOOD_PLACEMENTS, (99, "Lundi", "2")]},
            "ecole_activities.xml, ligne 15",
            "<Activity> Id 99 : aucune activité de cet Id",
            id="unknown-activity",
        ),
        pytest.param(
            {"placements": [*GOOD_PLACEMENTS, (1, "Lundi", "2")]},
            "ecole_activities.xml, ligne 15",
            "<Activity> Id 1 : placée deux fois",
            id="placed-twice",
        ),
        pytest.param(
            {"activities": [*GOOD_ACTIVITIES, {"id": 3, "teachers": ["Prof Z"]}]},
            "ecole_data_and_timetable.fet, ligne",
            "<Activity> Id 3 cite l'enseignant « prof z »",
            id="undeclared-teacher",
        ),
        pytest.param(
            {"placements": [(1, "Lundi", "1", "Salle 404"), (2, "Mardi", "2")]},
            "ecole_activities.xml, ligne 3",
            "la salle « Salle 404 » n'est pas dans <Rooms_List>",
            id="undeclared-room",
        ),
        pytest.param(
            lambda f: (f / "ecole_activities.xml").unlink(),
            "ecole_activities.xml",
            "fichier introuvable",
            id="no-placement-file",
        ),
    ],
)
def test_a_refused_file_names_its_fault_and_changes_nothing(tmp_path, change, where, message):
    """Given an establishment with a timetable, a faulty FET export is refused with the
    file, line and element at fault, and the database is left as it was."""
    good = write_fet(tmp_path / "good", activities=GOOD_ACTIVITIES, placements=GOOD_PLACEMENTS)
    args = ("--from", "2025-09-08", "--to", "2025-09-19", "--grid", grid_option(4))
    import_fet(good, *args)
    if callable(change):
        bad = write_fet(tmp_path / "bad", activities=GOOD_ACTIVITIES, placements=GOOD_PLACEMENTS)
        change(bad)
    else:
        bad = write_fet(
            tmp_path / "bad",
            **{"activities": GOOD_ACTIVITIES, "placements": GOOD_PLACEMENTS, **change},
        )
    before = _snapshot()
    for uai in (UAI, valid_uai("075", 9002)):  # a known establishment, and a new one
        with pytest.raises(CommandError) as refused:
            import_fet(bad, *args, uai=uai)
        assert where in str(refused.value)
        assert message in str(refused.value)
        assert _snapshot() == before


def test_errors_name_the_line_of_the_element(tmp_path):
    """The line given is the one the element starts on, in the file named."""
    path = write_fet(
        tmp_path, activities=GOOD_ACTIVITIES, placements=[(1, "Lundi", "1"), (2, "Mardi", "4")]
    )
    lines = (path / "ecole_activities.xml").read_text().splitlines()
    with pytest.raises(ParseError, match=r"ecole_activities\.xml, ligne (\d+)") as refused:
        read_fet(path)
    line = int(str(refused.value).split("ligne ")[1].split(" ")[0])
    assert lines[line - 1] == "<Activity>"
    assert lines[line] == "\t<Id>2</Id>"


def test_an_activity_placed_in_the_morning_has_a_clock_time_from_the_grid(tmp_path):
    """Sanity of the dating: course times are the grid's, on the weekday of its day."""
    path = write_fet(
        tmp_path,
        activities=[{"id": 1, "teachers": ["Prof A"], "subject": "Maths"}],
        placements=[(1, "Mercredi", "3")],
    )
    [course] = read_fet(path).courses
    assert (course.weekday, course.start, course.end) == (3, time(10, 0), time(10, 55))
    monday = date(2025, 9, 8)
    assert all(
        r.weeks == frozenset({monday, monday + timedelta(weeks=1)}) for r in course.resources
    )
