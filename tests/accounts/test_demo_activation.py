"""The demo's activation letter (docs/demo.md): Marc Lambert, Lucas's father, has an
imported account that is not activated, and the code `DEMO_ACTIVATION_CODE` on his
letter activates it; the lycée's secretariat may print him a new letter."""

import pytest
from django.db import transaction
from django.urls import reverse

from preau.accounts.models import Account, ActivationCode
from preau.core.models import Establishment, Person, RoleKind
from preau.devtools.demo import DEMO_ACTIVATION_CODE, LYCEE_UAI, build_demo
from tests.conftest import log_in
from tests.factories import staff_account

PASSWORD = "Marronnier-Préau-2027"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_demo(small=True, timetables=False)
        transaction.set_rollback(True)


@pytest.fixture
def marc(demo, db):
    return Account.objects.select_related("person").get(
        person__first_name="Marc", person__last_name="Lambert"
    )


def test_marc_is_imported_and_not_activated(marc):
    assert marc.login == "marc.lambert"
    assert marc.activated_at is None
    assert not marc.has_usable_password()
    assert ActivationCode.objects.filter(account=marc, used_at__isnull=True).count() == 1


def test_the_demo_code_activates_marcs_account(client, marc):
    response = client.post(
        reverse("accounts:activate"), {"login": marc.login, "code": DEMO_ACTIVATION_CODE.lower()}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("accounts:activate_password"),
        {"email": marc.person.email, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    marc.refresh_from_db()
    assert marc.activated_at is not None
    me = client.get("/api/v1/me").json()
    assert [child["display_name"] for child in me["children"]] == ["Lucas Lambert"]


def test_the_lycees_secretariat_offers_marc_a_letter(client, marc):
    lycee = Establishment.objects.get(uai=LYCEE_UAI)
    secretariat = staff_account(lycee, RoleKind.SECRETARIAT)
    lucas = Person.objects.get(account__login="lyceen")
    log_in(client, secretariat)

    page = client.get(reverse("structure:pupil", args=[lucas.pk])).content.decode()

    assert reverse("accounts:activation_letter", args=[marc.person_id]) in page
