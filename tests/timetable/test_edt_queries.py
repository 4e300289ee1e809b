"""The week views read a fixed number of queries, whatever a pupil belongs to: a pupil
in one division only and a pupil with class parts, groups, a listed membership and a
change of division mid-year cost the same (DEVELOPERS.md: pinned queries)."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from preau.core.models import ExternalId
from preau.structure.models import Division
from preau.timetable import selectors
from preau.timetable.models import Room
from tests.timetable.edt_reference import Cours, EdtFile, mask

pytestmark = pytest.mark.django_db

ALL = mask(*range(1, 7))
WEEK = (date(2013, 9, 23), date(2013, 9, 29))  # week 4
# pupil_units: enrolments, class parts, groups listed, groups of the divisions, groups
# of the class parts; then the occurrences (with subject, course, origin) and their
# teachers, rooms and audience.
PUPIL_WEEK_QUERIES = 9


@pytest.fixture
def school(tmp_path):
    whole = ("2013-09-02", "2014-07-04")
    edt = EdtFile(
        teachers={"1": ("DUPONT", "Anne"), "2": ("MARTIN", "Paul"), "3": ("LEROY", "Claire")},
        divisions={"10": ("3A", ["101", "102"]), "11": ("3B", ["111", "112"])},
        groups={
            "20": ("3A LATIN", [("PartieDeClasse", "101")]),
            "21": ("3AB GREC", [("PartieDeClasse", "102"), ("PartieDeClasse", "111")]),
            "22": ("3B SPORT", [("Classe", "11")]),
            "23": ("ATELIER", [("Eleve", "2")]),
        },
        rooms={"30": "B12", "31": "B14"},
        pupils={
            # One division, nothing else.
            "1": ("SIMPLE", "Léa", [("Classe", "10", *whole)]),
            # Two divisions (a change on 20 September), three class parts, a group of
            # whole divisions, and listed directly in a group.
            "2": (
                "CHARGEE",
                "Inès",
                [
                    ("Classe", "10", "2013-09-02", "2013-09-19"),
                    ("PartieDeClasse", "101", "2013-09-02", "2013-09-19"),
                    ("PartieDeClasse", "102", "2013-09-02", "2013-09-19"),
                    ("Classe", "11", "2013-09-20", "2014-07-04"),
                    ("PartieDeClasse", "111", "2013-09-20", "2014-07-04"),
                ],
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
                resources=[("Professeur", "2", ALL), ("Classe", "11", ALL), ("Salle", "31", ALL)],
            ),
            Cours(
                day=2,
                place=0,
                resources=[
                    ("Professeur", "1", ALL),
                    ("Professeur", "3", ALL),
                    ("Groupe", "20", ALL),
                ],
            ),
            Cours(
                day=2,
                place=1,
                resources=[("Professeur", "2", ALL), ("Groupe", "21", ALL), ("Salle", "30", ALL)],
            ),
            Cours(day=3, place=0, resources=[("Professeur", "3", ALL), ("Groupe", "22", ALL)]),
            Cours(
                day=3,
                place=1,
                resources=[("Professeur", "3", ALL), ("Groupe", "23", ALL), ("Salle", "31", ALL)],
            ),
        ],
    )
    out = StringIO()
    path = edt.write(tmp_path)
    call_command("import_timetable", "--format", "edt", "--json", str(path), stdout=out)
    assert json.loads(out.getvalue())["counts"]["occurrences"] == 36


def person(ident: str, kind: str = "pupil") -> int:
    return ExternalId.objects.get(source="edt", kind=kind, value=ident).person_id


def shown(occurrences) -> list[tuple]:
    """Everything a week view shows of each occurrence."""
    return [
        (
            o.start,
            o.subject.label if o.subject else o.label,
            [t.formal_name for t in o.teachers.all()],
            [r.name for r in o.rooms.all()],
            selectors.audience_label(o),
            o.course.provenance.get("ligne") if o.course else None,
            o.origin_id and o.origin.subject,
            o.status,
        )
        for o in occurrences
    ]


@pytest.mark.usefixtures("school")
@pytest.mark.parametrize(("ident", "count"), [("1", 1), ("2", 4)])
def test_pupil_week_view_queries(django_assert_num_queries, ident, count):
    pupil = person(ident)
    with django_assert_num_queries(PUPIL_WEEK_QUERIES):
        rows = shown(selectors.pupil_occurrences(pupil, *WEEK))
    assert len(rows) == count


@pytest.mark.usefixtures("school")
def test_pupil_views_cost_the_same_over_a_longer_period(django_assert_num_queries):
    pupil = person("2")
    with django_assert_num_queries(PUPIL_WEEK_QUERIES):
        rows = shown(selectors.pupil_occurrences(pupil, date(2013, 9, 2), date(2013, 10, 13)))
    # Weeks 1–3 in 3A (Monday, LATIN, GREC, ATELIER), then in 3B: Monday, GREC,
    # SPORT, ATELIER.
    assert len(rows) == 3 * 4 + 3 * 4


@pytest.mark.usefixtures("school")
@pytest.mark.parametrize("ident", ["1", "3"])
def test_teacher_week_view_queries(django_assert_num_queries, ident):
    teacher = person(ident, "teacher")
    with django_assert_num_queries(4):
        rows = shown(selectors.teacher_occurrences(teacher, *WEEK))
    assert rows


@pytest.mark.usefixtures("school")
def test_room_week_view_queries(django_assert_num_queries):
    room = Room.objects.get(name="B12").pk
    with django_assert_num_queries(4):
        rows = shown(selectors.room_occurrences(room, *WEEK))
    assert len(rows) == 2


@pytest.mark.usefixtures("school")
@pytest.mark.parametrize("name", ["3A", "3B"])
def test_division_week_view_queries(django_assert_num_queries, name):
    division = Division.objects.get(name=name)
    with django_assert_num_queries(PUPIL_WEEK_QUERIES + 1):
        rows = shown(selectors.division_occurrences(division, WEEK[0], WEEK[0] + timedelta(days=6)))
    assert rows
