"""How long a session lasts (access.md, "Getting in"): families and pupils may stay
signed in for 30 days on their own device; staff sessions end after 12 hours of
inactivity and when the browser closes, whatever they tick."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.accounts.policy import SessionLifetime, session_lifetime

DAY = 86_400
HOUR = 3_600


@pytest.mark.parametrize(
    ("who", "staff", "remember", "expected"),
    [
        ("guardian or pupil ticking rester connecté", False, True, SessionLifetime(30 * DAY, True)),
        ("guardian or pupil not ticking it", False, False, SessionLifetime(12 * HOUR, False)),
        ("staff ticking rester connecté", True, True, SessionLifetime(12 * HOUR, False)),
        ("staff not ticking it", True, False, SessionLifetime(12 * HOUR, False)),
    ],
)
def test_session_lifetime_by_person_and_choice(who, staff, remember, expected):
    assert session_lifetime(staff=staff, remember=remember, remember_days=30, idle_hours=12) == (
        expected
    ), who


@given(
    remember=st.booleans(),
    remember_days=st.integers(min_value=1, max_value=365),
    idle_hours=st.integers(min_value=1, max_value=72),
)
def test_staff_sessions_are_never_persistent_whatever_the_configuration(
    remember, remember_days, idle_hours
):
    lifetime = session_lifetime(
        staff=True, remember=remember, remember_days=remember_days, idle_hours=idle_hours
    )
    assert lifetime == SessionLifetime(idle_seconds=idle_hours * HOUR, persistent=False)


@given(
    remember_days=st.integers(min_value=1, max_value=365),
    idle_hours=st.integers(min_value=1, max_value=72),
)
def test_both_durations_are_configurable(remember_days, idle_hours):
    remembered = session_lifetime(
        staff=False, remember=True, remember_days=remember_days, idle_hours=idle_hours
    )
    forgotten = session_lifetime(
        staff=False, remember=False, remember_days=remember_days, idle_hours=idle_hours
    )
    assert remembered == SessionLifetime(idle_seconds=remember_days * DAY, persistent=True)
    assert forgotten == SessionLifetime(idle_seconds=idle_hours * HOUR, persistent=False)
