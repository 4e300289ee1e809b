"""The core writes: a roll call produces absences, lateness and school events, a
correction keeps the teacher's entry, nothing is deleted, stale edits are refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from preau.attendance import services
from preau.attendance.models import (
    Absence,
    AbsenceChange,
    AbsenceKind,
    AbsenceState,
    Mark,
    RollCallEntry,
    SchoolEvent,
)
from preau.core.models import RoleKind
from tests.factories import DivisionFactory, OccurrenceFactory, pupil_in, staff_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    division = DivisionFactory()
    teacher = staff_account(division.establishment, RoleKind.TEACHER)
    cpe = staff_account(division.establishment, RoleKind.CPE)
    pupils = [pupil_in(division) for _ in range(3)]
    occurrence = OccurrenceFactory(
        school_year=division.school_year, teachers=[teacher.person], divisions=[division]
    )
    return occurrence, teacher, cpe, {p.pk: p for p in pupils}


def test_a_roll_call_with_nobody_absent_is_recorded(lesson):
    occurrence, teacher, _cpe, pupils = lesson
    roll_call = services.roll_call_record(
        actor=teacher, occurrence=occurrence, entries={}, audience=pupils
    )
    assert roll_call.taken_by_id == teacher.person_id
    assert not Absence.objects.exists()


def test_marks_produce_absences_lateness_and_events_and_a_correction_voids_them(lesson):
    occurrence, teacher, _cpe, pupils = lesson
    first, second, third = pupils
    services.roll_call_record(
        actor=teacher,
        occurrence=occurrence,
        entries={
            first: services.Entry(Mark.ABSENT),
            second: services.Entry(Mark.LATE, 10),
            third: services.Entry(Mark.INFIRMARY),
        },
        audience=pupils,
    )
    absence = Absence.objects.get(pupil_id=first)
    assert (absence.kind, absence.state, absence.start, absence.end) == (
        AbsenceKind.ABSENCE,
        AbsenceState.UNJUSTIFIED,
        occurrence.start,
        occurrence.end,
    )
    assert Absence.objects.get(pupil_id=second).minutes_late == 10
    assert SchoolEvent.objects.get(pupil_id=third).kind == "infirmary"

    services.roll_call_record(
        actor=teacher, occurrence=occurrence, entries={first: services.Entry(None)}, audience=pupils
    )
    absence.refresh_from_db()
    assert absence.voided_at is not None
    assert RollCallEntry.objects.get(pupil_id=first).mark == Mark.PRESENT
    assert list(AbsenceChange.objects.filter(absence=absence).values_list("action", flat=True)) == [
        "created",
        "voided",
    ]


def test_resending_the_same_entries_changes_nothing(lesson):
    occurrence, teacher, _cpe, pupils = lesson
    first = next(iter(pupils))
    for _ in range(2):
        services.roll_call_record(
            actor=teacher,
            occurrence=occurrence,
            entries={first: services.Entry(Mark.ABSENT)},
            audience=pupils,
        )
    assert Absence.objects.count() == 1


def test_the_office_corrects_the_absence_not_the_teachers_entry(lesson):
    occurrence, teacher, cpe, pupils = lesson
    first = next(iter(pupils))
    services.roll_call_record(
        actor=teacher,
        occurrence=occurrence,
        entries={first: services.Entry(Mark.ABSENT)},
        audience=pupils,
    )
    absence = Absence.objects.get()
    reason = services.reasons_ensure(occurrence.establishment)[0]
    services.absence_decide(
        actor=cpe, absence=absence, expected_version=absence.version, accept=True, reason=reason
    )
    assert Absence.objects.get().state == AbsenceState.ACCEPTED
    assert RollCallEntry.objects.get().mark == Mark.ABSENT

    with pytest.raises(services.StaleAbsence):
        services.absence_update(
            actor=cpe, absence=absence, expected_version=absence.version, staff_comment="x"
        )


def test_a_teacher_does_not_process_absences(lesson):
    occurrence, teacher, _cpe, pupils = lesson
    with pytest.raises(PermissionDenied):
        services.absence_create(
            actor=teacher,
            establishment=occurrence.establishment,
            pupil=next(iter(pupils.values())),
            start=occurrence.start,
            end=occurrence.end,
        )


@pytest.mark.parametrize(
    ("marks", "absences", "events"),
    [
        # absent → late: the absence is voided, a lateness recorded
        ([Mark.ABSENT, Mark.LATE], [("absence", True), ("lateness", False)], []),
        # absent → present → absent: two absences, the first voided
        ([Mark.ABSENT, None, Mark.ABSENT], [("absence", True), ("absence", False)], []),
        # infirmary → excluded: two events, the first voided
        ([Mark.INFIRMARY, Mark.EXCLUDED], [], [("infirmary", True), ("exclusion", False)]),
        # late → infirmary
        ([Mark.LATE, Mark.INFIRMARY], [("lateness", True)], [("infirmary", False)]),
    ],
)
def test_changing_a_mark_voids_what_the_previous_one_produced(lesson, marks, absences, events):
    occurrence, teacher, _cpe, pupils = lesson
    first = next(iter(pupils))
    for mark in marks:
        services.roll_call_record(
            actor=teacher,
            occurrence=occurrence,
            entries={first: services.Entry(mark, 5 if mark == Mark.LATE else None)},
            audience=pupils,
        )
    assert [
        (a.kind, a.voided_at is not None)
        for a in Absence.objects.filter(pupil_id=first).order_by("pk")
    ] == absences
    assert [
        (e.kind, e.voided_at is not None)
        for e in SchoolEvent.objects.filter(pupil_id=first).order_by("pk")
    ] == events
    assert RollCallEntry.objects.get(pupil_id=first).mark == (marks[-1] or Mark.PRESENT)


def test_a_teacher_cannot_undo_an_absence_the_office_processed(lesson):
    """The CPE accepted the absence (a reason, a decision): the teacher's later change of
    mark is refused and nothing changes; the CPE may still correct it."""
    occurrence, teacher, cpe, pupils = lesson
    first = next(iter(pupils))
    services.roll_call_record(
        actor=teacher,
        occurrence=occurrence,
        entries={first: services.Entry(Mark.ABSENT)},
        audience=pupils,
    )
    absence = Absence.objects.get()
    reason = next(
        r for r in services.reasons_ensure(occurrence.establishment) if r.code == "TRANSP"
    )
    services.absence_decide(
        actor=cpe, absence=absence, expected_version=absence.version, accept=True, reason=reason
    )

    with pytest.raises(ValidationError, match="déjà traité"):
        services.roll_call_record(
            actor=teacher,
            occurrence=occurrence,
            entries={first: services.Entry(Mark.LATE, 5)},
            audience=pupils,
        )
    assert [(a.kind, a.state, a.voided_at) for a in Absence.objects.all()] == [
        (AbsenceKind.ABSENCE, AbsenceState.ACCEPTED, None)
    ]
    assert RollCallEntry.objects.get().mark == Mark.ABSENT

    services.roll_call_record(
        actor=cpe,
        occurrence=occurrence,
        entries={first: services.Entry(Mark.LATE, 5)},
        audience=pupils,
    )
    assert Absence.objects.get(pk=absence.pk).voided_at is not None


def test_acceptance_needs_a_reason_that_justifies_and_a_live_absence(lesson):
    occurrence, _teacher, cpe, pupils = lesson
    reasons = {r.code: r for r in services.reasons_ensure(occurrence.establishment)}
    absence = services.absence_create(
        actor=cpe,
        establishment=occurrence.establishment,
        pupil=next(iter(pupils.values())),
        start=occurrence.start,
        end=occurrence.end,
        notify=False,
    )
    with pytest.raises(ValidationError):
        services.absence_update(
            actor=cpe, absence=absence, expected_version=1, state=AbsenceState.ACCEPTED
        )
    with pytest.raises(ValidationError):
        services.absence_update(
            actor=cpe,
            absence=absence,
            expected_version=1,
            state=AbsenceState.ACCEPTED,
            reason=reasons["PANNE"],  # does not justify
        )
    services.absence_void(actor=cpe, absence=absence, expected_version=1)
    with pytest.raises(ValidationError):
        services.absence_decide(
            actor=cpe, absence=absence, expected_version=2, accept=True, reason=reasons["MAL"]
        )
    assert Absence.objects.get().state == AbsenceState.UNJUSTIFIED


def test_the_secretariat_does_not_process_a_health_reason(lesson):
    occurrence, _teacher, cpe, pupils = lesson
    secretariat = staff_account(occurrence.establishment, RoleKind.SECRETARIAT)
    reasons = {r.code: r for r in services.reasons_ensure(occurrence.establishment)}
    absence = services.absence_create(
        actor=secretariat,
        establishment=occurrence.establishment,
        pupil=next(iter(pupils.values())),
        start=occurrence.start,
        end=occurrence.end,
        notify=False,
    )
    with pytest.raises(PermissionDenied):
        services.absence_decide(
            actor=secretariat,
            absence=absence,
            expected_version=1,
            accept=True,
            reason=reasons["MAL"],
        )
    services.absence_decide(
        actor=secretariat, absence=absence, expected_version=1, accept=True, reason=reasons["FAM"]
    )
    with pytest.raises(PermissionDenied):
        services.absence_update(
            actor=secretariat, absence=absence, expected_version=2, reason=reasons["MAL"]
        )
    services.absence_update(actor=cpe, absence=absence, expected_version=2, reason=reasons["MAL"])
    assert Absence.objects.get().reason == reasons["MAL"]
