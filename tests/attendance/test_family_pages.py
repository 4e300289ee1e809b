"""The family side of attendance: who sees a pupil's absences and lateness, what they
read (dates, courses missed, the state in words, the reason), and what the page costs.

Access table (access.md): the pupil sees their own; each legal guardian, separated or
not, sees the same; a level-2 person in charge sees them when the establishment enables
it; an adult pupil's objection does not hide absences; anybody else gets a 404.
"""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from preau.attendance import services
from preau.attendance.models import AttendancePolicy
from preau.core.models import Guardianship
from tests.attendance.test_family_support import Family
from tests.conftest import log_in
from tests.factories import pupil_in

pytestmark = pytest.mark.django_db

MINE = reverse("attendance:mine")
JUSTIFY = reverse("attendance:justify")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def family():
    return Family()


def cards(response) -> list[str]:
    """The text of each absence card of the page, spaces collapsed."""
    html = response.content.decode()
    found = re.findall(
        r'<li class="card absence[^"]*">(.*?)</li>\s*(?=<li class="card|</ol>)', html, re.S
    )
    return [" ".join(re.sub(r"<[^>]+>", " ", card).split()) for card in found]


def set_policy(family, **fields):
    policy, _created = AttendancePolicy.objects.get_or_create(establishment=family.establishment)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()


# -- Who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["emma", "mother", "father"])
def test_the_pupil_and_both_legal_guardians_see_the_same_absences(client, family, reader):
    log_in(client, family.account(reader))

    response = client.get(MINE)

    assert response.status_code == 200
    shown = cards(response)
    assert len(shown) == 2
    late, absent = shown  # latest first
    assert "Mathématiques" in absent
    assert "Absence" in absent
    assert "Non justifiée" in absent
    assert "Retard de 10 min" in late
    assert "Français" in late


def test_separated_parents_each_with_an_account_read_identical_pages(client, family):
    log_in(client, family.mother)
    mother_sees = cards(client.get(MINE))
    client.logout()
    log_in(client, family.father)

    assert cards(client.get(MINE)) == mother_sees


def test_the_state_is_written_in_words_with_what_to_do(client, family):
    log_in(client, family.mother)

    absent = cards(client.get(MINE))[1]

    assert "Non justifiée" in absent
    assert "À justifier" in absent
    assert "Justifier" in absent


def test_a_guardian_gets_a_button_to_justify_each_waiting_absence(client, family):
    log_in(client, family.mother)

    html = client.get(MINE).content.decode()

    assert reverse("attendance:justify_absence", args=[family.absent.pk]) in html
    assert reverse("attendance:justify_absence", args=[family.late.pk]) in html


def test_a_minor_pupil_sees_their_absences_but_is_not_offered_to_justify(client, family):
    log_in(client, family.emma.account)

    response = client.get(MINE)
    html = response.content.decode()

    assert "Mes absences et retards" in html
    assert reverse("attendance:justify_absence", args=[family.absent.pk]) not in html
    assert "Vos responsables légaux justifient" in html


def test_an_adult_pupil_may_justify_their_own_absences(client, family):
    absence = family.absence(family.lea, family.session(family.monday, 14, family.maths, family.t1))
    log_in(client, family.lea.account)

    html = client.get(MINE).content.decode()

    assert reverse("attendance:justify_absence", args=[absence.pk]) in html


def test_an_adult_pupils_objection_does_not_hide_absences_from_guardians(client, family):
    absence = family.absence(family.lea, family.session(family.monday, 14, family.maths, family.t1))
    Guardianship.objects.filter(pupil=family.lea).update(adult_objection_at=datetime.now(PARIS))
    log_in(client, family.lea_mother)

    response = client.get(MINE)

    assert response.status_code == 200
    assert len(cards(response)) == 1
    assert reverse("attendance:justify_absence", args=[absence.pk]) in response.content.decode()


def test_a_person_in_charge_sees_absences_when_the_establishment_enables_it(client, family):
    log_in(client, family.grandmother)

    response = client.get(MINE)
    html = response.content.decode()

    assert len(cards(response)) == 2
    assert reverse("attendance:justify_absence", args=[family.absent.pk]) not in html
    assert "Seuls les responsables légaux justifient" in html


def test_a_person_in_charge_sees_nothing_when_the_establishment_disables_it(client, family):
    set_policy(family, contacts_see_absences=False)
    log_in(client, family.grandmother)

    response = client.get(MINE)

    assert response.status_code == 200
    assert cards(response) == []
    assert "Mathématiques" not in response.content.decode()
    assert "réserve les absences" in response.content.decode()


def test_another_parent_sees_only_their_own_child(client, family):
    log_in(client, family.other_parent)

    response = client.get(MINE)

    assert response.status_code == 200
    assert cards(response) == []
    assert "Emma" not in response.content.decode()


@pytest.mark.parametrize("reader", ["teacher", "cpe"])
def test_staff_do_not_have_the_family_pages(client, family, reader):
    log_in(client, family.account(reader))

    assert client.get(MINE).status_code == 404
    assert client.get(JUSTIFY).status_code == 404
    url = reverse("attendance:justify_absence", args=[family.absent.pk])
    assert client.get(url).status_code == 404


def test_a_guardian_whose_child_has_left_the_school_sees_nothing(client, family):
    family.emma.roles.update(end_date=family.monday)
    log_in(client, family.father)

    assert client.get(MINE).status_code == 404
    url = reverse("attendance:justify_absence", args=[family.absent.pk])
    assert client.get(url).status_code == 404


def test_voided_absences_are_not_shown(client, family):
    services.absence_void(actor=None, absence=family.late, expected_version=None, system=True)
    log_in(client, family.mother)

    assert len(cards(client.get(MINE))) == 1


def test_a_health_reason_is_shown_to_the_family_and_hidden_from_a_person_in_charge(client, family):
    services.absence_decide(
        actor=None,
        absence=family.absent,
        expected_version=None,
        accept=True,
        reason=family.reasons["MAL"],
    )
    log_in(client, family.mother)
    assert "Maladie" in cards(client.get(MINE))[1]
    client.logout()

    log_in(client, family.grandmother)
    seen = cards(client.get(MINE))[1]

    assert "Maladie" not in seen
    assert "Absence justifiée" in seen
    assert "Justifiée" in seen


def test_an_absence_over_a_period_lists_the_courses_it_made_the_pupil_miss(client, family):
    tuesday = family.monday + timedelta(days=1)
    family.session(tuesday, 8, family.maths)
    family.session(tuesday, 14, family.french)
    family.session(tuesday, 9, family.french, division=family.t1)  # not Emma's
    family.period(
        family.emma,
        datetime.combine(tuesday, time(7, 30), tzinfo=PARIS),
        datetime.combine(tuesday, time(12, 0), tzinfo=PARIS),
    )
    log_in(client, family.mother)

    period = cards(client.get(MINE))[0]

    assert "08:00 Mathématiques" in period
    assert "Français" not in period


def test_the_email_link_opens_the_right_child(client, family):
    second = pupil_in(family.b4, first_name="Zoé", last_name="Roche")
    Guardianship.objects.create(guardian=family.mother.person, pupil=second)
    family.absence(second, family.maths_monday)
    log_in(client, family.mother)

    response = client.get(f"{MINE}?enfant={second.pk}")

    assert response.context["subject"].pupil_id == second.pk
    assert client.get(MINE).context["subject"].pupil_id == second.pk


def test_the_email_link_cannot_open_someone_elses_child(client, family):
    log_in(client, family.other_parent)

    response = client.get(f"{MINE}?enfant={family.emma.pk}")

    assert response.context["subject"].pupil_id == family.hugo.pk


# -- What the page costs -----------------------------------------------------------------


def add_absences(family, count: int) -> None:
    for week in range(count):
        day = family.monday - timedelta(days=7 * (week + 1))
        family.absence(family.emma, family.session(day, 8, family.maths))
        family.absence(family.emma, family.session(day, 10, family.french), minutes_late=5)
        family.period(
            family.emma,
            datetime.combine(day + timedelta(days=1), time(8), tzinfo=PARIS),
            datetime.combine(day + timedelta(days=1), time(17), tzinfo=PARIS),
        )


# Session, account, person, roles, children (the shell); policy with its establishment,
# school year, absences; the pupil's units (five) and the occurrences of the absences
# entered over a period.
@pytest.mark.parametrize("count", [1, 6])
@pytest.mark.parametrize(("reader", "url"), [("mother", MINE), ("mother", JUSTIFY), ("emma", MINE)])
def test_the_family_pages_cost_a_fixed_number_of_queries(
    client, family, count, url, reader, django_assert_num_queries
):
    add_absences(family, count)
    log_in(client, family.account(reader))
    client.get(url)

    with django_assert_num_queries(14):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["overview"].rows) == 2 + 3 * count
