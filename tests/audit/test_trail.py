"""The trail of who did what with accounts: sign-ins, sign-outs, password changes and
resets are recorded; rows are only ever added."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from preau.accounts.services import password_changed
from preau.audit.models import AuditEvent
from preau.audit.services import audit_record
from tests.conftest import log_in
from tests.factories import PASSWORD, AccountFactory, EstablishmentFactory

pytestmark = pytest.mark.django_db


def actions_of(account) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="accounts.account", object_id=str(account.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize("remember", [False, True])
def test_a_sign_in_is_recorded_with_its_method_and_choice(client, remember):
    account = AccountFactory()
    log_in(client, account, remember=remember)
    event = AuditEvent.objects.get(action="account.login")
    assert event.actor == account
    assert event.object_id == str(account.pk)
    assert event.after == {"method": "password", "remember": remember}


def test_a_refused_sign_in_records_nothing(client):
    account = AccountFactory()
    client.post(reverse("accounts:login"), {"username": account.login, "password": "faux"})
    assert not AuditEvent.objects.exists()


def test_signing_in_and_out_leaves_both_events_in_order(client):
    account = AccountFactory()
    log_in(client, account)
    client.post(reverse("accounts:logout"))
    assert actions_of(account) == ["account.login", "account.logout"]
    assert AuditEvent.objects.get(action="account.logout").actor == account


def test_signing_out_when_not_signed_in_records_nothing(client):
    client.post(reverse("accounts:logout"))
    assert not AuditEvent.objects.exists()


def test_a_password_change_then_a_reset_are_two_events(client):
    account = AccountFactory()
    log_in(client, account)
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Platane-Récré-2027",
            "new_password2": "Platane-Récré-2027",
        },
    )
    password_changed(account=account, by_reset=True)
    assert actions_of(account) == [
        "account.login",
        "account.password_change",
        "account.password_reset",
    ]


def test_an_event_names_its_target_and_establishment_and_the_system_has_no_actor():
    establishment = EstablishmentFactory()
    event = audit_record(
        actor=None,
        action="test.event",
        target=establishment,
        establishment=establishment,
        before={"a": 1},
        after={"a": 2},
    )
    event.refresh_from_db()
    assert event.actor is None
    assert (event.object_type, event.object_id) == ("core.establishment", str(establishment.pk))
    assert (event.before, event.after) == ({"a": 1}, {"a": 2})


def test_the_trail_cannot_be_edited_from_the_admin():
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/")
    request.user = AccountFactory(is_superuser=True, is_staff=True)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
