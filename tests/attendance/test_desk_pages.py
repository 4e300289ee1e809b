"""The vie scolaire's day ("Absences du jour") and the entry of absences and lateness:
who may open them, what they show, what an entry records."""

import html
from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from preau.attendance import services
from preau.attendance.forms import AbsenceEntryForm
from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceSource,
    AbsenceState,
    EventKind,
    Mark,
)
from preau.audit.models import AuditEvent
from preau.core.models import Person
from tests.attendance.test_desk_school import PARIS, DeskSchool, at, desk_url
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

ENTRY = "attendance:desk_entry"


@pytest.fixture
def school():
    return DeskSchool()


def text(response) -> str:
    return html.unescape(response.content.decode())


def rows_of(response) -> list:
    return [row for block in response.context["found"].blocks for row in block.rows]


# -- Who may open the desk -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["cpe", "aed", "direction", "secretariat"])
def test_the_vie_scolaire_the_direction_and_the_secretariat_open_the_desk(client, school, who):
    log_in(client, getattr(school, who))
    assert client.get(desk_url(school)).status_code == 200
    assert client.get(reverse(ENTRY)).status_code == 200


@pytest.mark.parametrize("who", ["teacher", "parent"])
def test_teachers_and_families_get_404(client, school, who):
    log_in(client, getattr(school, who))
    assert client.get(desk_url(school)).status_code == 404
    assert client.get(reverse(ENTRY)).status_code == 404
    assert client.get(reverse("attendance:desk_pupil", args=[school.emma.pk])).status_code == 404


def test_a_pupil_gets_404(client, school):
    log_in(client, school.emma.account)
    assert client.get(desk_url(school)).status_code == 404


def test_the_desk_of_another_establishment_sees_nothing_of_ours(client, school):
    ours = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    log_in(client, school.other_cpe)

    response = client.get(desk_url(school))

    assert response.status_code == 200
    assert rows_of(response) == []
    assert client.get(reverse("attendance:desk_absence", args=[ours.pk])).status_code == 404
    assert client.get(reverse("attendance:desk_pupil", args=[school.emma.pk])).status_code == 404


# -- The day ----------------------------------------------------------------------------------


def test_the_day_groups_absences_by_division_with_full_reasons_and_counts(client, school):
    school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    school.lateness(school.hugo, at(school.day, 10), 10)
    school.pending(school.lea, at(school.day, 13, 30), at(school.day, 16, 30))
    log_in(client, school.aed)

    response = client.get(desk_url(school))

    found = response.context["found"]
    assert [block.name for block in found.blocks] == ["4A", "4B"]
    assert [row.absence.pupil for row in found.blocks[0].rows] == [school.lea]
    counts = found.counts
    assert (counts.absences, counts.lateness, counts.pupils, counts.pending) == (2, 1, 3, 1)
    assert counts.unjustified == 3
    content = response.content.decode()
    # Desk staff read confidential (health) reasons in full.
    assert "Maladie" in content
    assert "confidentiel" in content
    assert "Famille" not in content or "Vie scolaire" in content


def test_an_absence_over_several_days_shows_on_each_of_them(client, school):
    school.absence(school.emma, at(school.day, 0), at(school.next_day + timedelta(days=1), 0))
    log_in(client, school.cpe)

    for day in (school.day, school.next_day):
        response = client.get(desk_url(school, jour=day.isoformat()))
        assert [row.absence.pupil for row in rows_of(response)] == [school.emma]
    before = client.get(desk_url(school, jour=(school.day - timedelta(days=1)).isoformat()))
    assert rows_of(before) == []


def test_justifications_to_review_come_first_in_their_division(client, school):
    # Berger sorts before Roche by name, but Roche's justification waits for a decision.
    school.absence(school.hugo, at(school.day, 8), at(school.day, 9))
    school.pending(school.emma, at(school.day, 10), at(school.day, 11))
    log_in(client, school.cpe)

    response = client.get(desk_url(school))

    assert [row.absence.pupil for row in rows_of(response)] == [school.emma, school.hugo]


def test_justifications_of_other_days_are_listed_above_the_day(client, school):
    earlier = school.pending(school.emma, at(school.next_day, 8), at(school.next_day, 9))
    log_in(client, school.cpe)

    response = client.get(desk_url(school))

    assert [row.absence for row in response.context["found"].pending_elsewhere] == [earlier]
    assert response.context["found"].pending_elsewhere_count == 1
    assert rows_of(response) == []


def test_filters_narrow_the_list_but_not_the_counts(client, school):
    school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    school.lateness(school.hugo, at(school.day, 10), 10)
    school.pending(school.lea, at(school.day, 13, 30), at(school.day, 16, 30))
    log_in(client, school.cpe)

    pending = client.get(desk_url(school, etat="pending"))
    lateness = client.get(desk_url(school, nature="lateness"))
    division = client.get(desk_url(school, classe=school.b4.pk))

    assert [r.absence.pupil for r in rows_of(pending)] == [school.lea]
    assert [r.absence.pupil for r in rows_of(lateness)] == [school.hugo]
    assert {r.absence.pupil for r in rows_of(division)} == {school.emma, school.hugo}
    assert pending.context["found"].counts.absences == 2


def test_voided_absences_are_hidden_unless_asked_for(client, school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    services.absence_void(actor=None, absence=absence, expected_version=1, system=True)
    log_in(client, school.cpe)

    assert rows_of(client.get(desk_url(school))) == []
    voided = client.get(desk_url(school, etat="voided"))
    assert [r.absence for r in rows_of(voided)] == [absence]
    assert voided.context["found"].counts.voided == 1


def test_the_teachers_roll_call_is_shown_beside_the_offices_correction(client, school):
    course = school.courses[("4B", school.day, 8)]
    audience = {school.emma.pk: school.emma, school.hugo.pk: school.hugo}
    services.roll_call_record(
        actor=school.teacher,
        occurrence=course,
        entries={school.emma.pk: services.Entry(Mark.LATE, 5)},
        audience=audience,
    )
    lateness = Absence.objects.get(pupil=school.emma)
    services.absence_update(
        actor=school.cpe,
        absence=lateness,
        expected_version=1,
        kind=AbsenceKind.ABSENCE,
        minutes_late=None,
        end=course.end,
    )
    log_in(client, school.cpe)

    response = client.get(desk_url(school))

    (row,) = rows_of(response)
    assert row.differs
    assert row.absence.kind == AbsenceKind.ABSENCE
    assert "Appel de l'enseignant : Retard de 5 min" in text(response)


def test_an_uncorrected_roll_call_absence_shows_no_second_version(client, school):
    course = school.courses[("4B", school.day, 8)]
    services.roll_call_record(
        actor=school.teacher,
        occurrence=course,
        entries={school.emma.pk: services.Entry(Mark.ABSENT)},
        audience={school.emma.pk: school.emma},
    )
    log_in(client, school.cpe)

    (row,) = rows_of(client.get(desk_url(school)))

    assert not row.differs
    assert row.absence.get_source_display() == "Appel"


# -- Query counts -----------------------------------------------------------------------------


def fill(school, count: int) -> None:
    pupils = [school.emma, school.hugo, school.lea]
    for index in range(count):
        pupil = pupils[index % 3]
        hour = 8 + index % 4
        if index % 3 == 0:
            school.pending(pupil, at(school.day, hour), at(school.day, hour, 50))
        else:
            school.absence(pupil, at(school.day, hour), at(school.day, hour, 50))
        school.pending(pupil, at(school.next_day, hour), at(school.next_day, hour, 50))
        # And a school event in one of the day's courses (its teachers are listed).
        division = "4A" if pupil == school.lea else "4B"
        course = school.courses[(division, school.day, 13 + index % 3)]
        services.school_event_create(
            actor=school.cpe,
            establishment=school.establishment,
            pupil=pupil,
            kind=EventKind.EXCLUSION if index % 2 else EventKind.INFIRMARY,
            start=course.start,
            end=course.end,
            occurrence=course,
        )


# Session, account, person, roles, children (the shell); the establishment; the day's
# absences, school events and their courses' teachers, the pupils' divisions, the
# divisions of the filter, the justifications of other days (with their count and
# divisions).
@pytest.mark.parametrize("count", [3, 12])
def test_the_desk_page_has_a_fixed_number_of_queries(
    client, school, count, django_assert_num_queries
):
    fill(school, count)
    log_in(client, school.cpe)
    client.get(desk_url(school))

    with django_assert_num_queries(14):
        response = client.get(desk_url(school))

    assert response.context["found"].shown == count
    assert len(response.context["found"].events) == count


# -- Entering an absence ---------------------------------------------------------------------


def entry_data(school, **fields) -> dict:
    data = {
        "pupil": school.emma.pk,
        "span": "day",
        "date": school.day.isoformat(),
        "state": AbsenceState.UNJUSTIFIED,
        "reason": "",
        "staff_comment": "",
    }
    data.update(fields)
    return data


def test_an_absence_for_an_afternoon_runs_from_the_boundary_to_midnight(client, school):
    log_in(client, school.cpe)

    response = client.post(
        reverse(ENTRY),
        entry_data(school, span="half_day", half="afternoon", staff_comment="Appel du père"),
    )

    assert response.status_code == 302
    assert response["Location"] == desk_url(school)
    absence = Absence.objects.get(pupil=school.emma)
    assert (absence.start, absence.end) == (
        at(school.day, 12),
        at(school.day + timedelta(days=1), 0),
    )
    assert (absence.source, absence.kind, absence.created_by) == (
        AbsenceSource.DESK,
        AbsenceKind.ABSENCE,
        school.cpe.person,
    )
    assert absence.staff_comment == "Appel du père"
    assert list(absence.changes.values_list("action", "actor")) == [
        ("created", school.cpe.person_id)
    ]
    assert AuditEvent.objects.filter(action="absence.created.desk", actor=school.cpe).exists()


def test_the_half_day_follows_the_establishments_boundary(client, school):
    policy = services.policy_for(school.establishment)
    policy.half_day_boundary = time(12, 30)
    policy.save()
    log_in(client, school.cpe)

    client.post(reverse(ENTRY), entry_data(school, span="half_day", half="morning"))

    absence = Absence.objects.get(pupil=school.emma)
    assert (absence.start, absence.end) == (at(school.day, 0), at(school.day, 12, 30))


def test_an_absence_over_several_days_with_a_justified_reason(client, school):
    log_in(client, school.cpe)

    client.post(
        reverse(ENTRY),
        entry_data(
            school,
            span="days",
            end_date=school.next_day.isoformat(),
            state=AbsenceState.ACCEPTED,
            reason=school.illness.pk,
        ),
    )

    absence = Absence.objects.get(pupil=school.emma)
    assert absence.start == at(school.day, 0)
    assert absence.end == at(school.next_day + timedelta(days=1), 0)
    assert (absence.state, absence.reason) == (AbsenceState.ACCEPTED, school.illness)


def test_an_absence_at_precise_times(client, school):
    log_in(client, school.cpe)

    client.post(
        reverse(ENTRY),
        entry_data(school, span="times", start_time="10:00", end_time="11:30"),
    )

    absence = Absence.objects.get(pupil=school.emma)
    assert (absence.start, absence.end) == (at(school.day, 10), at(school.day, 11, 30))


def test_a_lateness_records_its_minutes(client, school):
    log_in(client, school.aed)

    response = client.post(
        reverse(ENTRY),
        {
            "nature": "retard",
            "pupil": school.hugo.pk,
            "date": school.day.isoformat(),
            "start_time": "08:00",
            "minutes_late": "12",
            "state": AbsenceState.UNJUSTIFIED,
        },
    )

    assert response.status_code == 302
    lateness = Absence.objects.get(pupil=school.hugo)
    assert (lateness.kind, lateness.minutes_late) == (AbsenceKind.LATENESS, 12)
    assert lateness.end - lateness.start == timedelta(minutes=12)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"state": AbsenceState.ACCEPTED}, "reason"),
        ({"state": AbsenceState.ACCEPTED, "reason": "ALARM"}, "reason"),
        ({"span": "days"}, "end_date"),
        ({"span": "half_day"}, "half"),
        ({"span": "times", "start_time": "11:00", "end_time": "10:00"}, "end_time"),
        ({"pupil": ""}, "pupil"),
    ],
)
def test_an_entry_that_does_not_hold_together_is_refused_next_to_its_field(
    client, school, fields, field
):
    if fields.get("reason") == "ALARM":
        fields["reason"] = school.alarm.pk
    log_in(client, school.cpe)

    response = client.post(reverse(ENTRY), entry_data(school, **fields))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Absence.objects.exists()


def test_a_pupil_of_another_establishment_cannot_be_chosen(client, school):
    log_in(client, school.cpe)

    response = client.post(reverse(ENTRY), entry_data(school, pupil=school.stranger.pk))

    assert response.status_code == 400
    assert "pupil" in response.context["form"].errors
    assert not Absence.objects.exists()


def test_a_day_outside_the_school_year_is_refused_in_french(client, school):
    log_in(client, school.cpe)
    outside = school.year.end_date + timedelta(days=5)

    response = client.post(reverse(ENTRY), entry_data(school, date=outside.isoformat()))

    assert response.status_code == 400
    assert "aucune année scolaire" in response.content.decode()
    assert not Absence.objects.exists()


def test_the_search_button_finds_pupils_and_keeps_what_was_typed(client, school):
    log_in(client, school.cpe)

    response = client.post(
        reverse(ENTRY),
        entry_data(school, pupil="", q="roch", staff_comment="Prévenu par téléphone", chercher="1"),
    )

    assert response.status_code == 200
    assert not Absence.objects.exists()
    found = [pupil for pupil, _division in response.context["picker"]["results"]]
    # Only the establishment's pupils: Emma Rochette is at the lycée.
    assert found == [school.emma]
    assert "Prévenu par téléphone" in response.content.decode()


def test_enter_in_the_search_field_searches_rather_than_refusing(client, school):
    log_in(client, school.cpe)

    response = client.post(reverse(ENTRY), entry_data(school, pupil="", q="Berger"))

    assert response.status_code == 200
    assert [p for p, _d in response.context["picker"]["results"]] == [school.hugo]
    assert not response.context["form"].is_bound


def test_the_pupil_picker_answers_htmx_with_the_establishments_pupils(client, school):
    log_in(client, school.cpe)

    response = client.get(
        reverse("attendance:desk_pupils"),
        {"q": "emma", "pupil": str(school.hugo.pk)},
        headers={"HX-Request": "true"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="picker-results"' in content
    assert "ROCHE Emma" in content
    assert "ROCHETTE" not in content
    # The pupil already chosen stays ticked.
    assert f'value="{school.hugo.pk}" checked' in content


def test_a_pupil_file_link_preselects_the_pupil(client, school):
    log_in(client, school.cpe)

    response = client.get(reverse(ENTRY), {"eleve": school.lea.pk})

    assert [p for p, _d in response.context["picker"]["chosen"]] == [school.lea]


def half_day_period(day, boundary, **fields):
    form = AbsenceEntryForm(
        {"date": day.isoformat(), "state": AbsenceState.UNJUSTIFIED, **fields},
        pupils=Person.objects.none(),
        establishment_id=0,
        zone=PARIS,
        boundary=boundary,
    )
    form.is_valid()
    return form.period


@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    boundary=st.builds(time, hour=st.integers(10, 14), minute=st.sampled_from([0, 15, 30, 45])),
)
def test_a_morning_and_an_afternoon_make_the_whole_day(day, boundary):
    """Whatever the day (summer time or not) and the boundary, the morning ends where
    the afternoon starts, at the boundary, and both together are the day."""
    morning = half_day_period(day, boundary, span="half_day", half="morning")
    afternoon = half_day_period(day, boundary, span="half_day", half="afternoon")
    whole = half_day_period(day, boundary, span="day")

    assert morning[1] == afternoon[0]
    assert morning[1].astimezone(PARIS).time() == boundary
    assert (morning[0], afternoon[1]) == whole
