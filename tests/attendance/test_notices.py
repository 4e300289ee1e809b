"""Notices to families: both legal guardians are told the same day, by e-mail and in
the family space; outside quiet hours at once, otherwise at their end unless urgent;
each notice is sent once; a pupil's absences of a day due together make one e-mail."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from preau.attendance import notices, services
from preau.attendance.models import AbsenceKind, AbsenceNotice, AttendancePolicy, Mark
from preau.attendance.notices import create_notices, release_at, send_due_notices
from preau.core.models import Guardianship, Person
from tests.attendance.test_family_support import Family
from tests.factories import GuardianshipFactory, pupil_in

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
EVENING, MORNING = time(20, 0), time(7, 30)


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def family():
    return Family()


@pytest.fixture
def clock(monkeypatch):
    """Sets the time everything reads (`timezone.now`)."""

    def set_to(moment: datetime) -> datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


@pytest.fixture
def record(family, django_capture_on_commit_callbacks):
    """Record an absence as the vie scolaire does, through the service, and run what
    happens after the commit (notices, the eager sending task)."""

    def record_(pupil=None, *, start, end, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return services.absence_create(
                actor=None,
                establishment=family.establishment,
                pupil=pupil or family.emma,
                start=start,
                end=end,
                **fields,
            )

    return record_


def tuesday(family):
    return family.monday + timedelta(days=1)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


# -- When a notice is due (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Tuesday 2 December 2025
        ((2, 10, 0), (2, 10, 0)),
        ((2, 19, 59), (2, 19, 59)),
        ((2, 20, 0), (3, 7, 30)),
        ((2, 23, 30), (3, 7, 30)),
        ((3, 0, 10), (3, 7, 30)),
        ((3, 7, 29), (3, 7, 30)),
        ((3, 7, 30), (3, 7, 30)),
        # Friday evening, Saturday, Sunday and Monday early: Monday 07:30.
        ((5, 21, 0), (8, 7, 30)),
        ((6, 10, 0), (8, 7, 30)),
        ((7, 23, 0), (8, 7, 30)),
        ((8, 6, 0), (8, 7, 30)),
        ((5, 16, 0), (5, 16, 0)),
    ],
)
def test_the_end_of_the_quiet_hours(moment, expected):
    day, hour, minute = moment
    released = release_at(datetime(2025, 12, day, hour, minute, tzinfo=PARIS), EVENING, MORNING)
    day, hour, minute = expected
    assert released == datetime(2025, 12, day, hour, minute, tzinfo=PARIS)


def test_a_window_within_the_day_and_no_window():
    moment = datetime(2025, 12, 2, 12, 30, tzinfo=PARIS)
    assert release_at(moment, time(12, 0), time(14, 0)) == moment.replace(hour=14, minute=0)
    assert release_at(moment, time(20, 0), time(20, 0)) == moment


def quiet(moment: datetime) -> bool:
    clock = moment.time()
    return moment.weekday() >= 5 or clock >= EVENING or clock < MORNING


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(PARIS)
    )
)
def test_a_notice_is_never_released_in_quiet_hours_nor_later_than_needed(moment):
    moment = moment.astimezone(PARIS)
    released = release_at(moment, EVENING, MORNING)

    assert not quiet(released)
    assert released >= moment
    if not quiet(moment):
        assert released == moment
    else:
        # The first morning allowed: 07:30 of a weekday, within three days.
        assert released.time() == MORNING
        assert released - moment < timedelta(days=3)


# -- Who is told, and how ---------------------------------------------------------------


def test_both_legal_guardians_are_told_the_same_day_by_email_and_in_the_family_space(
    family, clock, record
):
    now = clock(at(tuesday(family), 10, 5))
    absence = record(start=at(tuesday(family), 10), end=at(tuesday(family), 11))

    rows = AbsenceNotice.objects.filter(absence=absence)
    assert sorted((n.guardian_id, n.channel) for n in rows) == sorted(
        (guardian.person_id, channel)
        for guardian in (family.mother, family.father)
        for channel in ("email", "space")
    )
    assert all(n.sent_at == now and n.due_at == now for n in rows)
    assert recipients() == sorted([family.mother.person.email, family.father.person.email])
    assert family.grandmother.person.email not in recipients()


def test_a_guardian_without_an_address_is_told_in_the_family_space_only(family, clock, record):
    Person.objects.filter(pk=family.father.person_id).update(email="")
    clock(at(tuesday(family), 10, 5))

    absence = record(start=at(tuesday(family), 10), end=at(tuesday(family), 11))

    channels = AbsenceNotice.objects.filter(absence=absence, guardian=family.father.person)
    assert [n.channel for n in channels] == ["space"]
    assert recipients() == [family.mother.person.email]


def test_an_adult_pupils_guardians_are_still_told(family, clock, record):
    Guardianship.objects.filter(pupil=family.lea).update(adult_objection_at=timezone.now())
    clock(at(tuesday(family), 10, 5))

    record(family.lea, start=at(tuesday(family), 10), end=at(tuesday(family), 11))

    assert recipients() == [family.lea_mother.person.email]


def test_the_email_says_what_happened_in_french_and_links_to_the_justification(
    family, clock, record
):
    clock(at(tuesday(family), 10, 5))
    occurrence = family.session(tuesday(family), 10, family.french)

    record(start=occurrence.start, end=occurrence.end, occurrence=occurrence)

    message = next(m for m in mail.outbox if m.to == [family.mother.person.email])
    assert message.subject.startswith("Absence de Emma Roche le mardi")
    assert "Bonjour Mme Claire" in message.body
    assert "Absence de 10:00 à 10:55 (Français)" in message.body
    assert f"/vie-scolaire/justifier/?enfant={family.emma.pk}" in message.body
    assert "03 87 00 00 00" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Justifier en ligne" in html


# -- When -------------------------------------------------------------------------------


def test_a_lateness_recorded_in_the_evening_is_told_the_next_morning(family, clock, record):
    day = tuesday(family)
    clock(at(day, 21))
    lateness = record(
        start=at(day, 8),
        end=at(day, 8, 10),
        kind=AbsenceKind.LATENESS,
        minutes_late=10,
    )

    assert mail.outbox == []
    assert {n.due_at for n in lateness.notices.all()} == {at(day + timedelta(days=1), 7, 30)}

    clock(at(day + timedelta(days=1), 7, 29))
    assert send_due_notices() == 0
    clock(at(day + timedelta(days=1), 7, 31))
    assert send_due_notices() == 4
    assert len(mail.outbox) == 2


def test_an_absence_going_on_is_told_at_once_even_at_night(family, clock, record):
    # The boarding house's evening roll call: the family may not know where the child is.
    day = tuesday(family)
    clock(at(day, 21, 5))

    record(start=at(day, 21), end=at(day, 22))

    assert len(mail.outbox) == 2


def test_the_mornings_absence_entered_in_the_evening_waits_for_the_next_morning(
    family, clock, record
):
    day = tuesday(family)
    clock(at(day, 21, 5))

    absence = record(start=at(day, 8), end=at(day, 9))

    assert mail.outbox == []
    assert {n.due_at for n in absence.notices.all()} == {at(day + timedelta(days=1), 7, 30)}


def test_an_absence_for_another_day_waits_for_the_morning(family, clock, record):
    day = tuesday(family)
    clock(at(day, 21, 5))

    absence = record(start=at(day + timedelta(days=2), 8), end=at(day + timedelta(days=2), 17))

    assert mail.outbox == []
    assert {n.due_at for n in absence.notices.all()} == {at(day + timedelta(days=1), 7, 30)}


def test_the_establishments_own_quiet_hours_apply(family, clock, record):
    AttendancePolicy.objects.create(
        establishment=family.establishment,
        quiet_hours_start=time(18, 0),
        quiet_hours_end=time(8, 0),
    )
    day = tuesday(family)
    clock(at(day, 18, 30))

    absence = record(start=at(day, 9), end=at(day, 9, 5), kind=AbsenceKind.LATENESS, minutes_late=5)

    assert {n.due_at for n in absence.notices.all()} == {at(day + timedelta(days=1), 8)}


def test_quiet_hours_count_in_the_establishments_time_zone(family, clock, record):
    family.establishment.timezone = "America/Cayenne"  # UTC-3, 4 hours behind Paris
    family.establishment.save()
    day = tuesday(family)
    cayenne = ZoneInfo("America/Cayenne")
    clock(datetime.combine(day, time(18, 0), tzinfo=cayenne))  # 22:00 in Paris

    record(start=at(day, 14), end=at(day, 14, 5), kind=AbsenceKind.LATENESS, minutes_late=5)

    assert len(mail.outbox) == 2


# -- Grouping, idempotency, voided absences ----------------------------------------------


def test_a_pupils_absences_of_a_day_due_together_make_one_email_per_guardian(family, clock, record):
    day = tuesday(family)
    clock(at(day, 22))
    record(start=at(day, 8), end=at(day, 9))
    record(start=at(day, 14), end=at(day, 15))
    record(start=at(day, 10), end=at(day, 10, 5), kind=AbsenceKind.LATENESS, minutes_late=5)

    clock(at(day + timedelta(days=1), 7, 30))
    send_due_notices()

    assert recipients() == sorted([family.mother.person.email, family.father.person.email])
    body = mail.outbox[0].body
    assert "de 08:00 à 09:00" in body
    assert "de 14:00 à 15:00" in body
    assert "Retard de 5 min" in body
    assert mail.outbox[0].subject.startswith("Absences et retards de Emma Roche")


def test_a_notice_is_sent_once_whatever_runs_again(family, clock, record):
    day = tuesday(family)
    clock(at(day, 10, 5))
    absence = record(start=at(day, 10), end=at(day, 11))

    assert send_due_notices() == 0
    create_notices([absence.pk])
    assert send_due_notices() == 0
    assert AbsenceNotice.objects.filter(absence=absence).count() == 4
    assert len(mail.outbox) == 2


def test_a_failed_email_is_kept_and_sent_on_the_next_run(family, clock, record, monkeypatch):
    day = tuesday(family)
    clock(at(day, 22))
    record(start=at(day, 8), end=at(day, 9))
    clock(at(day + timedelta(days=1), 7, 30))

    def down(self, fail_silently=False):
        raise ConnectionRefusedError("serveur de courrier injoignable")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMultiAlternatives.send", down)
        with pytest.raises(notices.NoticeDeliveryFailed):
            send_due_notices()
    failed = AbsenceNotice.objects.filter(channel="email")
    assert all(n.sent_at is None and "injoignable" in n.error for n in failed)

    assert send_due_notices() == 2
    assert len(mail.outbox) == 2


def test_a_voided_absence_is_not_notified(
    family, clock, record, django_capture_on_commit_callbacks
):
    day = tuesday(family)
    clock(at(day, 22))
    absence = record(start=at(day, 8), end=at(day, 9))
    services.absence_void(actor=None, absence=absence, expected_version=None, system=True)

    clock(at(day + timedelta(days=1), 7, 30))
    assert send_due_notices() == 0
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        created = services.absence_create(
            actor=None,
            establishment=family.establishment,
            pupil=family.emma,
            start=at(day, 14),
            end=at(day, 15),
        )
        services.absence_void(actor=None, absence=created, expected_version=None, system=True)
    assert not AbsenceNotice.objects.filter(absence=created).exists()


@transaction.atomic
def record_then_fail(family, day):
    services.absence_create(
        actor=None,
        establishment=family.establishment,
        pupil=family.hugo,
        start=at(day, 10),
        end=at(day, 11),
    )
    raise RuntimeError("the roll call failed")


def test_a_recording_rolled_back_notifies_nobody(family, clock, django_capture_on_commit_callbacks):
    day = tuesday(family)
    clock(at(day, 10, 5))
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            record_then_fail(family, day)
        kept = services.absence_create(
            actor=None,
            establishment=family.establishment,
            pupil=family.emma,
            start=at(day, 10),
            end=at(day, 11),
        )

    assert {n.absence_id for n in AbsenceNotice.objects.all()} == {kept.pk}
    assert family.other_parent.person.email not in recipients()
    assert len(mail.outbox) == 2


def test_when_families_do_not_justify_online_the_email_asks_them_to_tell_the_school(
    family, clock, record
):
    AttendancePolicy.objects.create(establishment=family.establishment, families_may_justify=False)
    clock(at(tuesday(family), 10, 5))

    record(start=at(tuesday(family), 10), end=at(tuesday(family), 11))

    body = mail.outbox[0].body
    assert "Merci d'en donner le motif à la vie scolaire" in body
    assert f"/vie-scolaire/absences/?enfant={family.emma.pk}" in body


def test_old_notices_are_no_longer_sent(family, clock, record):
    day = tuesday(family)
    clock(at(day, 22))
    record(start=at(day, 8), end=at(day, 9))

    clock(at(day + timedelta(days=20), 10))

    assert send_due_notices() == 0


# -- A roll call: notices in bulk --------------------------------------------------------


def test_a_roll_call_notifies_every_absent_pupils_guardians_in_a_few_queries(
    family, clock, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    day = tuesday(family)
    clock(at(day, 8, 10))
    pupils = [family.emma, family.hugo] + [pupil_in(family.b4) for _ in range(6)]
    for pupil in pupils[2:]:
        GuardianshipFactory(pupil=pupil)
        GuardianshipFactory(pupil=pupil)
    occurrence = family.session(day, 8, family.maths)
    audience = {pupil.pk: pupil for pupil in pupils}
    entries = {pupil.pk: services.Entry(Mark.ABSENT) for pupil in pupils}
    with django_capture_on_commit_callbacks() as callbacks:
        services.roll_call_record(
            actor=family.teacher, occurrence=occurrence, entries=entries, audience=audience
        )

    assert len(callbacks) == 1, "one batch of notices for the whole roll call"
    with django_assert_max_num_queries(6):
        create_notices(callbacks[0].ids)

    guardians = 2 + 1 + 2 * 6
    assert AbsenceNotice.objects.filter(channel="space").count() == guardians
    assert AbsenceNotice.objects.filter(channel="email").count() == guardians
