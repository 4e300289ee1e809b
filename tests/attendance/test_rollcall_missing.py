"""The roll calls not taken (attendance.md): occurrences that started more than the
establishment's delay ago (15 minutes by default) and take place, without a roll call,
per teacher, live for the vie scolaire, for today or a past day."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.attendance import services
from preau.attendance.models import AttendancePolicy
from preau.timetable.models import OccurrenceStatus
from tests.attendance.test_rollcall_support import School, stop_clock
from tests.conftest import log_in
from tests.factories import OccurrenceFactory, PersonFactory, pupil_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return stop_clock(monkeypatch)


@pytest.fixture
def school(clock):
    return School(clock.day)


MISSING = reverse("attendance:missing")


@pytest.fixture
def cpe_client(client, school):
    log_in(client, school.cpe)
    return client


def listed(response) -> list:
    """The occurrences listed, per teacher's name."""
    return [
        (
            group["teacher"].last_name if group["teacher"] else None,
            [item["occurrence"] for item in group["occurrences"]],
        )
        for group in response.context["teachers"]
    ]


def occurrences_listed(response) -> set:
    return {o for _teacher, occurrences in listed(response) for o in occurrences}


def test_a_roll_call_counts_as_not_taken_after_fifteen_minutes(cpe_client, school, clock):
    # At 10:20: started 16 minutes ago, and 14 minutes ago.
    late = school.session(10, 4, school.maths, [school.teacher.person], divisions=[school.a4])
    recent = school.session(10, 6, school.maths, [school.teacher.person], divisions=[school.a4])

    shown = occurrences_listed(cpe_client.get(MISSING))

    assert late in shown
    assert recent not in shown
    clock.set(10, 22)
    assert recent in occurrences_listed(cpe_client.get(MISSING))


def test_the_delay_is_the_establishments(cpe_client, school, clock):
    AttendancePolicy.objects.create(establishment=school.establishment, roll_call_grace_minutes=5)
    recent = school.session(10, 6, school.maths, [school.teacher.person], divisions=[school.a4])

    response = cpe_client.get(MISSING)

    assert recent in occurrences_listed(response)
    assert "plus de 5 minutes" in html.unescape(response.content.decode())


def test_sessions_are_grouped_per_teacher(cpe_client, school):
    listed_now = listed(cpe_client.get(MISSING))

    # 08:00 Klein's 4A maths and 10:00 Schmitt's 4B maths; Latin at 11:00 not yet.
    assert listed_now == [("Klein", [school.maths_4a]), ("Schmitt", [school.maths_4b])]


def test_a_co_taught_session_is_under_each_teacher(cpe_client, school):
    shared = school.session(
        9,
        0,
        school.maths,
        [school.teacher.person, school.other_teacher.person],
        divisions=[school.a4],
    )

    groups = dict(listed(cpe_client.get(MISSING)))

    assert shared in groups["Klein"]
    assert shared in groups["Schmitt"]
    assert cpe_client.get(MISSING).context["count"] == 3


def test_a_roll_call_taken_even_with_nobody_absent_leaves_the_list(cpe_client, school):
    services.roll_call_record(
        actor=school.teacher, occurrence=school.maths_4b, entries={}, audience={}
    )

    assert listed(cpe_client.get(MISSING)) == [("Klein", [school.maths_4a])]


@pytest.mark.parametrize(
    "status",
    [
        OccurrenceStatus.CANCELLED,
        OccurrenceStatus.MOVED,
        OccurrenceStatus.REPLACED,
        OccurrenceStatus.TEACHER_ABSENT,
    ],
)
def test_sessions_not_held_or_without_their_teacher_owe_no_roll_call(cpe_client, school, status):
    school.maths_4b.status = status
    school.maths_4b.save()

    assert school.maths_4b not in occurrences_listed(cpe_client.get(MISSING))


def test_sessions_without_anybody_expected_are_left_out(cpe_client, school):
    school.session(9, 0, school.maths, [school.teacher.person])

    assert listed(cpe_client.get(MISSING)) == [
        ("Klein", [school.maths_4a]),
        ("Schmitt", [school.maths_4b]),
    ]


def test_a_session_without_a_teacher_is_listed_apart(cpe_client, school):
    orphan = school.session(9, 0, school.maths, [], divisions=[school.a4])

    assert listed(cpe_client.get(MISSING))[-1] == (None, [orphan])


def test_another_establishment_is_not_listed(cpe_client, school):
    OccurrenceFactory(date=school.day, hour=8, teachers=[PersonFactory()], pupils=[school.dumas])

    assert len(occurrences_listed(cpe_client.get(MISSING))) == 2


def test_a_past_day_lists_every_session_without_a_roll_call(cpe_client, school):
    yesterday = school.day - timedelta(days=1)
    forgotten = school.session(
        16, 0, school.maths, [school.teacher.person], day=yesterday, divisions=[school.a4]
    )

    response = cpe_client.get(f"{MISSING}?jour={yesterday.isoformat()}")

    assert listed(response) == [("Schmitt", [forgotten])]
    assert 'hx-trigger="every 60s"' not in response.content.decode()


def test_a_future_day_lists_nothing(cpe_client, school):
    tomorrow = school.day + timedelta(days=1)
    school.session(8, 0, school.maths, [school.teacher.person], day=tomorrow, divisions=[school.a4])

    assert listed(cpe_client.get(f"{MISSING}?jour={tomorrow.isoformat()}")) == []


def test_today_refreshes_itself_every_minute_through_htmx(cpe_client, school):
    page = cpe_client.get(MISSING)
    partial = cpe_client.get(MISSING, HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 60s"' in page.content.decode()
    assert "<html" not in partial.content.decode()
    assert partial.content.decode().startswith('<section id="missing"')
    assert "Liste à jour à 10:20" in partial.content.decode()


def test_each_session_links_to_its_roll_call_for_the_office(cpe_client, school):
    response = cpe_client.get(MISSING)
    url = reverse("attendance:roll_call_take", args=[school.maths_4b.pk])

    assert f'href="{url}"' in response.content.decode()
    assert cpe_client.get(url).status_code == 200


@pytest.mark.parametrize("reader", ["teacher", "pupil", "parent"])
def test_only_the_office_sees_the_list(client, school, reader):
    account = {
        "teacher": school.teacher,
        "pupil": school.emma.account,
        "parent": school.parent,
    }[reader]
    log_in(client, account)

    assert client.get(MISSING).status_code == 404


@pytest.mark.parametrize("reader", ["direction", "aed"])
def test_the_direction_and_the_assistants_see_it(client, school, reader):
    log_in(client, getattr(school, reader))

    assert client.get(MISSING).status_code == 200


# Five queries for the shell (session, account, person, roles, children; the CPE heads
# no division); the establishment's time zone and delay; the occurrences with their
# teachers, rooms and audience.
MISSING_QUERIES = 11


@pytest.mark.parametrize("count", [1, 15])
def test_the_list_has_a_fixed_number_of_queries(
    cpe_client, school, count, django_assert_num_queries
):
    for minute in range(count):
        teacher = PersonFactory()
        pupil = pupil_in(school.a4)
        school.session(9, minute, school.maths, [teacher], pupils=[pupil])
    cpe_client.get(MISSING)

    with django_assert_num_queries(MISSING_QUERIES):
        response = cpe_client.get(MISSING)

    assert response.context["count"] == count + 2
