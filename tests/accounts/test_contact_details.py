"""A guardian, or a pupil of age, keeps their own contact details up to date; the
change is in the trail with before and after, the staff read it on the pupil's file,
and the previous e-mail address is told when it is replaced."""

import html
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.core.models import Person
from tests.accounts.support import School, activated_guardian
from tests.conftest import log_in
from tests.factories import AccountFactory, pupil_in

pytestmark = pytest.mark.django_db

URL = reverse("accounts:contact_details")
ACCOUNT = reverse("accounts:account")

DETAILS = {
    "email": "sophie.lambert@exemple.fr",
    "mobile_phone": "06 12 34 56 78",
    "phone": "+33 3 87 00 00 00",
    "address_line1": "8 rue Mazelle",
    "address_line2": "",
    "postal_code": "57000",
    "city": "Metz",
    "country": "France",
}


@pytest.fixture
def school():
    return School()


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_a_guardian_updates_their_details_and_the_staff_see_them(
    client, school, django_capture_on_commit_callbacks
):
    mother = school.mother
    previous_email = mother.person.email
    log_in(client, mother)
    assert client.get(URL).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, DETAILS)

    assert response.status_code == 302
    assert response["Location"] == ACCOUNT
    person = Person.objects.get(pk=mother.person_id)
    assert (person.email, person.mobile_phone, person.city) == (
        "sophie.lambert@exemple.fr",
        "06 12 34 56 78",
        "Metz",
    )
    event = AuditEvent.objects.get(action="person.contact_details")
    assert event.actor == mother
    assert event.object_id == str(person.pk)
    assert event.before["email"] == previous_email
    assert event.after["email"] == "sophie.lambert@exemple.fr"
    assert event.after["mobile_phone"] == "06 12 34 56 78"
    assert "country" not in event.after  # unchanged fields are not recorded
    # The previous address is told of the change, the new one is not written to.
    assert [message.to for message in mail.outbox] == [[previous_email]]
    assert "adresse électronique" in mail.outbox[0].subject
    # The account page shows them…
    assert "06 12 34 56 78" in text(client.get(ACCOUNT))
    # …and so does the pupil's file for the secretariat.
    client.logout()
    log_in(client, school.secretariat)
    page = text(client.get(reverse("structure:pupil", args=[school.emma.pk])))
    assert "06 12 34 56 78" in page
    assert "sophie.lambert@exemple.fr" in page
    assert "8 rue Mazelle, 57000 Metz" in page


def test_saving_without_change_records_nothing(client, school):
    log_in(client, school.mother)
    current = {name: getattr(school.mother.person, name) or "" for name in DETAILS}
    current["country"] = current["country"] or "France"

    response = client.post(URL, current)

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="person.contact_details").exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("postal_code", "5700", "Un code postal français a 5 chiffres."),
        ("mobile_phone", "appelez-moi", "Un numéro de téléphone s'écrit avec des chiffres"),
        ("email", "pas-une-adresse", "Saisissez une adresse de courriel valide."),
        ("email", "", "Ce champ est obligatoire."),
    ],
)
def test_wrong_details_are_explained_in_french(client, school, field, value, error):
    log_in(client, school.mother)

    response = client.post(URL, {**DETAILS, field: value})

    assert response.status_code == 200
    assert error in text(response)
    assert Person.objects.get(pk=school.mother.person_id).city != "Metz"


def test_a_postal_code_abroad_is_free(client, school):
    log_in(client, school.mother)

    response = client.post(
        URL, {**DETAILS, "postal_code": "L-1234", "city": "Luxembourg", "country": "Luxembourg"}
    )

    assert response.status_code == 302
    assert Person.objects.get(pk=school.mother.person_id).postal_code == "L-1234"


def test_an_adult_pupil_updates_their_own(client, school):
    adult = pupil_in(school.division, birth_date=date(timezone.localdate().year - 19, 1, 1))
    account = AccountFactory(person=adult)
    log_in(client, account)

    assert "Modifier mes coordonnées" in text(client.get(ACCOUNT))
    response = client.post(URL, DETAILS)

    assert response.status_code == 302
    assert Person.objects.get(pk=adult.pk).mobile_phone == "06 12 34 56 78"


def test_a_minor_pupil_and_staff_cannot(client, school):
    minor = pupil_in(school.division, birth_date=date(timezone.localdate().year - 13, 1, 1))
    for account in (AccountFactory(person=minor), school.cpe):
        client.logout()
        log_in(client, account)
        assert "Modifier mes coordonnées" not in text(client.get(ACCOUNT))
        assert client.get(URL).status_code == 404
        assert client.post(URL, DETAILS).status_code == 404
    assert not AuditEvent.objects.filter(action="person.contact_details").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# -- Queries -------------------------------------------------------------------------------

# Session, account, person, the spaces (roles, children); the form reads the person
# already loaded.
CONTACT_QUERIES = 5
# The account page: the same, nothing more.
ACCOUNT_QUERIES = 5


@pytest.mark.parametrize("children", [1, 4])
def test_the_family_pages_queries_do_not_grow_with_children(
    client, school, django_assert_num_queries, children
):
    pupils = [pupil_in(school.division) for _ in range(children)]
    guardian = activated_guardian(*pupils)
    log_in(client, guardian)

    with django_assert_num_queries(CONTACT_QUERIES):
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(ACCOUNT_QUERIES):
        assert client.get(ACCOUNT).status_code == 200
