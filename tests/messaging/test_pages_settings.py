"""The direction's messaging settings: the matrix of who writes to whom as checkboxes,
quiet hours, rate limits, the technical sizes, and the emergency switch (confirmed,
audited). Only the direction opens them; what is saved is what the services then
enforce."""

import html

import pytest
from django.urls import reverse

from preau.audit.models import AuditEvent
from preau.messaging.models import Message, MessagingPolicy
from preau.messaging.services import POLICY_FIELDS
from tests.conftest import log_in
from tests.messaging.support import School

pytestmark = pytest.mark.django_db

SETTINGS = reverse("messaging:settings")
EMERGENCY = reverse("messaging:emergency")
SETTINGS_QUERIES = 7


@pytest.fixture
def school():
    return School()


def defaults(**changes) -> dict:
    """The form as the defaults fill it, with `changes`."""
    policy = MessagingPolicy()
    data = {}
    for name in POLICY_FIELDS:
        value = changes.get(name, getattr(policy, name))
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif hasattr(value, "strftime"):
            data[name] = value.strftime("%H:%M")
        else:
            data[name] = str(value)
    return data


def test_only_the_direction_opens_the_settings(client, school):
    for account in (school.teacher, school.cpe, school.secretariat, school.mother):
        log_in(client, account)
        assert client.get(SETTINGS).status_code == 404, account
        assert client.get(EMERGENCY).status_code == 404, account
        assert client.post(EMERGENCY, {"mode": "on"}).status_code == 404, account
        client.logout()
    assert not MessagingPolicy.objects.filter(emergency_staff_only=True).exists()


def test_the_settings_show_the_matrix_and_the_inbox_links_to_them(
    client, school, django_assert_num_queries
):
    log_in(client, school.direction)
    client.get(SETTINGS)

    with django_assert_num_queries(SETTINGS_QUERIES):
        response = client.get(SETTINGS)

    content = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert 'name="guardians_to_teachers" id="id_guardians_to_teachers" checked' in content
    assert 'name="pupils_to_pupils" id="id_pupils_to_pupils"' in content
    assert 'name="pupils_to_pupils" id="id_pupils_to_pupils" checked' not in content
    assert 'type="time" name="quiet_start" value="20:00"' in content
    assert "Activer le mode urgence" in content
    assert SETTINGS in client.get(reverse("messaging:inbox")).content.decode()
    client.logout()
    log_in(client, school.teacher)
    assert SETTINGS not in client.get(reverse("messaging:inbox")).content.decode()


def test_unticking_a_cell_closes_that_way_for_the_pages_too(client, school):
    log_in(client, school.direction)

    response = client.post(SETTINGS, defaults(guardians_to_teachers=False))

    assert response.status_code == 302
    policy = MessagingPolicy.objects.get(establishment=school.establishment)
    assert not policy.guardians_to_teachers
    event = AuditEvent.objects.get(action="messaging.policy_update")
    assert event.after == {"guardians_to_teachers": "False"}

    client.logout()
    log_in(client, school.mother)
    refused = client.post(
        reverse("messaging:compose"),
        {
            "subject": "Question",
            "body": "Bonjour",
            "kind": "discussion",
            "recipients": [school.teacher.person_id],
        },
    )
    assert refused.status_code == 403
    assert "L'établissement ne permet pas aux familles d'écrire aux enseignants." in (
        html.unescape(refused.content.decode())
    )
    assert not Message.objects.exists()


def test_wrong_values_are_answered_on_their_fields(client, school):
    log_in(client, school.direction)

    response = client.post(SETTINGS, defaults(messages_per_hour=0, quiet_start="25:00"))

    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="id_messages_per_hour_error"' in content
    assert 'id="id_quiet_start_error"' in content
    assert not MessagingPolicy.objects.exists()


def test_quiet_hours_and_limits_are_saved(client, school):
    log_in(client, school.direction)

    client.post(
        SETTINGS,
        defaults(quiet_start="19:30", quiet_end="07:30", messages_per_hour=5, quiet_hours=False),
    )

    policy = MessagingPolicy.objects.get(establishment=school.establishment)
    assert (policy.quiet_start.strftime("%H:%M"), policy.quiet_end.strftime("%H:%M")) == (
        "19:30",
        "07:30",
    )
    assert policy.messages_per_hour == 5
    assert not policy.quiet_hours


def test_the_emergency_switch_is_confirmed_then_logged(client, school, caplog):
    log_in(client, school.direction)

    confirm = client.get(EMERGENCY).content.decode()
    response = client.post(EMERGENCY, {"mode": "on"})

    assert "Confirmer : activer le mode urgence" in confirm
    assert response.status_code == 302
    policy = MessagingPolicy.objects.get(establishment=school.establishment)
    assert policy.emergency_staff_only
    assert policy.emergency_set_by_id == school.direction.person_id
    assert AuditEvent.objects.filter(action="messaging.emergency_on").count() == 1
    assert "messaging emergency switch ON" in caplog.text
    settings_page = html.unescape(client.get(SETTINGS).content.decode())
    assert "Lever le mode urgence" in settings_page
    assert school.direction.person.display_name in settings_page

    client.post(EMERGENCY, {"mode": "off"})
    policy.refresh_from_db()
    assert not policy.emergency_staff_only
    assert AuditEvent.objects.filter(action="messaging.emergency_off").count() == 1
