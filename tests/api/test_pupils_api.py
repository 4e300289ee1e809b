"""`GET /api/v1/pupils/{id}/timetable` and `/absences`: what the pupil, each person
responsible for them and the staff who may see them get, with the rules of the pages,
and a 404 for anybody else."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from preau.attendance.models import (
    Absence,
    AbsenceKind,
    AbsenceReason,
    AbsenceSource,
    AbsenceState,
    AttendancePolicy,
)
from preau.core.models import RoleKind
from preau.core.selectors import today
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    OccurrenceFactory,
    division_service,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


class School:
    """Emma's class with a maths session on Monday of this week and one next week; Emma
    was absent for an illness (a health reason, accepted) and late once."""

    def __init__(self, sessions: int = 0):
        self.division = DivisionFactory()
        self.establishment = self.division.establishment
        self.teacher = staff_account(self.establishment, last_name="Petit")
        self.maths = division_service(self.division, self.teacher.person)
        self.emma = pupil_in(self.division, account=True, first_name="Emma")
        self.mother = guardian_account(self.emma)
        self.grandmother = guardian_account(self.emma, level=2)
        self.other_parent = guardian_account(pupil_in(self.division))
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.elsewhere = staff_account(DivisionFactory().establishment, RoleKind.DIRECTION)
        monday = today() - timedelta(days=today().weekday())
        self.monday = monday
        self.session = OccurrenceFactory(
            school_year=self.division.school_year,
            date=monday,
            subject=self.maths.subject,
            teachers=[self.teacher.person],
            divisions=[self.division],
        )
        self.next_week = OccurrenceFactory(
            school_year=self.division.school_year,
            date=monday + timedelta(days=7),
            subject=self.maths.subject,
            divisions=[self.division],
        )
        for n in range(sessions):
            OccurrenceFactory(
                school_year=self.division.school_year,
                date=monday + timedelta(days=1 + n % 4),
                hour=9 + n // 4,
                subject=self.maths.subject,
                teachers=[self.teacher.person],
                divisions=[self.division],
            )
        illness = AbsenceReason.objects.create(
            establishment=self.establishment, code="MAL", label="Maladie", health=True
        )
        start = datetime(monday.year, monday.month, monday.day, 8, tzinfo=PARIS)
        common = {
            "establishment": self.establishment,
            "school_year": self.division.school_year,
            "pupil": self.emma,
            "source": AbsenceSource.DESK,
            "created_at": timezone.now(),
            "updated_at": timezone.now(),
        }
        self.ill = Absence.objects.create(
            kind=AbsenceKind.ABSENCE,
            start=start,
            end=start + timedelta(hours=4),
            state=AbsenceState.ACCEPTED,
            reason=illness,
            **common,
        )
        self.late = Absence.objects.create(
            kind=AbsenceKind.LATENESS,
            start=start + timedelta(days=1),
            end=start + timedelta(days=1, minutes=10),
            minutes_late=10,
            state=AbsenceState.UNJUSTIFIED,
            **common,
        )
        self.withdrawn = Absence.objects.create(
            kind=AbsenceKind.ABSENCE,
            start=start + timedelta(days=2),
            end=start + timedelta(days=2, hours=1),
            state=AbsenceState.UNJUSTIFIED,
            voided_at=timezone.now(),
            **common,
        )

    def url(self, what: str) -> str:
        return f"/api/v1/pupils/{self.emma.pk}/{what}"


@pytest.fixture
def school():
    return School()


def get(client, account, url):
    client.logout()
    log_in(client, account)
    return client.get(url)


# -- Timetable --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["emma", "mother", "grandmother", "teacher", "cpe"])
def test_the_pupil_their_family_and_their_staff_get_this_weeks_sessions(client, school, who):
    account = school.emma.account if who == "emma" else getattr(school, who)

    response = get(client, account, school.url("timetable"))

    assert response.status_code == 200
    (session,) = response.json()
    assert session["id"] == school.session.pk
    assert session["subject"] == school.maths.subject.label
    assert session["teachers"] == [school.teacher.person.display_name]
    assert session["status"] == "scheduled"
    assert session["audience"] == school.division.name


def test_from_and_to_choose_the_days(client, school):
    first, last = school.monday + timedelta(days=7), school.monday + timedelta(days=13)
    url = f"{school.url('timetable')}?from={first}&to={last}"

    response = get(client, school.mother, url)

    assert [s["id"] for s in response.json()] == [school.next_week.pk]


@pytest.mark.parametrize(
    "query",
    ["?from=2026-12-10&to=2026-12-01", "?from=2026-01-01&to=2027-06-30", "?from=lundi"],
)
def test_a_bad_range_is_refused_with_the_reason(client, school, query):
    response = get(client, school.mother, school.url("timetable") + query)

    assert response.status_code == 422


@pytest.mark.parametrize("who", ["other_parent", "elsewhere"])
def test_another_family_and_another_establishment_get_404(client, school, who):
    assert get(client, getattr(school, who), school.url("timetable")).status_code == 404
    assert get(client, getattr(school, who), school.url("absences")).status_code == 404


@pytest.mark.parametrize("sessions", [0, 12])
def test_the_timetable_queries_do_not_grow_with_the_sessions(
    client, django_assert_num_queries, sessions
):
    school = School(sessions=sessions)
    client.logout()
    log_in(client, school.mother)

    with django_assert_num_queries(14):
        response = client.get(school.url("timetable"))

    assert len(response.json()) == 1 + sessions


# -- Absences ---------------------------------------------------------------------------


def reasons(response) -> dict[int, str | None]:
    return {a["id"]: a["reason"] for a in response.json()}


def test_the_family_and_the_vie_scolaire_read_the_health_reason(client, school):
    for account in (school.mother, school.emma.account, school.cpe):
        response = get(client, account, school.url("absences"))
        assert reasons(response) == {school.late.pk: None, school.ill.pk: "Maladie"}


def test_a_teacher_and_a_contact_read_absence_justifiee(client, school):
    for account in (school.teacher, school.grandmother):
        response = get(client, account, school.url("absences"))
        assert reasons(response) == {school.late.pk: None, school.ill.pk: "Absence justifiée"}


def test_a_lateness_comes_with_its_minutes_and_state(client, school):
    response = get(client, school.mother, school.url("absences"))

    late = next(a for a in response.json() if a["id"] == school.late.pk)
    assert (late["kind"], late["minutes_late"], late["state"]) == ("lateness", 10, "unjustified")


def test_contacts_see_no_absences_where_the_establishment_says_so(client, school):
    AttendancePolicy.objects.create(establishment=school.establishment, contacts_see_absences=False)

    assert get(client, school.grandmother, school.url("absences")).status_code == 404
    assert get(client, school.mother, school.url("absences")).status_code == 200


def test_the_absences_queries_are_fixed(client, school, django_assert_num_queries):
    client.logout()
    log_in(client, school.mother)

    with django_assert_num_queries(7):
        client.get(school.url("absences"))
