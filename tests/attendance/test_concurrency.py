"""Two people editing the same pupil's absences at once lose nothing (PostgreSQL).

Each test runs its writers in threads, each with its own database connection, on a
database the test really commits to (transaction=True): the row locks, the version
check and the transactions are PostgreSQL's own, not simulated. SQLite serialises
every write, so there is nothing to show there: the module is skipped."""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from preau.attendance import services
from preau.attendance.models import Absence, AbsenceChange, Mark, RollCallEntry
from tests.attendance.test_desk_school import DeskSchool, at

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: concurrent connections and row locks",
    ),
]

# Long enough for any of these writes, short enough to call a hang a deadlock.
TIMEOUT = 20


def run_together(*writers: Callable[[], object]) -> tuple[list, list]:
    """Run the writers in threads released at the same moment; return their results
    and the exceptions they raised. A thread still running after TIMEOUT fails the
    test: two writers waiting on each other is a deadlock."""
    start = threading.Barrier(len(writers))
    results: list = [None] * len(writers)
    errors: list = [None] * len(writers)

    def run(index: int, writer: Callable[[], object]) -> None:
        try:
            start.wait(TIMEOUT)
            results[index] = writer()
        except Exception as error:
            errors[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "writers deadlocked"
    return results, errors


@pytest.fixture
def school():
    return DeskSchool()


def test_two_corrections_from_the_same_version_one_wins_the_other_is_told(school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    read = Absence.objects.get(pk=absence.pk)
    locked = threading.Event()

    def first():
        # The CPE's correction holds the row a moment before it commits…
        with transaction.atomic():
            services.absence_update(
                actor=school.cpe,
                absence=read,
                expected_version=read.version,
                end=at(school.day, 10),
                staff_comment="Jusqu'à 10 h",
            )
            locked.set()
            time.sleep(0.5)
        return "saved"

    def second():
        # …while the assistant's correction, from the same version, waits for it.
        locked.wait(TIMEOUT)
        return services.absence_update(
            actor=school.aed,
            absence=read,
            expected_version=read.version,
            staff_comment="Arrivé à 9 h 30",
        )

    results, errors = run_together(first, second)

    assert results[0] == "saved"
    assert errors[0] is None
    assert isinstance(errors[1], services.StaleAbsence)
    assert errors[1].absence.version == read.version + 1
    current = Absence.objects.get(pk=absence.pk)
    assert (current.end, current.staff_comment, current.version) == (
        at(school.day, 10),
        "Jusqu'à 10 h",
        read.version + 1,
    )
    history = list(AbsenceChange.objects.filter(absence=absence).values_list("action", "actor"))
    assert history == [("created", None), ("corrected", school.cpe.person_id)]


def test_two_corrections_released_at_once_never_both_apply(school):
    absence = school.absence(school.emma, at(school.day, 8), at(school.day, 9))
    read = Absence.objects.get(pk=absence.pk)

    def correct(actor, comment):
        return lambda: services.absence_update(
            actor=actor, absence=read, expected_version=read.version, staff_comment=comment
        )

    results, errors = run_together(
        correct(school.cpe, "Version du CPE"), correct(school.aed, "Version de l'AED")
    )

    assert sum(error is None for error in errors) == 1
    assert sum(isinstance(error, services.StaleAbsence) for error in errors) == 1
    winner = next(result for result in results if result is not None)
    current = Absence.objects.get(pk=absence.pk)
    assert (current.staff_comment, current.version) == (winner.staff_comment, 2)
    assert AbsenceChange.objects.filter(absence=absence, action="corrected").count() == 1


def test_two_people_adding_absences_to_the_same_pupil_keep_both(school):
    def add(actor, start, end):
        return lambda: services.absence_create(
            actor=actor,
            establishment=school.establishment,
            pupil=school.emma,
            start=start,
            end=end,
            notify=False,
        )

    results, errors = run_together(
        add(school.cpe, at(school.day, 8), at(school.day, 12)),
        add(school.aed, at(school.day, 10), at(school.day, 17)),
    )

    assert errors == [None, None]
    kept = Absence.objects.filter(pupil=school.emma, voided_at__isnull=True)
    assert {absence.created_by for absence in kept} == {school.cpe.person, school.aed.person}
    assert AbsenceChange.objects.filter(absence__in=kept, action="created").count() == 2
    assert {result.pk for result in results} == {absence.pk for absence in kept}


def test_a_roll_call_and_the_offices_entry_at_once_are_both_kept(school):
    course = school.courses[("4B", school.day, 8)]
    audience = {school.emma.pk: school.emma, school.hugo.pk: school.hugo}

    def roll_call():
        return services.roll_call_record(
            actor=school.teacher,
            occurrence=course,
            entries={school.emma.pk: services.Entry(Mark.ABSENT)},
            audience=audience,
        )

    def office():
        # The whole day, held open a moment: the roll call runs meanwhile.
        with transaction.atomic():
            absence = services.absence_create(
                actor=school.cpe,
                establishment=school.establishment,
                pupil=school.emma,
                start=at(school.day, 0),
                end=at(school.next_day, 0),
                staff_comment="Appel de la mère",
                notify=False,
            )
            time.sleep(0.3)
        return absence

    results, errors = run_together(roll_call, office)

    assert errors == [None, None]
    entry = RollCallEntry.objects.get(roll_call__occurrence=course, pupil=school.emma)
    assert entry.mark == Mark.ABSENT
    entered = Absence.objects.get(pk=results[1].pk)
    assert entered.voided_at is None
    assert entered.staff_comment == "Appel de la mère"
    covering = Absence.objects.filter(
        pupil=school.emma,
        voided_at__isnull=True,
        start__lte=course.start,
        end__gte=course.end,
    )
    assert entered in covering


def test_the_same_roll_call_sent_twice_at_once_records_one_entry(school):
    """A teacher's phone resending the roll call while the first send is in flight."""
    course = school.courses[("4B", school.day, 9)]
    audience = {school.emma.pk: school.emma}

    def send():
        return services.roll_call_record(
            actor=school.teacher,
            occurrence=course,
            entries={school.emma.pk: services.Entry(Mark.LATE, 5)},
            audience=audience,
        )

    _results, errors = run_together(send, send)

    assert errors == [None, None]
    assert RollCallEntry.objects.filter(roll_call__occurrence=course).count() == 1
    assert Absence.objects.filter(pupil=school.emma, voided_at__isnull=True).count() == 1
