"""The rules of messaging.md as pure functions: the matrix, audiences, the emergency
switch, rate limits, quiet hours and retries — tables of cases, then properties."""

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.messaging import policy
from preau.messaging.policy import (
    AUDIENCES,
    DIRECTION,
    GUARDIAN,
    PUPIL,
    TEACHER,
    VIE_SCOLAIRE,
    Limits,
    QuietHours,
    Rules,
    Sender,
    Target,
    Usage,
    decide,
    quiet_until,
    within_limits,
)

PARIS = ZoneInfo("Europe/Paris")
DEFAULT = Rules()


def person(*categories, **links) -> Target:
    return Target(categories=frozenset(categories), **links)


def audience(kind, **links) -> Target:
    return Target(categories=frozenset({policy.AUDIENCE_CATEGORY[kind]}), audience=kind, **links)


def sender(*capacities, delegate=False) -> Sender:
    return Sender(frozenset(capacities), delegate=delegate)


# (sender, target, rules, allowed, words of the reason)
MATRIX = [
    # direction and vie scolaire: everybody, any audience
    (sender(DIRECTION), person(GUARDIAN), DEFAULT, True, ""),
    (sender(DIRECTION), person(PUPIL), DEFAULT, True, ""),
    (sender(DIRECTION), person(TEACHER), DEFAULT, True, ""),
    (sender(DIRECTION), audience("establishment_guardians"), DEFAULT, True, ""),
    (sender(DIRECTION), audience("level_guardians"), DEFAULT, True, ""),
    (sender(VIE_SCOLAIRE), audience("division_pupils"), DEFAULT, True, ""),
    (sender(VIE_SCOLAIRE), person(GUARDIAN), DEFAULT, True, ""),
    # teachers: staff; guardians and pupils of those they teach
    (sender(TEACHER), person(TEACHER), DEFAULT, True, ""),
    (sender(TEACHER), person(DIRECTION), DEFAULT, True, ""),
    (sender(TEACHER), person(GUARDIAN, taught=True), DEFAULT, True, ""),
    (sender(TEACHER), person(GUARDIAN), DEFAULT, False, "qu'il a en classe"),
    (sender(TEACHER), person(PUPIL, taught=True), DEFAULT, True, ""),
    (sender(TEACHER), person(PUPIL), DEFAULT, False, "qu'il a en classe"),
    (
        sender(TEACHER),
        person(GUARDIAN, taught=True),
        replace(DEFAULT, teachers_to_guardians=False),
        False,
        "ne permet pas aux enseignants",
    ),
    (sender(TEACHER), audience("division_guardians", taught=True), DEFAULT, True, ""),
    (sender(TEACHER), audience("division_guardians"), DEFAULT, False, "qu'il a en charge"),
    (sender(TEACHER), audience("group_pupils", taught=True), DEFAULT, True, ""),
    (sender(TEACHER), audience("division_teachers"), DEFAULT, True, ""),
    (sender(TEACHER), audience("establishment_staff"), DEFAULT, True, ""),
    (sender(TEACHER), audience("establishment_guardians"), DEFAULT, False, "tout l'établissement"),
    (sender(TEACHER), audience("level_guardians", taught=True), DEFAULT, False, "tout un niveau"),
    # guardians: teachers of their children, vie scolaire, direction; no guardian,
    # no pupil, no audience (parent delegates: their division, if enabled)
    (sender(GUARDIAN), person(TEACHER, teaches_family=True), DEFAULT, True, ""),
    (sender(GUARDIAN), person(TEACHER), DEFAULT, False, "enseignants de vos enfants"),
    (sender(GUARDIAN), person(VIE_SCOLAIRE), DEFAULT, True, ""),
    (sender(GUARDIAN), person(DIRECTION), DEFAULT, True, ""),
    (
        sender(GUARDIAN),
        person(DIRECTION),
        replace(DEFAULT, guardians_to_direction=False),
        False,
        "direction",
    ),
    (sender(GUARDIAN), person(GUARDIAN), DEFAULT, False, "autre responsable"),
    (sender(GUARDIAN), person(GUARDIAN, same_division=True), DEFAULT, False, "autre responsable"),
    (
        sender(GUARDIAN, delegate=True),
        person(GUARDIAN, same_division=True),
        DEFAULT,
        False,
        "autre responsable",
    ),
    (
        sender(GUARDIAN, delegate=True),
        person(GUARDIAN, same_division=True),
        replace(DEFAULT, delegates_to_guardians=True),
        True,
        "",
    ),
    (
        sender(GUARDIAN, delegate=True),
        person(GUARDIAN),
        replace(DEFAULT, delegates_to_guardians=True),
        False,
        "autre responsable",
    ),
    (sender(GUARDIAN), person(PUPIL), DEFAULT, False, "à un élève"),
    (sender(GUARDIAN), audience("division_guardians"), DEFAULT, False, "ensemble de destinataires"),
    (sender(GUARDIAN), audience("division_teachers"), DEFAULT, False, "ensemble de destinataires"),
    (
        sender(GUARDIAN, delegate=True),
        audience("division_guardians", same_division=True),
        replace(DEFAULT, delegates_to_guardians=True),
        True,
        "",
    ),
    # pupils: their teachers, vie scolaire; no pupil (unless enabled), no guardian
    (sender(PUPIL), person(TEACHER, teaches_family=True), DEFAULT, True, ""),
    (sender(PUPIL), person(TEACHER), DEFAULT, False, "vos enseignants"),
    (sender(PUPIL), person(VIE_SCOLAIRE), DEFAULT, True, ""),
    (sender(PUPIL), person(DIRECTION), DEFAULT, False, "pas à la direction"),
    (sender(PUPIL), person(DIRECTION), replace(DEFAULT, pupils_to_direction=True), True, ""),
    (sender(PUPIL), person(PUPIL, same_division=True), DEFAULT, False, "d'autres élèves"),
    (
        sender(PUPIL),
        person(PUPIL, same_division=True),
        replace(DEFAULT, pupils_to_pupils=True),
        True,
        "",
    ),
    (sender(PUPIL), person(PUPIL), replace(DEFAULT, pupils_to_pupils=True), False, "d'autres"),
    (sender(PUPIL), person(GUARDIAN), DEFAULT, False, "à un responsable"),
    (sender(PUPIL), audience("division_pupils"), DEFAULT, False, "ensemble de destinataires"),
    # several capacities: one allowing is enough
    (sender(TEACHER, GUARDIAN), person(GUARDIAN, taught=True), DEFAULT, True, ""),
    (sender(GUARDIAN, TEACHER), person(TEACHER), DEFAULT, True, ""),
    # a person who is both a guardian and a teacher of the child
    (sender(GUARDIAN), person(GUARDIAN, TEACHER, teaches_family=True), DEFAULT, True, ""),
    # unknown people, no capacity
    (sender(DIRECTION), person(), DEFAULT, False, "pas joignable"),
    (sender(), person(TEACHER), DEFAULT, False, "pas de rôle"),
    # the emergency switch: staff only
    (
        sender(GUARDIAN),
        person(DIRECTION),
        replace(DEFAULT, emergency_staff_only=True),
        False,
        "mode urgence",
    ),
    (
        sender(PUPIL),
        person(VIE_SCOLAIRE),
        replace(DEFAULT, emergency_staff_only=True),
        False,
        "mode urgence",
    ),
    (
        sender(TEACHER),
        person(GUARDIAN, taught=True),
        replace(DEFAULT, emergency_staff_only=True),
        True,
        "",
    ),
    (
        sender(DIRECTION),
        audience("establishment_guardians"),
        replace(DEFAULT, emergency_staff_only=True),
        True,
        "",
    ),
]


@pytest.mark.parametrize(("who", "target", "rules", "allowed", "words"), MATRIX)
def test_matrix(who, target, rules, allowed, words):
    decision = decide(who, target, rules)
    assert decision.allowed is allowed
    if allowed:
        assert decision.reason == ""
    else:
        assert words in decision.reason


def test_urgent_is_for_the_direction():
    assert policy.may_flag_urgent(sender(DIRECTION))
    refused = policy.may_flag_urgent(sender(VIE_SCOLAIRE, TEACHER))
    assert not refused
    assert "direction" in refused.reason


# -- Properties --------------------------------------------------------------------------

capacities = st.frozensets(st.sampled_from(policy.ORDER))
categories = st.frozensets(st.sampled_from(policy.ORDER), min_size=1)
rules = st.builds(Rules, **{name: st.booleans() for name in Rules.__dataclass_fields__})
persons = st.builds(
    Target,
    categories=categories,
    taught=st.booleans(),
    teaches_family=st.booleans(),
    same_division=st.booleans(),
)
audiences = st.builds(
    lambda kind, taught, same: audience(kind, taught=taught, same_division=same),
    st.sampled_from(AUDIENCES),
    st.booleans(),
    st.booleans(),
)
targets = st.one_of(persons, audiences)
senders = st.builds(Sender, capacities=capacities, delegate=st.booleans())


@given(senders, targets, rules)
def test_a_refusal_always_says_why(who, target, matrix):
    decision = decide(who, target, matrix)
    assert decision.allowed or decision.reason.strip()


@given(senders, targets, rules)
def test_the_emergency_switch_leaves_only_staff(who, target, matrix):
    decision = decide(who, target, replace(matrix, emergency_staff_only=True))
    if not who.staff:
        assert not decision
        assert decision.reason == policy.EMERGENCY
    else:
        # Staff write as if the switch were off.
        assert (
            decision.allowed
            == decide(who, target, replace(matrix, emergency_staff_only=False)).allowed
        )


@given(st.frozensets(st.sampled_from([GUARDIAN, PUPIL]), min_size=1), st.booleans(), targets, rules)
def test_families_and_pupils_never_write_to_a_whole_establishment_or_level(
    held, delegate, target, matrix
):
    if target.audience in (
        policy.ESTABLISHMENT_GUARDIANS,
        policy.LEVEL_GUARDIANS,
        policy.ESTABLISHMENT_STAFF,
    ):
        assert not decide(Sender(held, delegate=delegate), target, matrix)


@given(targets, rules)
def test_a_guardian_who_is_not_a_delegate_never_reaches_another_guardian(target, matrix):
    if target.categories == frozenset({GUARDIAN}):
        assert not decide(sender(GUARDIAN), target, matrix)


@given(targets, rules)
def test_a_pupil_reaches_other_pupils_only_when_enabled(target, matrix):
    if target.categories == frozenset({PUPIL}):
        decision = decide(sender(PUPIL), target, matrix)
        if decision:
            assert matrix.pupils_to_pupils
            assert target.same_division
            assert target.audience is None


@given(senders, st.sampled_from(policy.ORDER), targets, rules)
def test_one_more_capacity_never_takes_a_right_away(who, extra, target, matrix):
    if decide(who, target, matrix):
        more = Sender(who.capacities | {extra}, delegate=who.delegate)
        assert decide(more, target, matrix)


@given(targets, rules)
def test_direction_may_write_to_anybody_known(target, matrix):
    assert decide(sender(DIRECTION), target, matrix)


# -- Rate limits ----------------------------------------------------------------------------

LIMITS = Limits(messages_per_hour=20, recipients_per_day=200)


@pytest.mark.parametrize(
    ("usage", "new", "allowed", "words"),
    [
        (Usage(0, 0), 1, True, ""),
        (Usage(19, 0), 1, True, ""),
        (Usage(20, 0), 1, False, "20 messages en une heure"),
        (Usage(0, 199), 1, True, ""),
        (Usage(0, 199), 2, False, "201"),
        (Usage(0, 0), 201, False, "limite de l'établissement est 200"),
    ],
)
def test_rate_limits_of_families(usage, new, allowed, words):
    decision = within_limits(sender(GUARDIAN), usage, new, LIMITS)
    assert decision.allowed is allowed
    assert words in decision.reason


def test_staff_have_no_rate_limit():
    assert within_limits(sender(TEACHER), Usage(10_000, 10_000_000), 20_000, LIMITS)


@given(
    st.integers(0, 1000),
    st.integers(0, 100_000),
    st.integers(1, 100_000),
    st.integers(1, 100),
    st.integers(1, 10_000),
)
def test_rate_limits_hold(hour, day, new, per_hour, per_day):
    decision = within_limits(sender(PUPIL), Usage(hour, day), new, Limits(per_hour, per_day))
    assert decision.allowed == (hour + 1 <= per_hour and day + new <= per_day)


# -- Quiet hours ----------------------------------------------------------------------------


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}").replace(tzinfo=PARIS)


QUIET = QuietHours()
# 2026-03-02 is a Monday.
QUIET_CASES = [
    (at("2026-03-04", 10), None),  # Wednesday morning
    (at("2026-03-04", 19, 59), None),
    (at("2026-03-04", 20), at("2026-03-05", 7)),  # Wednesday evening → Thursday 07:00
    (at("2026-03-04", 23, 30), at("2026-03-05", 7)),
    (at("2026-03-05", 3), at("2026-03-05", 7)),  # Thursday night
    (at("2026-03-05", 7), None),
    (at("2026-03-06", 19), None),  # Friday before the evening
    (at("2026-03-06", 20), at("2026-03-09", 7)),  # Friday evening → Monday 07:00
    (at("2026-03-07", 12), at("2026-03-09", 7)),  # Saturday
    (at("2026-03-08", 23), at("2026-03-09", 7)),  # Sunday night
    (at("2026-03-09", 6, 59), at("2026-03-09", 7)),  # Monday morning
    (at("2026-03-09", 7), None),
    # Summer time begins on Sunday 29 March 2026: Monday 07:00 is still 07:00 local.
    (at("2026-03-28", 10), at("2026-03-30", 7)),
]


@pytest.mark.parametrize(("moment", "until"), QUIET_CASES)
def test_quiet_hours(moment, until):
    assert quiet_until(moment, QUIET) == until


def test_quiet_hours_can_be_switched_off():
    assert quiet_until(at("2026-03-07", 12), QuietHours(enabled=False)) is None


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)))
def test_the_end_of_quiet_hours_is_a_weekday_at_seven(naive):
    moment = naive.replace(tzinfo=PARIS)
    until = quiet_until(moment, QUIET)
    if until is None:
        assert moment.weekday() < 5
        assert time(7) <= moment.time() < time(20)
    else:
        assert until > moment
        assert until.weekday() < 5
        assert until.time() == time(7)
        assert until - moment <= timedelta(days=2, hours=11)
        assert quiet_until(until, QUIET) is None


def test_quiet_hours_spare_staff_and_urgent_messages():
    assert policy.needs_quiet(recipient_staff=False, urgent=False)
    assert not policy.needs_quiet(recipient_staff=True, urgent=False)
    assert not policy.needs_quiet(recipient_staff=False, urgent=True)


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (12, 60)]
)
def test_retries_back_off_exponentially(attempts, minutes):
    assert policy.retry_delay(attempts) == timedelta(minutes=minutes)
