"""The roll call pages: a teacher's day with the state of each roll call, one roll call
with exactly the occurrence's pupils of the day and what the office already knows of
them, the plain form that works without JavaScript, who may open what (anything else
answers 404), and a fixed number of queries whatever the number of pupils."""

import html
import logging
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.attendance import services
from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
    EventKind,
    Mark,
    RollCall,
    RollCallEntry,
)
from preau.attendance.selectors.roll_calls import expected_pupils, roll_call_occurrence
from preau.core.models import RoleKind
from preau.timetable.models import OccurrenceStatus
from tests.attendance.test_rollcall_support import School, at, stop_clock, take_url
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    SubjectFactory,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    return stop_clock(monkeypatch)


@pytest.fixture
def school(clock):
    return School(clock.day)


LIST = reverse("attendance:roll_call")
NOW = reverse("attendance:roll_call_now")


def text(response) -> str:
    """The page as a person reads it (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


def names_on(response) -> list[str]:
    return [row["pupil"].sort_name for row in response.context["rows"]]


def record(actor, occurrence, entries=None):
    """Record a roll call through the service, with the occurrence's whole audience."""
    loaded = roll_call_occurrence(occurrence.pk)
    audience = {p.pk: p for p in expected_pupils(loaded)}
    return services.roll_call_record(
        actor=actor, occurrence=loaded, entries=entries or {}, audience=audience
    )


# -- A teacher's day -------------------------------------------------------------------


def test_a_teacher_sees_the_sessions_she_teaches_today_the_current_one_first(client, school):
    school.session(8, 0, school.maths, [school.teacher.person], divisions=[school.b4])
    log_in(client, school.teacher)

    response = client.get(LIST)

    assert response.status_code == 200
    items = [row["item"] for row in response.context["rows"]]
    assert [item.occurrence.start for item in items] == [
        at(school.day, 10),
        at(school.day, 8),
        at(school.day, 11),
    ]
    assert items[0].current
    assert not items[1].current
    assert school.maths_4a not in [item.occurrence for item in items]
    content = text(response)
    assert "en cours" in content
    assert content.count("Appel à faire") == 3


def test_the_day_list_tells_which_roll_calls_are_taken_with_their_counts(client, school):
    record(
        school.teacher,
        school.maths_4b,
        {
            school.emma.pk: services.Entry(Mark.ABSENT),
            school.berger.pk: services.Entry(Mark.LATE, 5),
        },
    )
    log_in(client, school.teacher)

    content = text(client.get(LIST))

    assert "Appel fait" in content
    assert "à 10:20 — 1 absent, 1 retard" in content
    assert content.count("Appel à faire") == 1


def test_a_cancelled_session_is_listed_without_a_roll_call(client, school):
    school.latin_g1.status = OccurrenceStatus.CANCELLED
    school.latin_g1.save()
    log_in(client, school.teacher)

    response = client.get(LIST)

    cancelled = next(r for r in response.context["rows"] if r["item"].occurrence == school.latin_g1)
    assert not cancelled["item"].recordable
    assert "Pas d'appel." in text(response)
    assert take_url(school.latin_g1) not in text(response)


def test_another_day_is_chosen_in_the_address(client, school):
    yesterday = school.day - timedelta(days=1)
    forgotten = school.session(
        9, 0, school.maths, [school.teacher.person], day=yesterday, divisions=[school.b4]
    )
    log_in(client, school.teacher)

    response = client.get(f"{LIST}?jour={yesterday.isoformat()}")

    assert [row["item"].occurrence for row in response.context["rows"]] == [forgotten]
    assert response.context["rows"][0]["item"].recordable


def test_a_session_of_tomorrow_cannot_be_taken_yet(client, school):
    tomorrow = school.day + timedelta(days=1)
    later = school.session(
        9, 0, school.maths, [school.teacher.person], day=tomorrow, divisions=[school.b4]
    )
    log_in(client, school.teacher)

    listing = client.get(f"{LIST}?jour={tomorrow.isoformat()}")
    page = client.get(take_url(later))
    posted = client.post(take_url(later), {f"mark-{school.emma.pk}": "absent"})

    assert "À venir" in text(listing)
    assert "L'appel se fait le jour de la séance." in text(page)
    assert posted.status_code == 400
    assert not RollCall.objects.exists()


def test_the_office_teaching_nothing_is_sent_to_the_roll_calls_not_taken(client, school):
    log_in(client, school.cpe)

    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:missing")


def test_now_opens_the_roll_call_of_the_session_in_progress(client, school, clock):
    log_in(client, school.teacher)

    response = client.get(NOW)

    assert response["Location"] == take_url(school.maths_4b)


def test_now_opens_the_next_session_a_few_minutes_before_it_starts(client, school, clock):
    clock.set(10, 50)  # maths until 10:55
    school.maths_4b.end = at(school.day, 10, 45)
    school.maths_4b.save()
    log_in(client, school.teacher)

    response = client.get(NOW)

    assert response["Location"] == take_url(school.latin_g1)


def test_now_without_a_session_in_progress_goes_to_the_day_list(client, school, clock):
    clock.set(15, 0)
    log_in(client, school.teacher)

    response = client.get(NOW, follow=True)

    assert response.redirect_chain[-1][0] == LIST
    assert "Pas de séance en cours" in text(response)


# -- Who may open a roll call ------------------------------------------------------------


@pytest.mark.parametrize("reader", ["teacher", "cpe", "direction", "aed"])
def test_the_teacher_and_the_office_open_the_roll_call(client, school, reader):
    log_in(client, getattr(school, reader))

    response = client.get(take_url(school.maths_4b))

    assert response.status_code == 200


@pytest.mark.parametrize("reader", ["other_teacher", "pupil", "parent"])
def test_anybody_else_gets_a_404_and_the_attempt_is_logged(client, school, reader, caplog):
    account = {
        "other_teacher": school.other_teacher,
        "pupil": school.emma.account,
        "parent": school.parent,
    }[reader]
    log_in(client, account)

    with caplog.at_level(logging.INFO, logger="preau.access"):
        page = client.get(take_url(school.maths_4b))
        posted = client.post(take_url(school.maths_4b), {f"mark-{school.emma.pk}": "absent"})
        listing = client.get(LIST) if reader != "other_teacher" else None

    assert page.status_code == 404
    assert posted.status_code == 404
    assert listing is None or listing.status_code == 404
    assert "refused" in caplog.text
    assert not RollCall.objects.exists()


def test_a_teacher_of_another_establishment_gets_a_404(client, school):
    elsewhere = DivisionFactory()
    stranger = staff_account(elsewhere.establishment, RoleKind.CPE)
    log_in(client, stranger)

    assert client.get(take_url(school.maths_4b)).status_code == 404


def test_the_pages_need_a_login(client, school):
    response = client.get(take_url(school.maths_4b))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_teacher_reaches_her_roll_call_from_another_space_and_enters_its_own(client, school):
    # Mme Schmitt also teaches in a lycée, the space she was in when her session ended.
    lycee = DivisionFactory()
    school.teacher.person.roles.create(establishment=lycee.establishment, kind=RoleKind.TEACHER)
    log_in(client, school.teacher)
    client.post(reverse("portal:switch_space"), {"space": f"staff:{lycee.establishment.uai}"})

    tapped = client.post(
        reverse("attendance:roll_call_entry", args=[school.maths_4b.pk]),
        {"pupil": school.emma.pk, "mark": "absent"},
    )
    page = client.get(take_url(school.maths_4b))

    assert tapped.status_code == 200
    assert page.status_code == 200
    assert page.context["space"].establishment_id == school.establishment.pk
    assert client.session["preau_space"] == f"staff:{school.establishment.uai}"


# -- Who is on the roll call -------------------------------------------------------------


def test_a_division_session_lists_its_pupils_of_the_day_sorted_by_name(client, school):
    latecomer = pupil_in(school.b4, first_name="Zoé", last_name="Arnaud")
    log_in(client, school.teacher)

    response = client.get(take_url(school.maths_4b))

    assert names_on(response) == [latecomer.sort_name, school.berger.sort_name, "ROCHE Emma"]
    content = text(response)
    assert '<span class="rc-avatar" aria-hidden="true">ER</span>' in content
    assert "3 élèves attendus" in content


def test_a_pupil_who_left_the_division_before_the_date_is_not_listed(client, school):
    log_in(client, school.teacher)

    listed = names_on(client.get(take_url(school.maths_4b)))

    assert school.chloe.sort_name not in listed
    client.logout()
    log_in(client, school.cpe)
    assert school.chloe.sort_name in names_on(client.get(take_url(school.maths_4a)))


def test_the_same_pupil_is_listed_on_a_day_before_she_left(client, school):
    before = school.day - timedelta(days=10)
    old_session = school.session(
        9, 0, school.maths, [school.teacher.person], day=before, divisions=[school.b4]
    )
    log_in(client, school.teacher)

    assert school.chloe.sort_name in names_on(client.get(take_url(old_session)))


def test_a_group_session_lists_only_the_pupils_of_the_group(client, school):
    log_in(client, school.teacher)

    response = client.get(take_url(school.latin_g1))

    assert names_on(response) == ["ROCHE Emma"]
    # A group draws on divisions: each pupil's division is shown.
    assert '<span class="rc-division">4B</span>' in text(response)


def test_a_pupil_known_absent_by_the_office_is_shown_with_a_reason_teachers_may_read(
    client, school
):
    reasons = {r.code: r for r in services.reasons_ensure(school.establishment)}
    services.absence_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        start=at(school.day, 8),
        end=at(school.day, 17),
        state=AbsenceState.ACCEPTED,
        reason=reasons["MAL"],
        notify=False,
    )
    services.absence_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.berger,
        start=at(school.day, 8),
        end=at(school.day, 12),
        reason=reasons["TRANSP"],
        notify=False,
    )
    log_in(client, school.teacher)

    response = client.get(take_url(school.maths_4b))

    content = text(response)
    assert "Absence signalée par la vie scolaire : Absence justifiée" in content
    assert "Maladie" not in content
    assert "Absence signalée par la vie scolaire : Difficulté accidentelle de transport" in content
    # Known to be elsewhere: no mark is chosen for them, nothing is recorded for them.
    assert all(row["checked"] == "" for row in response.context["rows"])


@pytest.mark.parametrize(
    ("reader", "shown"),
    [("cpe", "Maladie"), ("direction", "Maladie"), ("secretariat", "Motif confidentiel")],
)
def test_the_vie_scolaire_and_the_direction_read_the_health_reason(client, school, reader, shown):
    reason = AbsenceReason.objects.create(
        establishment=school.establishment, code="MAL", label="Maladie", health=True
    )
    services.absence_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        start=at(school.day, 8),
        end=at(school.day, 17),
        reason=reason,
        notify=False,
    )
    log_in(client, getattr(school, reader))

    content = text(client.get(take_url(school.maths_4b)))

    assert f"Absence signalée par la vie scolaire : {shown}" in content


def test_school_events_are_shown_and_an_exemption_only_for_its_subject(client, school):
    services.school_event_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        kind=EventKind.TRIP,
        start=at(school.day, 9),
        end=at(school.day, 12),
    )
    sport = SubjectFactory(establishment=school.establishment, label="EPS")
    services.school_event_create(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.berger,
        kind=EventKind.EXEMPTION,
        subject=sport,
        attendance_required=False,
        start=at(school.day, 8),
        end=at(school.day, 18),
    )
    log_in(client, school.teacher)

    response = client.get(take_url(school.maths_4b))

    rows = {row["pupil"].pk: row for row in response.context["rows"]}
    assert rows[school.emma.pk]["notes"] == ["Sortie ou voyage scolaire"]
    assert rows[school.emma.pk]["checked"] == ""
    assert rows[school.berger.pk]["notes"] == []
    assert rows[school.berger.pk]["checked"] == Mark.PRESENT


def test_an_absence_of_this_roll_call_is_not_shown_as_known_by_the_office(client, school):
    services.roll_call_record(
        actor=school.teacher,
        occurrence=school.maths_4b,
        entries={school.emma.pk: services.Entry(Mark.ABSENT)},
        audience={school.emma.pk: school.emma},
    )
    log_in(client, school.teacher)

    response = client.get(take_url(school.maths_4b))

    emma = next(row for row in response.context["rows"] if row["pupil"] == school.emma)
    assert emma["notes"] == []
    assert emma["checked"] == Mark.ABSENT
    assert "Appel fait à 10:20 : 1 absent." in text(response)


# -- The form without JavaScript -------------------------------------------------------------


def form_data(response, **changes) -> dict:
    """What the page's form sends as shown, with `changes` (name: value) applied."""
    data = {}
    for row in response.context["rows"]:
        pk = row["pupil"].pk
        data[f"initial-{pk}"] = row["checked"]
        data[f"initial-minutes-{pk}"] = row["minutes"]
        if row["checked"]:
            data[f"mark-{pk}"] = row["checked"]
        data[f"minutes-{pk}"] = row["other"]
        if row["quick"]:
            data[f"quick-{pk}"] = row["quick"]
    data.update(changes)
    return data


def test_all_present_records_the_roll_call_with_nobody_absent(client, school):
    log_in(client, school.teacher)
    page = client.get(take_url(school.maths_4b))

    response = client.post(take_url(school.maths_4b), form_data(page), follow=True)

    roll_call = RollCall.objects.get(occurrence=school.maths_4b)
    assert roll_call.taken_by_id == school.teacher.person_id
    assert not roll_call.entries.exists()
    assert not Absence.objects.exists()
    assert "Appel enregistré : aucun absent." in text(response)


def test_the_form_records_the_marks_typed(client, school):
    log_in(client, school.teacher)
    page = client.get(take_url(school.maths_4b))

    client.post(
        take_url(school.maths_4b),
        form_data(
            page,
            **{
                f"mark-{school.emma.pk}": "absent",
                f"mark-{school.berger.pk}": "late",
                f"quick-{school.berger.pk}": "10",
            },
        ),
    )

    marks = dict(RollCallEntry.objects.values_list("pupil_id", "mark"))
    assert marks == {school.emma.pk: Mark.ABSENT, school.berger.pk: Mark.LATE}
    lateness = Absence.objects.get(pupil=school.berger)
    assert (lateness.kind, lateness.minutes_late) == (AbsenceKind.LATENESS, 10)
    assert Absence.objects.get(pupil=school.emma).source == AbsenceSource.ROLL_CALL


def test_typed_minutes_win_over_a_quick_choice_and_are_checked(client, school):
    log_in(client, school.teacher)
    page = client.get(take_url(school.maths_4b))
    late = {f"mark-{school.berger.pk}": "late", f"quick-{school.berger.pk}": "5"}

    refused = client.post(
        take_url(school.maths_4b), form_data(page, **late, **{f"minutes-{school.berger.pk}": "x"})
    )
    client.post(
        take_url(school.maths_4b), form_data(page, **late, **{f"minutes-{school.berger.pk}": "7"})
    )

    assert refused.status_code == 400
    assert "nombre entier" in text(refused)
    assert Absence.objects.get(pupil=school.berger).minutes_late == 7


def test_sending_the_list_keeps_what_someone_else_recorded_meanwhile(client, school):
    log_in(client, school.teacher)
    page = client.get(take_url(school.maths_4b))
    # Meanwhile the CPE marks Berger absent from the same roll call.
    services.roll_call_record(
        actor=school.cpe,
        occurrence=school.maths_4b,
        entries={school.berger.pk: services.Entry(Mark.ABSENT)},
        audience={school.berger.pk: school.berger},
    )

    client.post(take_url(school.maths_4b), form_data(page, **{f"mark-{school.emma.pk}": "late"}))

    marks = dict(RollCallEntry.objects.values_list("pupil_id", "mark"))
    assert marks == {school.emma.pk: Mark.LATE, school.berger.pk: Mark.ABSENT}


def test_a_cancelled_session_has_no_roll_call(client, school):
    school.maths_4b.status = OccurrenceStatus.CANCELLED
    school.maths_4b.save()
    log_in(client, school.teacher)

    page = client.get(take_url(school.maths_4b))
    posted = client.post(take_url(school.maths_4b), {f"mark-{school.emma.pk}": "absent"})

    assert "Cette séance n'a pas lieu : pas d'appel." in text(page)
    assert 'id="mark-' in text(page)
    assert " disabled" in text(page)
    assert posted.status_code == 400
    assert not RollCall.objects.exists()


def test_the_office_completes_a_roll_call_for_the_teacher(client, school):
    log_in(client, school.cpe)
    page = client.get(take_url(school.maths_4b))

    client.post(take_url(school.maths_4b), form_data(page, **{f"mark-{school.emma.pk}": "absent"}))

    roll_call = RollCall.objects.get(occurrence=school.maths_4b)
    assert roll_call.taken_by_id == school.cpe.person_id
    assert roll_call.entries.get().entered_by_id == school.cpe.person_id


# -- Queries -----------------------------------------------------------------------------

# Session, account, person, roles, head-teacher divisions, children: six queries for the
# shell (SpaceMiddleware);
# then the establishment's time zone, the occurrences with teachers, rooms and audience,
# and the roll calls with their counts.
TEACHER_LIST_QUERIES = 12
# The same shell; then the occurrence (with its establishment and subject), its
# teachers, rooms and audience, the pupils, their divisions, the roll call and its
# entries, the office's absences and its events.
ROLL_CALL_PAGE_QUERIES = 16


@pytest.mark.parametrize("count", [2, 20])
def test_the_teacher_list_has_a_fixed_number_of_queries(
    client, school, count, django_assert_num_queries
):
    for hour in range(count):
        session = school.session(
            12, hour, school.maths, [school.teacher.person], divisions=[school.b4]
        )
        record(school.teacher, session)
    log_in(client, school.teacher)
    client.get(LIST)

    with django_assert_num_queries(TEACHER_LIST_QUERIES):
        response = client.get(LIST)

    assert len(response.context["rows"]) == count + 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_roll_call_page_has_a_fixed_number_of_queries(
    client, school, count, django_assert_num_queries
):
    pupils = [pupil_in(school.b4) for _ in range(count)]
    services.roll_call_record(
        actor=school.teacher,
        occurrence=school.maths_4b,
        entries={p.pk: services.Entry(Mark.ABSENT) for p in pupils[: count // 3]},
        audience={p.pk: p for p in pupils},
    )
    for pupil in pupils[count // 3 : 2 * count // 3]:
        services.school_event_create(
            actor=school.cpe,
            establishment=school.establishment,
            pupil=pupil,
            kind=EventKind.INFIRMARY,
            start=at(school.day, 10),
            end=at(school.day, 11),
        )
    log_in(client, school.teacher)
    client.get(take_url(school.maths_4b))

    with django_assert_num_queries(ROLL_CALL_PAGE_QUERIES):
        response = client.get(take_url(school.maths_4b))

    assert len(response.context["rows"]) == count + 2
