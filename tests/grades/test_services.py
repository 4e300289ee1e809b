"""The writes of grades: typed marks with their trail and versions, permissions,
sealed periods, evaluations, appraisals, coefficients and the audit trail."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction

from preau.audit.models import AuditEvent
from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.grades import services
from preau.grades.models import (
    Appraisal,
    AppraisalKind,
    Evaluation,
    GradesPolicy,
    Mark,
    MarkChange,
    PeriodSeal,
    SubjectCoefficient,
)
from preau.grades.services import Change
from preau.structure.models import Level
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    grading_period,
    mark,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    division = DivisionFactory()
    establishment = division.establishment
    teacher = staff_account(establishment)
    colleague = staff_account(establishment)
    stranger = staff_account(establishment)
    direction = staff_account(establishment, RoleKind.DIRECTION)
    service = division_service(division, teacher.person, colleague.person)
    period = grading_period(division.school_year)
    evaluation = EvaluationFactory(service=service, period=period)
    pupils = [pupil_in(division) for _ in range(3)]
    other_division = DivisionFactory(school_year=division.school_year)
    outsider = pupil_in(other_division)
    return type(
        "School",
        (),
        {
            "division": division,
            "establishment": establishment,
            "teacher": teacher,
            "colleague": colleague,
            "stranger": stranger,
            "direction": direction,
            "service": service,
            "period": period,
            "evaluation": evaluation,
            "pupils": pupils,
            "outsider": outsider,
            "other_division": other_division,
        },
    )


def stored(evaluation, pupil) -> str | None:
    row = Mark.objects.filter(evaluation=evaluation, pupil=pupil).first()
    return row.text if row else None


# -- marks_set ---------------------------------------------------------------------------------


def test_valid_marks_and_codes_are_kept_in_canonical_form(school):
    a, b, c = school.pupils
    cells = services.marks_set(
        actor=school.teacher,
        evaluation=school.evaluation,
        changes=[Change(a.pk, "15,5", 0), Change(b.pk, "abs0", 0), Change(c.pk, " 12 ", 0)],
    )
    assert [(cell.pupil_id, cell.text, cell.version, cell.error) for cell in cells] == [
        (a.pk, "15.5", 1, ""),
        (b.pk, "ABS0", 1, ""),
        (c.pk, "12", 1, ""),
    ]
    assert stored(school.evaluation, a) == "15.5"
    row = Mark.objects.get(evaluation=school.evaluation, pupil=a)
    assert row.value == Decimal("15.5")
    assert row.code == ""
    assert row.updated_by_id == school.teacher.person_id
    row = Mark.objects.get(evaluation=school.evaluation, pupil=b)
    assert (row.value, row.code) == (None, "ABS0")


def test_an_invalid_entry_keeps_the_old_value_with_the_reason(school):
    a, b, _ = school.pupils
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="12")
    cells = services.marks_set(
        actor=school.teacher,
        evaluation=school.evaluation,
        changes=[Change(a.pk, "25", 1), Change(b.pk, "douze", 0)],
    )
    assert cells[0].text == "12"
    assert cells[0].version == 1
    assert "dépasse le barème" in cells[0].error
    assert not cells[0].conflict
    assert cells[1].text == ""
    assert "ni une note ni un code" in cells[1].error
    assert stored(school.evaluation, a) == "12"
    assert stored(school.evaluation, b) is None
    assert MarkChange.objects.count() == 1


def test_the_versions_grow_with_each_change(school):
    a = school.pupils[0]
    first = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=a, text="10", expected_version=0
    )
    second = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=a, text="11", expected_version=1
    )
    assert (first.version, second.version) == (1, 2)
    assert Mark.objects.get(pupil=a).version == 2


def test_clearing_deletes_the_mark_and_logs_it(school):
    a = school.pupils[0]
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="ABS")
    cell = services.mark_set(
        actor=school.colleague,
        evaluation=school.evaluation,
        pupil=a,
        text="  ",
        expected_version=1,
    )
    assert (cell.text, cell.version, cell.error) == ("", 0, "")
    assert stored(school.evaluation, a) is None
    last = MarkChange.objects.last()
    assert (last.before, last.after, last.actor_id) == ("ABS", "", school.colleague.person_id)
    # Clearing an empty cell changes nothing and logs nothing.
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="")
    assert MarkChange.objects.count() == 2


def test_a_pupil_outside_the_audience_is_refused(school):
    cells = services.marks_set(
        actor=school.teacher,
        evaluation=school.evaluation,
        changes=[Change(school.outsider.pk, "12", 0), Change(school.pupils[0].pk, "13", 0)],
    )
    assert cells[0].error == "Cet élève ne suit pas ce service."
    assert cells[0].text == ""
    assert cells[1].error == ""
    assert not Mark.objects.filter(pupil=school.outsider).exists()
    assert stored(school.evaluation, school.pupils[0]) == "13"


def test_a_version_conflict_answers_the_colleagues_value_without_overwriting(school):
    a = school.pupils[0]
    # Both opened the grid on an empty cell; the colleague saved first.
    services.mark_set(
        actor=school.colleague, evaluation=school.evaluation, pupil=a, text="14", expected_version=0
    )
    cell = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=a, text="9", expected_version=0
    )
    assert cell.conflict
    assert (cell.text, cell.version) == ("14", 1)
    assert "collègue (14)" in cell.error
    assert stored(school.evaluation, a) == "14"
    assert MarkChange.objects.count() == 1
    # Having seen it, the teacher may change it.
    cell = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=a, text="9", expected_version=1
    )
    assert (cell.text, cell.version, cell.conflict) == ("9", 2, False)


def test_a_conflict_on_a_cleared_cell(school):
    a = school.pupils[0]
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="14")
    services.mark_set(
        actor=school.colleague, evaluation=school.evaluation, pupil=a, text="", expected_version=1
    )
    cell = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=a, text="15", expected_version=1
    )
    assert cell.conflict
    assert (cell.text, cell.version) == ("", 0)
    assert "vide" in cell.error
    assert stored(school.evaluation, a) is None


def test_the_same_text_sent_again_is_not_a_conflict(school):
    a = school.pupils[0]
    services.mark_set(
        actor=school.colleague, evaluation=school.evaluation, pupil=a, text="14", expected_version=0
    )
    cell = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=a, text="14,0", expected_version=0
    )
    assert (cell.text, cell.version, cell.conflict, cell.error) == ("14", 1, False, "")
    assert MarkChange.objects.count() == 1


def test_two_colleagues_on_different_pupils_both_keep_their_marks(school):
    a, b, _ = school.pupils
    services.marks_set(
        actor=school.teacher, evaluation=school.evaluation, changes=[Change(a.pk, "11", 0)]
    )
    services.marks_set(
        actor=school.colleague, evaluation=school.evaluation, changes=[Change(b.pk, "17", 0)]
    )
    assert stored(school.evaluation, a) == "11"
    assert stored(school.evaluation, b) == "17"


def test_forcing_overwrites(school):
    a = school.pupils[0]
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="10")
    cell = services.mark_set(
        actor=school.colleague, evaluation=school.evaluation, pupil=a, text="12"
    )
    assert (cell.text, cell.version, cell.conflict) == ("12", 2, False)


def test_a_pupil_named_twice_in_one_batch(school):
    a = school.pupils[0]
    cells = services.marks_set(
        actor=school.teacher,
        evaluation=school.evaluation,
        changes=[Change(a.pk, "10", None), Change(a.pk, "12", None)],
    )
    assert [cell.text for cell in cells] == ["10", "12"]
    assert stored(school.evaluation, a) == "12"
    assert Mark.objects.get(pupil=a).version == 2
    assert [(c.before, c.after) for c in MarkChange.objects.all()] == [("", "10"), ("10", "12")]


def test_every_change_is_in_the_trail(school):
    a = school.pupils[0]
    ev = school.evaluation
    services.mark_set(actor=school.teacher, evaluation=ev, pupil=a, text="10", source="paste")
    services.mark_set(actor=school.colleague, evaluation=ev, pupil=a, text="NR", expected_version=1)
    services.mark_set(actor=school.direction, evaluation=ev, pupil=a, text="8,25")
    services.mark_set(actor=None, evaluation=ev, pupil=a, text="")
    trail = [
        (c.before, c.after, c.actor_id, c.source, c.after_seal)
        for c in MarkChange.objects.filter(evaluation=ev, pupil=a)
    ]
    assert trail == [
        ("", "10", school.teacher.person_id, "paste", False),
        ("10", "NR", school.colleague.person_id, "grid", False),
        ("NR", "8.25", school.direction.person_id, "grid", False),
        ("8.25", "", None, "grid", False),
    ]


def test_another_teacher_may_not_enter_marks_the_direction_may(school):
    a = school.pupils[0]
    with pytest.raises(PermissionDenied):
        services.mark_set(actor=school.stranger, evaluation=school.evaluation, pupil=a, text="12")
    assert not Mark.objects.exists()
    # The direction of another establishment neither.
    elsewhere = staff_account(DivisionFactory().establishment, RoleKind.DIRECTION)
    with pytest.raises(PermissionDenied):
        services.mark_set(actor=elsewhere, evaluation=school.evaluation, pupil=a, text="12")
    cell = services.mark_set(
        actor=school.direction, evaluation=school.evaluation, pupil=a, text="12"
    )
    assert cell.text == "12"
    assert services.may_enter(school.teacher, school.service)
    assert services.may_enter(school.direction, school.service)
    assert not services.may_enter(school.stranger, school.service)


def test_a_sealed_period_refuses_teachers_and_flags_the_direction(school):
    a = school.pupils[0]
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="10")
    services.period_seal(actor=school.direction, division=school.division, period=school.period)
    assert services.sealed_divisions(school.evaluation)
    with pytest.raises(PermissionDenied, match="close"):
        services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="12")
    assert stored(school.evaluation, a) == "10"
    cell = services.mark_set(
        actor=school.direction, evaluation=school.evaluation, pupil=a, text="12"
    )
    assert cell.text == "12"
    last = MarkChange.objects.last()
    assert (last.before, last.after, last.after_seal) == ("10", "12", True)
    # Evaluations and appraisals are closed too.
    with pytest.raises(PermissionDenied):
        services.evaluation_update(actor=school.teacher, evaluation=school.evaluation, title="X")
    with pytest.raises(PermissionDenied):
        services.appraisal_set(
            actor=school.teacher,
            period=school.period,
            pupil=a,
            division=school.division,
            kind=AppraisalKind.SUBJECT,
            service=school.service,
            text="Bien.",
        )
    # Unsealed, the teacher types again.
    services.period_unseal(actor=school.direction, division=school.division, period=school.period)
    cell = services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="13")
    assert cell.text == "13"
    assert MarkChange.objects.last().after_seal is False


def test_a_seal_of_another_division_or_period_does_not_close(school):
    services.period_seal(
        actor=school.direction, division=school.other_division, period=school.period
    )
    other_period = grading_period(school.division.school_year, number=2)
    services.period_seal(actor=school.direction, division=school.division, period=other_period)
    assert not services.sealed_divisions(school.evaluation)
    cell = services.mark_set(
        actor=school.teacher, evaluation=school.evaluation, pupil=school.pupils[0], text="12"
    )
    assert cell.error == ""


# -- Evaluations --------------------------------------------------------------------------------


def create(school, actor=None, **fields):
    day = today()
    return services.evaluation_create(
        actor=actor or school.teacher,
        service=school.service,
        period=school.period,
        **({"title": "Contrôle", "date": day} | fields),
    )


def test_evaluation_create_with_defaults_and_audit(school):
    evaluation = create(school)
    assert evaluation.published_on == evaluation.date
    assert (evaluation.scale, evaluation.coefficient, evaluation.bring_to_20) == (20, 1, True)
    assert evaluation.created_by_id == school.teacher.person_id
    assert evaluation.establishment_id == school.establishment.pk
    event = AuditEvent.objects.get(action="grades.evaluation_create")
    assert event.object_id == str(evaluation.pk)
    assert event.after["title"] == "Contrôle"
    assert event.actor_id == school.teacher.pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scale": Decimal(0)}, "scale"),
        ({"scale": Decimal(150)}, "scale"),
        ({"scale": Decimal("-5")}, "scale"),
        ({"coefficient": Decimal(100)}, "coefficient"),
        ({"coefficient": Decimal("-1")}, "coefficient"),
        ({"kind": "extra"}, "kind"),
    ],
)
def test_evaluation_create_validation(school, fields, field):
    with pytest.raises(ValidationError) as caught:
        create(school, **fields)
    assert field in caught.value.message_dict
    assert not Evaluation.objects.filter(title="Contrôle").exists()


def test_evaluation_create_accepts_the_bounds(school):
    evaluation = create(
        school, scale=Decimal(100), coefficient=Decimal(99), kind="bonus", bring_to_20=False
    )
    assert evaluation.pk
    assert create(school, coefficient=Decimal("0.5")).coefficient == Decimal("0.5")
    assert create(school, coefficient=Decimal(0)).coefficient == 0


def test_evaluation_create_refuses_a_period_of_another_year(school):
    year = SchoolYearFactory(
        establishment=school.establishment,
        start_date=school.division.school_year.start_date - timedelta(days=365),
        end_date=school.division.school_year.start_date - timedelta(days=30),
    )
    with pytest.raises(ValidationError) as caught:
        services.evaluation_create(
            actor=school.teacher,
            service=school.service,
            period=grading_period(year),
            title="Ancien",
            date=today(),
        )
    assert "period" in caught.value.message_dict


def test_evaluation_create_refuses_a_sub_subject_of_another_service(school):
    other = division_service(school.division, school.teacher.person)
    sub = services.sub_subject_create(
        actor=school.teacher, service=other, code="oral", label="Oral"
    )
    assert sub.code == "ORAL"
    with pytest.raises(ValidationError) as caught:
        create(school, sub_subject=sub)
    assert "sub_subject" in caught.value.message_dict
    mine = services.sub_subject_create(
        actor=school.teacher, service=school.service, code="ECRIT", label="Écrit"
    )
    assert create(school, sub_subject=mine).sub_subject_id == mine.pk


def test_evaluation_create_permissions_and_unknown_fields(school):
    with pytest.raises(PermissionDenied):
        create(school, actor=school.stranger)
    assert create(school, actor=school.direction).pk
    with pytest.raises(TypeError):
        create(school, service_id=1)


def test_evaluation_update_is_audited_and_validated(school):
    evaluation = create(school)
    updated = services.evaluation_update(
        actor=school.colleague, evaluation=evaluation, title="Devoir maison", scale=Decimal(10)
    )
    assert (updated.title, updated.scale) == ("Devoir maison", 10)
    event = AuditEvent.objects.get(action="grades.evaluation_update")
    assert (event.before["title"], event.after["title"]) == ("Contrôle", "Devoir maison")
    with pytest.raises(ValidationError):
        services.evaluation_update(actor=school.teacher, evaluation=evaluation, scale=Decimal(0))
    with pytest.raises(PermissionDenied):
        services.evaluation_update(actor=school.stranger, evaluation=evaluation, title="X")


def test_evaluation_update_refuses_a_scale_below_a_mark(school):
    a = school.pupils[0]
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="16")
    with pytest.raises(ValidationError) as caught:
        services.evaluation_update(
            actor=school.teacher, evaluation=school.evaluation, scale=Decimal(10)
        )
    assert "scale" in caught.value.message_dict
    school.evaluation.refresh_from_db()
    assert school.evaluation.scale == 20
    services.evaluation_update(
        actor=school.teacher, evaluation=school.evaluation, scale=Decimal(16)
    )


def test_evaluation_update_may_not_move_into_a_sealed_period(school):
    closed = grading_period(school.division.school_year, number=2)
    services.period_seal(actor=school.direction, division=school.division, period=closed)
    with pytest.raises(PermissionDenied):
        services.evaluation_update(
            actor=school.teacher, evaluation=school.evaluation, period=closed
        )
    moved = services.evaluation_update(
        actor=school.direction, evaluation=school.evaluation, period=closed
    )
    assert moved.period_id == closed.pk


def test_evaluation_delete_refused_with_marks(school):
    a = school.pupils[0]
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="ABS")
    with pytest.raises(ValidationError):
        services.evaluation_delete(actor=school.teacher, evaluation=school.evaluation)
    assert Evaluation.objects.filter(pk=school.evaluation.pk).exists()
    # Cleared, it may go.
    services.mark_set(actor=school.teacher, evaluation=school.evaluation, pupil=a, text="")
    with pytest.raises(PermissionDenied):
        services.evaluation_delete(actor=school.stranger, evaluation=school.evaluation)
    pk = school.evaluation.pk
    services.evaluation_delete(actor=school.teacher, evaluation=school.evaluation)
    assert not Evaluation.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="grades.evaluation_delete")
    assert event.object_id == str(pk)
    assert event.before["title"] == school.evaluation.title


# -- Appraisals ---------------------------------------------------------------------------------


def appraise(school, actor, *, kind=AppraisalKind.SUBJECT, text="Bon trimestre.", **extra):
    service = extra.pop("service", school.service if kind == AppraisalKind.SUBJECT else None)
    return services.appraisal_set(
        actor=actor,
        period=school.period,
        pupil=extra.pop("pupil", school.pupils[0]),
        division=extra.pop("division", school.division),
        kind=kind,
        text=text,
        service=service,
        **extra,
    )


def test_the_teacher_writes_the_subject_appraisal_with_versions(school):
    first = appraise(school, school.teacher, expected_version=0)
    assert (first.text, first.version, first.author_id) == (
        "Bon trimestre.",
        1,
        school.teacher.person_id,
    )
    second = appraise(school, school.colleague, text="  Très bien.  ", expected_version=1)
    assert (second.pk, second.text, second.version) == (first.pk, "Très bien.", 2)
    events = AuditEvent.objects.filter(action="grades.appraisal_set").order_by("id")
    assert [e.after["text"] for e in events] == ["Bon trimestre.", "Très bien."]
    assert events[1].before == {"text": "Bon trimestre."}


def test_a_stale_appraisal_is_refused(school):
    appraise(school, school.teacher, expected_version=0)
    with pytest.raises(services.StaleAppraisal):
        appraise(school, school.colleague, text="Autre.", expected_version=0)
    assert Appraisal.objects.get().text == "Bon trimestre."


def test_clearing_an_appraisal(school):
    appraise(school, school.teacher)
    assert appraise(school, school.teacher, text="   ") is None
    assert not Appraisal.objects.exists()
    event = AuditEvent.objects.get(action="grades.appraisal_clear")
    assert event.before == {"text": "Bon trimestre."}


def test_the_length_limit_comes_from_the_establishments_policy(school):
    GradesPolicy.objects.create(establishment=school.establishment, appraisal_max_length=60)
    assert appraise(school, school.teacher, text="x" * 60).text == "x" * 60
    with pytest.raises(ValidationError, match="61 caractères : la limite est 60"):
        appraise(school, school.teacher, text="x" * 61)
    # A policy given by the caller wins.
    policy = GradesPolicy(establishment=school.establishment, appraisal_max_length=100)
    assert appraise(school, school.teacher, text="y" * 100, policy=policy).text == "y" * 100


def test_the_default_length_limit_is_400(school):
    appraise(school, school.teacher, text="x" * 400)
    with pytest.raises(ValidationError):
        appraise(school, school.teacher, text="x" * 401)


def test_who_writes_the_head_teacher_and_council_appraisals(school):
    head = staff_account(school.establishment)
    school.division.head_teachers.add(head.person)
    for kind in (AppraisalKind.HEAD_TEACHER, AppraisalKind.COUNCIL):
        with pytest.raises(PermissionDenied):
            appraise(school, school.teacher, kind=kind)
        assert appraise(school, head, kind=kind).author_id == head.person_id
        assert appraise(school, school.direction, kind=kind, text="Direction.").version == 2
    # A head teacher of the division does not write a subject's appraisal they do not teach.
    with pytest.raises(PermissionDenied):
        appraise(school, head)
    with pytest.raises(PermissionDenied):
        appraise(school, school.stranger)


def test_a_head_teacher_of_another_division_is_refused(school):
    head = staff_account(school.establishment)
    school.other_division.head_teachers.add(head.person)
    # Naming their own division for a pupil of another one changes nothing.
    with pytest.raises(PermissionDenied):
        appraise(school, head, kind=AppraisalKind.HEAD_TEACHER, division=school.other_division)
    assert not Appraisal.objects.exists()


def test_an_appraisal_names_a_service_for_a_subject_only(school):
    with pytest.raises(ValidationError):
        appraise(school, school.direction, kind=AppraisalKind.SUBJECT, service=None)
    with pytest.raises(ValidationError):
        appraise(school, school.direction, kind=AppraisalKind.COUNCIL, service=school.service)
    with pytest.raises(ValidationError):
        appraise(school, school.direction, kind="anything")


# -- Coefficients, seals, settings --------------------------------------------------------------


def test_subject_coefficient_set_only_by_the_direction(school):
    subject_id = school.service.subject_id
    with pytest.raises(PermissionDenied):
        services.subject_coefficient_set(
            actor=school.teacher,
            subject_id=subject_id,
            coefficient=Decimal(3),
            division=school.division,
        )
    row = services.subject_coefficient_set(
        actor=school.direction,
        subject_id=subject_id,
        coefficient=Decimal(3),
        division=school.division,
    )
    assert (row.division_id, row.level, row.period_id, row.coefficient) == (
        school.division.pk,
        "",
        None,
        3,
    )
    again = services.subject_coefficient_set(
        actor=school.direction,
        subject_id=subject_id,
        coefficient=Decimal("2.5"),
        division=school.division,
    )
    assert again.pk == row.pk
    assert SubjectCoefficient.objects.get().coefficient == Decimal("2.5")
    events = AuditEvent.objects.filter(action="grades.subject_coefficient_set").order_by("id")
    assert [(e.before, e.after) for e in events] == [
        (None, {"coefficient": "3"}),
        ({"coefficient": "3.00"}, {"coefficient": "2.5"}),
    ]


def test_subject_coefficient_for_a_level_and_period(school):
    period = school.period
    row = services.subject_coefficient_set(
        actor=school.direction,
        subject_id=SubjectFactory(establishment=school.establishment).pk,
        coefficient=Decimal(4),
        level=Level.TROISIEME,
        school_year_id=school.division.school_year_id,
        establishment_id=school.establishment.pk,
        period=period,
    )
    assert (row.division_id, row.level, row.period_id) == (None, Level.TROISIEME, period.pk)
    with pytest.raises(ValidationError):
        services.subject_coefficient_set(
            actor=school.direction,
            subject_id=school.service.subject_id,
            coefficient=Decimal(100),
            division=school.division,
        )


def test_period_seal_only_by_the_direction(school):
    with pytest.raises(PermissionDenied):
        services.period_seal(actor=school.teacher, division=school.division, period=school.period)
    assert not PeriodSeal.objects.exists()
    seal = services.period_seal(
        actor=school.direction, division=school.division, period=school.period
    )
    assert seal.sealed_by_id == school.direction.person_id
    # Sealing twice keeps one seal.
    services.period_seal(actor=school.direction, division=school.division, period=school.period)
    assert PeriodSeal.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.period_unseal(actor=school.teacher, division=school.division, period=school.period)
    services.period_unseal(actor=school.direction, division=school.division, period=school.period)
    assert not PeriodSeal.objects.exists()
    assert AuditEvent.objects.filter(action="grades.period_seal").count() == 2
    assert AuditEvent.objects.filter(action="grades.period_unseal").count() == 1


def test_policy_update_only_by_the_direction(school):
    with pytest.raises(PermissionDenied):
        services.policy_update(
            actor=school.teacher, establishment_id=school.establishment.pk, parent_delay_days=2
        )
    policy = services.policy_update(
        actor=school.direction,
        establishment_id=school.establishment.pk,
        parent_delay_days=2,
        rounding_step="0.5",
    )
    assert policy.rounding.step == Decimal("0.5")
    event = AuditEvent.objects.get(action="grades.policy_update")
    assert event.before == {"parent_delay_days": "0", "rounding_step": "0.01"}
    assert event.after == {"parent_delay_days": "2", "rounding_step": "0.5"}
    with pytest.raises(ValidationError):
        services.policy_update(
            actor=school.direction, establishment_id=school.establishment.pk, rounding_step="0.3"
        )


def test_marks_written_by_the_factory_read_back(school):
    # The factory helper and the services agree on the canonical text.
    row = mark(school.evaluation, school.pupils[1], "7,75")
    assert row.text == "7.75"
    cell = services.mark_set(
        actor=school.teacher,
        evaluation=school.evaluation,
        pupil=school.pupils[1],
        text="7.75",
        expected_version=1,
    )
    assert (cell.version, cell.conflict) == (1, False)


# -- Two teachers at once (PostgreSQL) --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
def test_two_teachers_typing_the_same_empty_cell_at_once_one_is_told(school):
    a, b, c = school.pupils
    evaluation = Evaluation.objects.get(pk=school.evaluation.pk)
    inserted = threading.Event()
    answers: dict = {}
    errors: list = []

    def first():
        try:
            with transaction.atomic():
                answers["first"] = services.marks_set(
                    actor=school.teacher,
                    evaluation=evaluation,
                    changes=[Change(a.pk, "12", 0), Change(b.pk, "8", 0)],
                )
                inserted.set()
                # Holds its new rows uncommitted while the colleague types.
                time.sleep(0.5)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
            inserted.set()
        finally:
            connections.close_all()

    def second():
        try:
            inserted.wait(10)
            answers["second"] = services.marks_set(
                actor=school.colleague,
                evaluation=evaluation,
                changes=[Change(a.pk, "15", 0), Change(c.pk, "17", 0)],
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors
    told = answers["second"][0]
    assert (told.pupil_id, told.text, told.version, told.conflict) == (a.pk, "12", 1, True)
    assert answers["second"][1].text == "17"
    assert {m.pupil_id: m.text for m in Mark.objects.all()} == {a.pk: "12", b.pk: "8", c.pk: "17"}
    assert MarkChange.objects.count() == 3


def test_a_teacher_cannot_add_an_evaluation_to_a_sealed_period():
    from preau.core.models import RoleKind
    from preau.grades.services import evaluation_create, period_seal
    from tests.factories import (
        DivisionFactory,
        division_service,
        grading_period,
        staff_account,
    )

    division = DivisionFactory()
    teacher = staff_account(division.establishment)
    direction = staff_account(division.establishment, RoleKind.DIRECTION)
    service = division_service(division, teacher.person)
    period = grading_period(division.school_year)
    period_seal(actor=direction, division=division, period=period)
    day = period.start_date

    with pytest.raises(PermissionDenied):
        evaluation_create(actor=teacher, service=service, period=period, title="DS", date=day)
    made = evaluation_create(actor=direction, service=service, period=period, title="DS", date=day)
    assert made.pk is not None
