"""The settings of the vie scolaire, for the direction and the CPE: the reason
catalogue (add, change flags, withdraw from use; never delete) and the attendance
policy (boundary, ordered thresholds, grace minutes, quiet hours, online
justification). Every change is audited."""

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from preau.attendance import services, settings_services
from preau.attendance.models import AbsenceReason, AttendancePolicy
from preau.audit.models import AuditEvent
from tests.attendance.test_desk_school import DeskSchool, at
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return DeskSchool()


def reasons_url() -> str:
    return reverse("attendance:desk_reasons")


def policy_url() -> str:
    return reverse("attendance:desk_policy")


def reason_data(**fields) -> dict:
    data = {
        "code": "stage",
        "label": "Stage en entreprise",
        "justifies": "on",
        "family_selectable": "on",
        "on_report_card": "on",
        "position": "20",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("who", ["cpe", "direction"])
def test_the_direction_and_the_cpe_open_the_settings(client, school, who):
    log_in(client, getattr(school, who))
    assert client.get(reasons_url()).status_code == 200
    assert client.get(policy_url()).status_code == 200


@pytest.mark.parametrize("who", ["aed", "secretariat", "teacher"])
def test_nobody_else_opens_the_settings(client, school, who):
    log_in(client, getattr(school, who))
    assert client.get(reasons_url()).status_code == 404
    assert client.get(policy_url()).status_code == 404
    assert client.post(policy_url(), {}).status_code == 404


def test_the_services_refuse_a_person_without_the_role(school):
    with pytest.raises(PermissionDenied):
        settings_services.reason_create(
            actor=school.aed, establishment=school.establishment, code="X", label="X"
        )
    with pytest.raises(PermissionDenied):
        settings_services.policy_update(
            actor=school.secretariat, establishment=school.establishment, heavy_threshold=12
        )


# -- Reasons ------------------------------------------------------------------------------


def test_a_reason_is_added_with_its_flags_and_audited(client, school):
    log_in(client, school.cpe)

    response = client.post(reasons_url(), reason_data(health="on"))

    assert response.status_code == 302
    reason = AbsenceReason.objects.get(establishment=school.establishment, code="STAGE")
    assert (reason.label, reason.health, reason.legitimate, reason.justifies) == (
        "Stage en entreprise",
        True,
        False,
        True,
    )
    event = AuditEvent.objects.get(action="absence_reason.created")
    assert (event.actor, event.after["code"]) == (school.cpe, "STAGE")


def test_a_reason_code_is_unique_in_the_establishment(client, school):
    log_in(client, school.cpe)

    response = client.post(reasons_url(), reason_data(code="mal"))

    assert response.status_code == 400
    assert "Un motif porte déjà ce code." in response.content.decode()


def test_a_legitimate_reason_justifies(client, school):
    log_in(client, school.cpe)

    response = client.post(reasons_url(), reason_data(legitimate="on", justifies=""))

    assert response.status_code == 400
    assert not AbsenceReason.objects.filter(code="STAGE").exists()


def test_changing_a_reason_keeps_its_code_and_records_before_and_after(client, school):
    log_in(client, school.direction)
    url = reverse("attendance:desk_reason", args=[school.alarm.pk])

    response = client.post(
        url,
        reason_data(code="AUTRE", label="Panne de réveil", justifies="", family_selectable=""),
    )

    assert response.status_code == 302
    school.alarm.refresh_from_db()
    assert (school.alarm.code, school.alarm.family_selectable) == ("PANNE", False)
    event = AuditEvent.objects.get(action="absence_reason.changed")
    assert (event.before["family_selectable"], event.after["family_selectable"]) == (True, False)


def test_a_used_reason_is_withdrawn_not_deleted_and_absences_keep_it(client, school):
    absence = school.absence(
        school.emma, at(school.day, 8), at(school.day, 9), reason=school.transport
    )
    log_in(client, school.cpe)

    response = client.post(
        reverse("attendance:desk_reason_toggle", args=[school.transport.pk]), {"active": "0"}
    )

    assert response.status_code == 302
    school.transport.refresh_from_db()
    assert not school.transport.active
    absence.refresh_from_db()
    assert absence.reason == school.transport
    # No longer offered in the entry form.
    entry = client.get(reverse("attendance:desk_entry"))
    assert school.transport not in entry.context["form"].fields["reason"].queryset
    assert AuditEvent.objects.filter(action="absence_reason.deactivated").count() == 1
    # And it comes back.
    client.post(
        reverse("attendance:desk_reason_toggle", args=[school.transport.pk]), {"active": "1"}
    )
    school.transport.refresh_from_db()
    assert school.transport.active


def test_a_reason_of_another_establishment_answers_404(client, school):
    services.reasons_ensure(school.lycee.establishment)
    theirs = AbsenceReason.objects.get(establishment=school.lycee.establishment, code="MAL")
    log_in(client, school.cpe)

    assert client.get(reverse("attendance:desk_reason", args=[theirs.pk])).status_code == 404
    toggle = reverse("attendance:desk_reason_toggle", args=[theirs.pk])
    assert client.post(toggle, {"active": "0"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active


# -- Policy -------------------------------------------------------------------------------


def policy_data(**fields) -> dict:
    data = {
        "half_day_boundary": "12:00",
        "count_mode": "raw",
        "family_alert_threshold": "2",
        "referral_threshold": "4",
        "heavy_threshold": "10",
        "roll_call_grace_minutes": "15",
        "quiet_hours_start": "20:00",
        "quiet_hours_end": "07:30",
        "families_may_justify": "on",
        "contacts_see_absences": "on",
    }
    data.update(fields)
    return data


def test_the_policy_is_changed_and_audited(client, school):
    log_in(client, school.direction)

    response = client.post(
        policy_url(),
        policy_data(half_day_boundary="12:30", heavy_threshold="12", families_may_justify=""),
    )

    assert response.status_code == 302
    policy = AttendancePolicy.objects.get(establishment=school.establishment)
    assert (policy.half_day_boundary, policy.heavy_threshold, policy.families_may_justify) == (
        time(12, 30),
        12,
        False,
    )
    event = AuditEvent.objects.get(action="attendance_policy.changed")
    assert (event.before["half_day_boundary"], event.after["half_day_boundary"]) == (
        "12:00",
        "12:30",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"referral_threshold": "1"}, "referral_threshold"),
        ({"heavy_threshold": "3"}, "heavy_threshold"),
        ({"family_alert_threshold": "0"}, "family_alert_threshold"),
        ({"half_day_boundary": "08:00"}, "half_day_boundary"),
    ],
)
def test_a_policy_that_does_not_hold_together_is_refused(client, school, fields, field):
    log_in(client, school.cpe)

    response = client.post(policy_url(), policy_data(**fields))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not AuditEvent.objects.filter(action="attendance_policy.changed").exists()


def test_the_service_refuses_unordered_thresholds_whoever_calls(school):
    with pytest.raises(ValidationError):
        settings_services.policy_update(
            actor=None, establishment=school.establishment, referral_threshold=20
        )
    assert services.policy_for(school.establishment).referral_threshold == 4
