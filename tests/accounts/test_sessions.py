"""How long one stays signed in (access.md, "Getting in"): families and pupils may stay
signed in for 30 days on their own device ("rester connecté"); staff sessions end
after 12 hours of inactivity and with the browser; sessions slide, but are saved
again at most every PREAU_SESSION_REFRESH."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from preau.accounts.services import SESSION_TOUCHED_KEY
from preau.core.models import RoleKind
from tests.conftest import log_in
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    GuardianshipFactory,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME
THIRTY_DAYS = 30 * 86_400
TWELVE_HOURS = 12 * 3_600
HOME = reverse("portal:home")


def server_side_lifetime(client) -> float:
    """Seconds from now until the database forgets the session."""
    session = Session.objects.get(pk=client.cookies[COOKIE].value)
    return (session.expire_date - timezone.now()).total_seconds()


@pytest.fixture
def division():
    return DivisionFactory()


@pytest.fixture
def guardian(division):
    return guardian_account(pupil_in(division))


@pytest.fixture
def pupil(division):
    return pupil_in(division, account=True).account


@pytest.fixture
def teacher(division):
    return staff_account(division.establishment, RoleKind.TEACHER)


@pytest.mark.parametrize("who", ["guardian", "pupil"])
def test_a_family_member_who_stays_signed_in_keeps_the_session_thirty_days(client, request, who):
    account = request.getfixturevalue(who)
    response = log_in(client, account, remember=True)
    cookie = response.cookies[COOKIE]
    assert cookie["max-age"] == THIRTY_DAYS
    assert cookie["expires"]
    assert THIRTY_DAYS - 60 < server_side_lifetime(client) <= THIRTY_DAYS


@pytest.mark.parametrize("who", ["guardian", "pupil"])
def test_a_family_member_who_does_not_tick_it_gets_a_browser_session_of_twelve_hours(
    client, request, who
):
    response = log_in(client, request.getfixturevalue(who), remember=False)
    cookie = response.cookies[COOKIE]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert TWELVE_HOURS - 60 < server_side_lifetime(client) <= TWELVE_HOURS


@pytest.mark.parametrize("kind", [RoleKind.TEACHER, RoleKind.CPE, RoleKind.DIRECTION])
def test_staff_ticking_rester_connecte_still_get_a_browser_session_of_twelve_hours(
    client, division, kind
):
    account = staff_account(division.establishment, kind)
    response = log_in(client, account, remember=True)
    cookie = response.cookies[COOKIE]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""
    assert TWELVE_HOURS - 60 < server_side_lifetime(client) <= TWELVE_HOURS


def test_a_teacher_who_is_also_a_parent_is_treated_as_staff(client, division, teacher):
    child = pupil_in(DivisionFactory())
    GuardianshipFactory(guardian=teacher.person, pupil=child)
    response = log_in(client, teacher, remember=True)
    assert response.cookies[COOKIE]["max-age"] == ""


def test_a_technical_administrator_without_a_person_is_treated_as_staff(client):
    admin = AccountFactory(person=None, is_staff=True, is_superuser=True)
    response = log_in(client, admin, remember=True)
    assert response.cookies[COOKIE]["max-age"] == ""


def test_the_durations_are_configurable(client, settings, guardian):
    settings.PREAU_REMEMBER_ME_DAYS = 7
    response = log_in(client, guardian, remember=True)
    assert response.cookies[COOKIE]["max-age"] == 7 * 86_400


def test_a_session_idle_beyond_its_lifetime_is_over(client, teacher):
    log_in(client, teacher)
    Session.objects.filter(pk=client.cookies[COOKIE].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def age_the_last_refresh(client, seconds: float) -> None:
    session = client.session
    session[SESSION_TOUCHED_KEY] = int(timezone.now().timestamp() - seconds)
    session.save()


def pin_server_expiry(client, in_seconds: int):
    """Set the stored expiry to a marker, to see whether a request saves the session."""
    marker = timezone.now() + timedelta(seconds=in_seconds)
    Session.objects.filter(pk=client.cookies[COOKIE].value).update(expire_date=marker)
    return marker


@pytest.mark.parametrize("remember", [False, True])
def test_a_session_is_not_saved_again_within_the_refresh_interval(client, guardian, remember):
    log_in(client, guardian, remember=remember)
    refresh = settings.PREAU_SESSION_REFRESH.total_seconds()
    age_the_last_refresh(client, refresh - 30)
    marker = pin_server_expiry(client, 3_600)

    response = client.get(HOME)

    assert response.status_code == 200
    assert COOKIE not in response.cookies
    assert Session.objects.get(pk=client.cookies[COOKIE].value).expire_date == marker


@pytest.mark.parametrize(
    ("remember", "lifetime", "max_age"),
    [(False, TWELVE_HOURS, ""), (True, THIRTY_DAYS, THIRTY_DAYS)],
)
def test_an_active_session_slides_once_the_refresh_interval_has_passed(
    client, guardian, remember, lifetime, max_age
):
    log_in(client, guardian, remember=remember)
    refresh = settings.PREAU_SESSION_REFRESH.total_seconds()
    age_the_last_refresh(client, refresh + 1)
    pin_server_expiry(client, 3_600)

    response = client.get(HOME)

    assert response.status_code == 200
    assert response.cookies[COOKIE]["max-age"] == max_age
    assert lifetime - 60 < server_side_lifetime(client) <= lifetime
    touched = client.session[SESSION_TOUCHED_KEY]
    assert abs(touched - timezone.now().timestamp()) < 60


def test_the_refresh_interval_is_configurable(client, settings, guardian):
    settings.PREAU_SESSION_REFRESH = timedelta(minutes=1)
    log_in(client, guardian)
    age_the_last_refresh(client, 61)
    pin_server_expiry(client, 3_600)
    assert COOKIE in client.get(HOME).cookies


def test_a_session_opened_elsewhere_gets_the_staff_policy(client, guardian):
    """The Django admin signs people in without the login page: their session gets
    the short, browser-bound lifetime on their first request."""
    client.force_login(guardian)
    response = client.get(HOME)
    assert response.cookies[COOKIE]["max-age"] == ""
    assert TWELVE_HOURS - 60 < server_side_lifetime(client) <= TWELVE_HOURS
    assert SESSION_TOUCHED_KEY in client.session
