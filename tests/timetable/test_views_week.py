"""The week and day pages: each person sees exactly their timetable (timetable.md, "Views
that must be exact"), staff choose whose timetable to look at within what they may see,
anything else answers 404, and the pages families and teachers open most have a fixed
number of queries."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.core.models import RoleKind
from preau.timetable.models import OccurrenceStatus
from preau.timetable.services import (
    occurrence_change_room,
    occurrence_move,
    occurrence_replace,
    occurrence_set_status,
)
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    OccurrenceFactory,
    RoomFactory,
    pupil_in,
    staff_account,
)
from tests.timetable.views_support import School

pytestmark = pytest.mark.django_db

HOME = reverse("timetable:home")

# Session, account, person, roles, children (SpaceMiddleware); then the page: the
# establishment (time zone, Saturday classes), the pupil's units (five queries), the
# occurrences with teachers, rooms and audience, and the sessions they moved to.
PUPIL_WEEK_QUERIES = 16
# The same for the active child.
GUARDIAN_WEEK_QUERIES = 16
# Session, account, person, roles, head-teacher divisions, children; then the
# establishment, the occurrences with teachers, rooms, audience and successors.
TEACHER_WEEK_QUERIES = 12


@pytest.fixture
def school():
    return School()


def subjects_on(response) -> list[str]:
    """The sessions of the page, by subject, in the order shown."""
    return [
        placed.item.subject for column in response.context["columns"] for placed in column.cards
    ]


# -- Who sees what --------------------------------------------------------------------------


def test_a_pupil_sees_exactly_her_sessions_and_not_the_other_half_of_her_class(client, school):
    log_in(client, school.emma.account)

    response = client.get(school.week(HOME))

    assert response.status_code == 200
    assert sorted(subjects_on(response)) == ["Français", "Latin", "Physique-chimie"]
    content = response.content.decode()
    assert "Mon emploi du temps" in content
    assert "SVT" not in content
    assert "Mathématiques" not in content


def test_the_other_half_of_the_class_sees_its_own_session(client, school):
    log_in(client, school.berger.account)

    response = client.get(school.week(HOME))

    assert sorted(subjects_on(response)) == ["Français", "SVT"]


def test_a_guardian_sees_the_active_child_and_switches_to_the_other(client, school):
    log_in(client, school.parent)
    lycee_session = OccurrenceFactory(
        school_year=school.lycee_division.school_year,
        date=school.monday + timedelta(days=3),
        divisions=[school.lycee_division],
    )

    first = client.get(school.week(HOME))
    assert "Emploi du temps de Emma Roche" in first.content.decode()
    assert sorted(subjects_on(first)) == ["Français", "Latin", "Physique-chimie"]

    switched = client.post(
        reverse("portal:switch_child"), {"child": school.lucas.pk, "next": school.week(HOME)}
    )
    assert switched.url == school.week(HOME)
    second = client.get(switched.url)
    assert "Emploi du temps de Lucas Lambert" in second.content.decode()
    assert subjects_on(second) == [lycee_session.subject.label]


def test_a_teacher_sees_her_sessions_with_whom_they_are_for(client, school):
    log_in(client, school.teacher)

    response = client.get(school.week(HOME))

    assert subjects_on(response) == ["Mathématiques", "Latin"]
    audiences = [p.item.audience for c in response.context["columns"] for p in c.cards]
    assert audiences == ["4A", "Latin 4e"]


def test_a_division_page_labels_the_sessions_of_part_of_the_division(client, school):
    log_in(client, school.cpe)

    response = client.get(school.week(reverse("timetable:division", args=[school.b4.pk])))

    cards = {p.item.subject: p.item for c in response.context["columns"] for p in c.cards}
    assert set(cards) == {"Physique-chimie", "SVT", "Français", "Latin"}
    assert cards["Physique-chimie"].audience == "4B G1"
    assert cards["SVT"].audience == "4B G2"
    assert cards["Latin"].audience == "Latin 4e"
    assert cards["Français"].audience == ""
    # G1 and G2 at the same time sit side by side.
    monday = response.context["columns"][0].cards
    assert sorted((p.lane, p.lanes) for p in monday) == [(0, 2), (1, 2)]


def test_a_room_page_shows_the_sessions_held_there(client, school):
    log_in(client, school.direction)

    response = client.get(school.week(reverse("timetable:room", args=[school.r101.pk])))

    assert subjects_on(response) == ["Mathématiques", "Latin"]


def test_staff_see_a_pupil_and_a_teacher(client, school):
    log_in(client, school.cpe)

    pupil = client.get(school.week(reverse("timetable:pupil", args=[school.berger.pk])))
    teacher = client.get(school.week(reverse("timetable:teacher", args=[school.teacher.person_id])))

    assert sorted(subjects_on(pupil)) == ["Français", "SVT"]
    assert "Classe 4B" in pupil.content.decode()
    assert subjects_on(teacher) == ["Mathématiques", "Latin"]


def test_a_teacher_sees_the_divisions_she_teaches_and_their_pupils(client, school):
    log_in(client, school.teacher)

    division = client.get(school.week(reverse("timetable:division", args=[school.a4.pk])))
    pupil = client.get(school.week(reverse("timetable:pupil", args=[school.dumas.pk])))
    latinist = client.get(school.week(reverse("timetable:pupil", args=[school.emma.pk])))

    assert subjects_on(division) == ["Mathématiques"]
    assert subjects_on(pupil) == ["Mathématiques"]
    assert latinist.status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "division not taught",
        "pupil not taught",
        "another establishment's division",
        "a room",
        "another teacher",
    ],
)
def test_a_teacher_gets_404_for_what_she_does_not_teach(client, school, target, caplog):
    log_in(client, school.teacher)
    url = {
        "division not taught": reverse("timetable:division", args=[school.c4.pk]),
        "pupil not taught": reverse("timetable:pupil", args=[school.berger.pk]),
        "another establishment's division": reverse(
            "timetable:division", args=[school.lycee_division.pk]
        ),
        "a room": reverse("timetable:room", args=[school.r101.pk]),
        "another teacher": reverse("timetable:teacher", args=[school.other_teacher.person_id]),
    }[target]

    with caplog.at_level(logging.INFO, logger="preau.access"):
        response = client.get(url)

    assert response.status_code == 404
    assert "refused" in caplog.text


def test_the_vie_scolaire_gets_404_for_another_establishment(client, school):
    log_in(client, school.cpe)
    elsewhere = DivisionFactory()
    far_pupil = pupil_in(elsewhere)
    far_room = RoomFactory()

    for url in (
        reverse("timetable:division", args=[elsewhere.pk]),
        reverse("timetable:pupil", args=[far_pupil.pk]),
        reverse("timetable:room", args=[far_room.pk]),
        reverse("timetable:teacher", args=[staff_account(elsewhere.establishment).person_id]),
    ):
        assert client.get(url).status_code == 404, url


def test_families_and_pupils_have_no_staff_timetables(client, school):
    log_in(client, school.parent)
    for url in (
        reverse("timetable:pupil", args=[school.lucas.pk]),
        reverse("timetable:pupil", args=[school.berger.pk]),
        reverse("timetable:division", args=[school.b4.pk]),
        reverse("timetable:chooser"),
    ):
        assert client.get(url).status_code == 404, url


# -- The chooser ----------------------------------------------------------------------------


def test_the_vie_scolaire_lands_on_the_chooser_and_finds_a_pupil(client, school):
    log_in(client, school.cpe)

    home = client.get(HOME)
    found = client.get(reverse("timetable:chooser"), {"q": "roche"})

    content = home.content.decode()
    assert reverse("timetable:division", args=[school.b4.pk]) in content
    assert reverse("timetable:teacher", args=[school.teacher.person_id]) in content
    assert reverse("timetable:room", args=[school.lab.pk]) in content
    assert [pupil for pupil, _division in found.context["pupils"]] == [school.emma]


def test_a_teachers_chooser_holds_only_what_she_teaches(client, school):
    log_in(client, school.teacher)

    response = client.get(reverse("timetable:chooser"))

    # 4A as a whole, 4B through the Latin group drawn from its part G1.
    assert [d.name for d in response.context["divisions"]] == ["4A", "4B"]
    assert response.context["teachers"] == []
    assert response.context["rooms"] == []
    for name, found in (("Roche", [school.emma]), ("Dumas", [school.dumas]), ("Berger", [])):
        response = client.get(reverse("timetable:chooser"), {"q": name})
        assert [pupil for pupil, _division in response.context["pupils"]] == found, name


def test_the_chooser_search_answers_htmx_with_the_results_only(client, school):
    log_in(client, school.direction)

    response = client.get(
        reverse("timetable:chooser"),
        {"q": "4B"},
        headers={"HX-Request": "true", "HX-Target": "chooser-results"},
    )

    content = response.content.decode()
    assert "<h1>" not in content
    assert 'id="chooser-results"' in content
    assert [d.name for d in response.context["divisions"]] == ["4B"]


# -- Weeks and days ---------------------------------------------------------------------------


def test_week_navigation_links_and_htmx_partial(client, school):
    log_in(client, school.emma.account)

    full = client.get(school.week(HOME))
    partial = client.get(school.week(HOME), headers={"HX-Request": "true"})

    previous = (school.monday - timedelta(days=7)).isoformat()
    following = (school.monday + timedelta(days=7)).isoformat()
    content = full.content.decode()
    assert f'href="{HOME}?semaine={previous}"' in content
    assert f'hx-get="{HOME}?semaine={following}"' in content
    assert 'hx-push-url="true"' in content
    assert "<html" in content
    assert "<html" not in partial.content.decode()
    assert 'id="timetable"' in partial.content.decode()
    assert "data-autofocus" in partial.content.decode()
    assert "HX-Request" in full["Vary"]
    # Going back in the browser's history after htmx swaps asks for the whole page.
    restored = client.get(
        school.week(HOME), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restored.content.decode()


def test_any_day_of_the_week_gives_the_week_and_a_day_gives_the_day(client, school):
    log_in(client, school.emma.account)
    wednesday = (school.monday + timedelta(days=2)).isoformat()

    week = client.get(HOME, {"semaine": wednesday})
    day = client.get(HOME, {"jour": wednesday})

    assert week.context["period"].start == school.monday
    assert [c.day.weekday() for c in week.context["columns"]] == [0, 1, 2, 3, 4]
    assert subjects_on(day) == ["Latin"]
    assert f"?jour={(school.monday + timedelta(days=3)).isoformat()}" in day.content.decode()


def test_an_unreadable_date_shows_this_week(client, school):
    log_in(client, school.emma.account)

    response = client.get(HOME, {"semaine": "demain"})

    assert response.status_code == 200
    assert response.context["is_current"]


def test_a_saturday_session_adds_the_saturday(client, school):
    log_in(client, school.emma.account)
    school.session(5, 9, school.french, [], [], divisions=[school.b4])

    response = client.get(school.week(HOME))

    assert [c.day.weekday() for c in response.context["columns"]] == [0, 1, 2, 3, 4, 5]


# -- Statuses -----------------------------------------------------------------------------------


def test_every_status_has_its_own_words(client, school):
    log_in(client, school.emma.account)
    occurrence_set_status(
        actor=None, occurrence=school.french_4b, status=OccurrenceStatus.CANCELLED
    )
    occurrence_set_status(
        actor=None, occurrence=school.physics_g1, status=OccurrenceStatus.TEACHER_ABSENT
    )
    occurrence_change_room(actor=None, occurrence=school.latin_session, rooms=[school.r102])
    extra = [
        school.session(
            3, hour, school.french, [school.other_teacher.person], [], divisions=[school.b4]
        )
        for hour in (8, 9, 10)
    ]
    moved = occurrence_move(
        actor=None,
        occurrence=extra[0],
        start=extra[0].start + timedelta(days=1, hours=6),
        end=extra[0].end + timedelta(days=1, hours=6),
    )
    occurrence_replace(actor=None, occurrence=extra[1], teachers=[school.teacher.person])
    OccurrenceFactory(
        school_year=school.year,
        date=school.monday + timedelta(days=4),
        hour=16,
        status=OccurrenceStatus.EXCEPTIONAL,
        label="Sortie au musée",
        subject=None,
        divisions=[school.b4],
    )

    response = client.get(school.week(HOME))

    content = response.content.decode()
    for label in (
        "Annulé",
        "Prof. absent",
        "Changement de salle",
        "Déplacé",
        "Remplacé",
        "Remplacement",
        "Exceptionnel",
        "Nouvel horaire",
    ):
        assert f">{label}</span>" in content, label
    cards = {p.item.occurrence.pk: p.item for c in response.context["columns"] for p in c.cards}
    assert cards[extra[0].pk].detail == "reporté au vendredi " + moved_day(moved) + " à 14:00"
    assert cards[moved.pk].detail == "au lieu du jeudi " + moved_day(extra[0]) + " à 08:00"
    assert "session--cancelled" in content
    assert cards[extra[2].pk].label == ""


def moved_day(occurrence) -> str:
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    return f"{occurrence.date.day} {months[occurrence.date.month - 1]}"


# -- Query counts -------------------------------------------------------------------------------


def fill_week(school, count: int) -> None:
    """`count` more sessions for 4B and the teacher in the week, some with changes."""
    for n in range(count):
        occurrence = school.session(
            n % 5,
            8 + n // 5 % 9,
            school.french,
            [school.teacher.person, school.other_teacher.person],
            [school.r101, school.r102],
            divisions=[school.b4, school.a4],
        )
        if n % 7 == 3:
            occurrence_set_status(
                actor=None, occurrence=occurrence, status=OccurrenceStatus.CANCELLED
            )


# Whose week, the account reading it, the page's queries, the sessions beside those added.
WEEKS = {
    "pupil": (lambda school: school.emma.account, PUPIL_WEEK_QUERIES, 3),
    "guardian": (lambda school: school.parent, GUARDIAN_WEEK_QUERIES, 3),
    "teacher": (lambda school: school.teacher, TEACHER_WEEK_QUERIES, 2),
}


@pytest.mark.parametrize("count", [5, 40])
@pytest.mark.parametrize("reader", WEEKS)
def test_a_week_has_a_fixed_number_of_queries(
    client, school, reader, count, django_assert_num_queries
):
    account, queries, already = WEEKS[reader]
    fill_week(school, count)
    log_in(client, account(school))
    client.get(HOME)

    with django_assert_num_queries(queries):
        response = client.get(school.week(HOME))

    assert len(subjects_on(response)) == already + count


def test_a_teacher_in_two_establishments_sees_the_sessions_of_the_active_one(client, school):
    elsewhere = DivisionFactory()
    school.teacher.person.roles.create(establishment=elsewhere.establishment, kind=RoleKind.TEACHER)
    OccurrenceFactory(
        school_year=elsewhere.school_year,
        date=school.monday,
        hour=15,
        teachers=[school.teacher.person],
        divisions=[elsewhere],
    )
    log_in(client, school.teacher)
    client.post(reverse("portal:switch_space"), {"space": f"staff:{school.establishment.uai}"})

    response = client.get(school.week(HOME))

    assert subjects_on(response) == ["Mathématiques", "Latin"]
