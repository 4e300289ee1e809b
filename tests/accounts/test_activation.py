"""Activating an imported account with the code of a letter: the secretariat or the
direction of the person's establishment prints the letter (one person, or every
adult of a division), the family types the identifier and the code on /activation/,
chooses a password and confirms the e-mail address, and is signed in. Wrong codes
are throttled; used, replaced and expired codes are refused with the reason."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from preau.accounts import codes
from preau.accounts.letters import letters_html, letters_of
from preau.accounts.models import Account, ActivationCode
from preau.accounts.selectors import wards_in
from preau.accounts.services import activation_codes_issue
from preau.audit.models import AuditEvent
from preau.core.access import StaffScope
from preau.core.models import Person, RoleKind
from preau.core.selectors import today
from tests.accounts.support import School
from tests.conftest import log_in
from tests.factories import RoleFactory

pytestmark = pytest.mark.django_db

ACTIVATE = reverse("accounts:activate")
STEP_TWO = reverse("accounts:activate_password")
PASSWORD = "Marronnier-Préau-2027"


@pytest.fixture
def school():
    return School()


def letter_url(person) -> str:
    return reverse("accounts:activation_letter", args=[person.pk])


def letters_url(division) -> str:
    return reverse("accounts:activation_letters", args=[division.pk])


def issue(school, *accounts) -> list[str]:
    """Codes for `accounts`, issued by the collège's secretariat; their clear forms."""
    scope = StaffScope(
        person_id=school.secretariat.person_id,
        establishment_id=school.establishment.pk,
        roles=frozenset({RoleKind.SECRETARIAT}),
    )
    people = [Person.objects.select_related("account").get(pk=a.person_id) for a in accounts]
    issued = activation_codes_issue(actor=school.secretariat, scope=scope, people=people)
    return [item.code for item in issued]


def text(response) -> str:
    return html.unescape(response.content.decode())


# -- Letters -----------------------------------------------------------------------------


def test_the_secretariat_prints_a_guardians_letter_with_a_fresh_code(client, school):
    log_in(client, school.secretariat)

    page = client.get(letter_url(school.father.person))
    assert page.status_code == 200
    assert "Julien ROCHE" in text(page)
    assert school.father.login in text(page)

    response = client.post(letter_url(school.father.person))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    code = ActivationCode.objects.get(account=school.father)
    assert code.created_by == school.secretariat
    assert code.used_at is None
    assert code.voided_at is None
    assert timedelta(days=59) < code.expires_at - timezone.now() <= timedelta(days=60)
    event = AuditEvent.objects.get(action="account.activation_code")
    assert (event.actor, event.object_id) == (school.secretariat, str(school.father.pk))
    assert event.establishment_id == school.establishment.pk


def test_the_letter_gives_identifier_code_address_children_and_steps(school, settings):
    settings.PREAU_SITE_URL = "https://preau.example.fr"
    scope = StaffScope(
        school.direction.person_id, school.establishment.pk, frozenset({"direction"})
    )
    father = Person.objects.select_related("account").get(pk=school.father.person_id)
    issued = activation_codes_issue(actor=school.direction, scope=scope, people=[father])

    letter = letters_html(
        establishment=school.establishment,
        letters=letters_of(school.establishment, issued, today()),
        today=today(),
    )

    assert "Collège des Tilleuls" in letter
    assert "12 rue des Tilleuls" in letter
    assert "M. Julien ROCHE" in letter
    assert "21 avenue de Nancy" in letter
    assert "57950 MONTIGNY-LÈS-METZ" in letter
    assert school.father.login in letter
    printed = codes.code_display(issued[0].code)
    assert printed in letter
    assert len(printed) == 14
    assert printed[4] == printed[9] == "-"
    assert "https://preau.example.fr/activation/" in letter
    assert "https://preau.example.fr/connexion/" in letter
    assert "Emma Roche (4B)" in letter
    # The code is stored as a keyed hash only.
    stored = ActivationCode.objects.get(account=school.father)
    assert stored.code_hash == codes.code_hash(issued[0].code)
    assert issued[0].code not in stored.code_hash


def test_a_new_letter_voids_the_previous_code(client, school):
    first = issue(school, school.father)[0]
    second = issue(school, school.father)[0]

    rows = ActivationCode.objects.filter(account=school.father).order_by("pk")
    assert [row.voided_at is not None for row in rows] == [True, False]
    response = client.post(ACTIVATE, {"login": school.father.login, "code": first})
    assert "remplacé par celui d'une lettre plus récente" in text(response)
    response = client.post(ACTIVATE, {"login": school.father.login, "code": second})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["teacher", "cpe"])
def test_staff_who_do_not_administer_get_a_404(client, school, role):
    log_in(client, getattr(school, role))

    assert client.get(letter_url(school.father.person)).status_code == 404
    assert client.post(letter_url(school.father.person)).status_code == 404
    assert client.get(letters_url(school.division)).status_code == 404
    assert not ActivationCode.objects.exists()


def test_the_secretariat_of_another_establishment_gets_a_404(client, school):
    log_in(client, school.other_secretariat)

    assert client.get(letter_url(school.father.person)).status_code == 404
    assert client.post(letter_url(school.father.person)).status_code == 404
    assert client.post(letters_url(school.division)).status_code == 404
    assert not ActivationCode.objects.exists()


def test_a_person_of_another_establishment_answers_404_to_the_secretariat(client, school):
    log_in(client, school.secretariat)

    assert client.get(letter_url(school.stranger.person)).status_code == 404
    assert client.post(letter_url(school.stranger_pupil)).status_code == 404
    assert client.get(letter_url(school.teacher.person)).status_code == 404
    assert not ActivationCode.objects.exists()


def test_an_activated_account_gets_no_letter(client, school):
    log_in(client, school.secretariat)

    page = client.get(letter_url(school.mother.person))
    assert "déjà activé" in text(page)
    assert "Créer le code" not in text(page)
    response = client.post(letter_url(school.mother.person))
    assert response.status_code == 302
    assert not ActivationCode.objects.exists()


def test_a_pupils_own_letter(client, school):
    log_in(client, school.direction)

    response = client.post(letter_url(school.emma))

    assert response["Content-Type"] == "application/pdf"
    assert ActivationCode.objects.filter(account=school.emma_account).count() == 1


def test_the_letters_of_a_division_go_to_every_adult_not_activated(client, school):
    log_in(client, school.secretariat)

    page = client.get(letters_url(school.division))
    assert page.status_code == 200
    listed = text(page)
    assert school.father.login in listed
    assert school.grandmother.login in listed
    assert school.hugo_parent.login in listed
    assert school.mother.login not in listed

    response = client.post(letters_url(school.division), {"responsables": "on"})

    assert response["Content-Type"] == "application/pdf"
    printed = set(ActivationCode.objects.values_list("account_id", flat=True))
    assert printed == {school.father.pk, school.grandmother.pk, school.hugo_parent.pk}


def test_the_pupils_letters_are_printed_when_asked(client, school):
    log_in(client, school.secretariat)

    client.post(letters_url(school.division), {"eleves": "on"})

    assert set(ActivationCode.objects.values_list("account_id", flat=True)) == {
        school.emma_account.pk
    }


def test_a_division_with_every_account_activated_prints_nothing(client, school):
    Account.objects.update(activated_at=timezone.now())
    log_in(client, school.secretariat)

    page = client.get(letters_url(school.division))
    assert "aucune lettre à imprimer" in text(page)
    response = client.post(letters_url(school.division), {"responsables": "on"})
    assert response.status_code == 302
    assert not ActivationCode.objects.exists()


def test_the_pupils_file_offers_the_letter_to_the_secretariat_only(client, school):
    file_url = reverse("structure:pupil", args=[school.emma.pk])
    log_in(client, school.secretariat)
    page = text(client.get(file_url))
    assert letter_url(school.father.person) in page
    assert letter_url(school.grandmother.person) in page
    assert letter_url(school.mother.person) not in page
    assert letter_url(school.emma) in page
    assert letters_url(school.division) in text(
        client.get(reverse("structure:division", args=[school.division.pk]))
    )

    client.logout()
    log_in(client, school.cpe)
    page = text(client.get(file_url))
    assert "non activé" in page
    assert "/etablissement/activation/" not in page
    division_page = text(client.get(reverse("structure:division", args=[school.division.pk])))
    assert letters_url(school.division) not in division_page


# -- Activation by the family --------------------------------------------------------------


def test_a_guardian_activates_with_the_code_typed_loosely(client, school):
    code = issue(school, school.father)[0]
    typed = " ".join(codes.code_display(code).lower().split("-"))

    assert client.get(ACTIVATE).status_code == 200
    response = client.post(ACTIVATE, {"login": school.father.login.upper(), "code": typed})
    assert response.status_code == 302
    assert response["Location"] == STEP_TWO
    step = client.get(STEP_TWO)
    assert step.status_code == 200
    assert "julien.roche@exemple.fr" in text(step)
    assert "Bonjour Julien Roche" in text(step)

    response = client.post(
        STEP_TWO,
        {"email": "j.roche@exemple.fr", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    account = Account.objects.select_related("person").get(pk=school.father.pk)
    assert account.activated_at is not None
    assert account.check_password(PASSWORD)
    assert account.person.email == "j.roche@exemple.fr"
    assert ActivationCode.objects.get(account=account).used_at is not None
    event = AuditEvent.objects.get(action="account.activate")
    assert event.actor == account
    assert event.before == {"email": "julien.roche@exemple.fr"}
    assert event.after["email"] == "j.roche@exemple.fr"
    assert AuditEvent.objects.filter(action="account.login", actor=account).exists()
    # Signed in: the account page opens.
    assert client.get(reverse("accounts:account")).status_code == 200
    # And the password works on the login page afterwards.
    client.logout()
    log_in(client, account, password=PASSWORD)


def test_the_password_must_pass_the_validators(client, school):
    code = issue(school, school.father)[0]
    client.post(ACTIVATE, {"login": school.father.login, "code": code})

    response = client.post(
        STEP_TWO,
        {"email": "julien.roche@exemple.fr", "new_password1": "1234", "new_password2": "1234"},
    )

    assert response.status_code == 200
    assert "trop court" in text(response)
    assert Account.objects.get(pk=school.father.pk).activated_at is None
    assert ActivationCode.objects.get(account=school.father).used_at is None


def test_the_email_address_is_required(client, school):
    code = issue(school, school.father)[0]
    client.post(ACTIVATE, {"login": school.father.login, "code": code})

    response = client.post(
        STEP_TWO, {"email": "", "new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == 200
    assert Account.objects.get(pk=school.father.pk).activated_at is None


def test_the_second_step_needs_the_first(client, school):
    issue(school, school.father)

    response = client.get(STEP_TWO)

    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


def test_a_code_serves_once(client, school):
    code = issue(school, school.father)[0]
    client.post(ACTIVATE, {"login": school.father.login, "code": code})
    client.post(
        STEP_TWO, {"email": "a@exemple.fr", "new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    client.logout()

    response = client.post(ACTIVATE, {"login": school.father.login, "code": code})

    assert response.status_code == 200
    assert "Ce compte est déjà activé" in text(response)


def test_an_expired_code_is_refused_with_its_date(client, school):
    code = issue(school, school.father)[0]
    ActivationCode.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(ACTIVATE, {"login": school.father.login, "code": code})

    assert response.status_code == 200
    assert "Ce code a expiré le" in text(response)
    assert "nouvelle lettre au secrétariat" in text(response)


def test_a_code_expiring_between_the_steps_cannot_be_used(client, school):
    code = issue(school, school.father)[0]
    client.post(ACTIVATE, {"login": school.father.login, "code": code})
    ActivationCode.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(
        STEP_TWO, {"email": "a@exemple.fr", "new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    assert Account.objects.get(pk=school.father.pk).activated_at is None


def test_a_code_of_another_account_is_wrong(client, school):
    code = issue(school, school.father)[0]

    response = client.post(ACTIVATE, {"login": school.hugo_parent.login, "code": code})

    assert "Identifiant ou code d'activation incorrect" in text(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("typed", ["ACDE-FGH3-4789", "0000-0000-0000", "", "x" * 40])
def test_wrong_codes_say_so_in_french(client, school, typed):
    issue(school, school.father)

    response = client.post(ACTIVATE, {"login": school.father.login, "code": typed})

    assert response.status_code == 200
    page = text(response)
    assert "incorrect" in page or "Ce champ est obligatoire" in page


def test_wrong_codes_are_throttled_per_identifier(client, school, settings):
    settings.PREAU_ACTIVATION_FAILURES_PER_ACCOUNT = "3/h"
    code = issue(school, school.father)[0]
    for _ in range(3):
        response = client.post(ACTIVATE, {"login": school.father.login, "code": "ACDE-FGH3-4789"})
        assert "incorrect" in text(response)

    # Even the right code is refused until the window ends.
    response = client.post(ACTIVATE, {"login": school.father.login, "code": code})

    assert response.status_code == 200
    assert "Trop de codes incorrects. Réessayez dans" in text(response)
    # Another identifier from elsewhere is not locked.
    other = issue(school, school.hugo_parent)[0]
    response = Client(REMOTE_ADDR="192.0.2.9").post(
        ACTIVATE, {"login": school.hugo_parent.login, "code": other}
    )
    assert response.status_code == 302


def test_wrong_codes_are_throttled_per_address(client, school, settings):
    settings.PREAU_ACTIVATION_FAILURES_PER_ADDRESS = "2/h"
    code = issue(school, school.father)[0]
    for login in ("inconnu1", "inconnu2"):
        client.post(ACTIVATE, {"login": login, "code": "ACDE-FGH3-4789"})

    response = client.post(ACTIVATE, {"login": school.father.login, "code": code})

    assert "Trop de codes incorrects" in text(response)


def test_a_closed_account_cannot_be_activated(client, school):
    code = issue(school, school.father)[0]
    Account.objects.filter(pk=school.father.pk).update(is_active=False)

    response = client.post(ACTIVATE, {"login": school.father.login, "code": code})

    assert "Ce compte est désactivé" in text(response)


def test_an_imported_account_cannot_sign_in_before_activation(client, school):
    response = client.post(
        reverse("accounts:login"), {"username": school.father.login, "password": "demo"}
    )
    assert response.status_code == 200
    assert Account.objects.get(pk=school.father.pk).activated_at is None


def test_issuing_checks_the_establishment_and_the_role(school):
    from django.core.exceptions import PermissionDenied

    stranger = Person.objects.select_related("account").get(pk=school.stranger.person_id)
    scope = StaffScope(
        school.secretariat.person_id, school.establishment.pk, frozenset({"secretariat"})
    )
    with pytest.raises(PermissionDenied):
        activation_codes_issue(actor=school.secretariat, scope=scope, people=[stranger])
    father = Person.objects.select_related("account").get(pk=school.father.person_id)
    teacher = StaffScope(school.teacher.person_id, school.establishment.pk, frozenset({"teacher"}))
    with pytest.raises(PermissionDenied):
        activation_codes_issue(actor=school.teacher, scope=teacher, people=[father])
    assert not ActivationCode.objects.exists()


def test_only_one_live_code_per_account_in_the_database(school):
    from django.db import IntegrityError, transaction

    issue(school, school.father)
    live = ActivationCode.objects.get(account=school.father)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivationCode.objects.create(
            account=school.father, code_hash="x" * 64, expires_at=live.expires_at
        )


def test_a_guardian_of_two_children_gets_one_letter_naming_both(client, school):
    sister = school.hugo  # make Julien Hugo's father too
    from tests.factories import GuardianshipFactory

    GuardianshipFactory(guardian=school.father.person, pupil=sister)
    log_in(client, school.secretariat)

    client.post(letters_url(school.division), {"responsables": "on"})

    assert ActivationCode.objects.filter(account=school.father).count() == 1
    wards = wards_in(school.establishment.pk, [school.father.person_id], today())
    assert sorted(ward.name.split()[0] for ward in wards[school.father.person_id]) == [
        "Emma",
        "Hugo",
    ]


# -- Queries -------------------------------------------------------------------------------

# The first step: nothing to read to show it; to check it, the code (with its account
# and person), then the new session written (existence check, savepoint, insert,
# release). The second step reads the session, then the code again.
ACTIVATE_POST_QUERIES = 5
STEP_TWO_QUERIES = 2


def test_the_activation_pages_queries_are_pinned(client, school, django_assert_num_queries):
    code = issue(school, school.father)[0]

    with django_assert_num_queries(0):
        assert client.get(ACTIVATE).status_code == 200
    with django_assert_num_queries(ACTIVATE_POST_QUERIES):
        assert (
            client.post(ACTIVATE, {"login": school.father.login, "code": code}).status_code == 302
        )
    with django_assert_num_queries(STEP_TWO_QUERIES):
        assert client.get(STEP_TWO).status_code == 200


# -- Staff who are also parents ----------------------------------------------------------


def test_a_parent_who_is_staff_elsewhere_gets_no_letter(client, school):
    """Given Hugo's father, never signed in, is the direction of the other collège,
    when the secretariat of Hugo's collège asks for his letter, then none is printed:
    the code would let whoever holds it choose the password of an account that opens
    the other collège's pupils' files."""
    RoleFactory(
        person=school.hugo_parent.person,
        establishment=school.elsewhere.establishment,
        kind=RoleKind.DIRECTION,
    )
    log_in(client, school.secretariat)

    page = client.get(letter_url(school.hugo_parent.person))
    assert "Créer le code" not in text(page)
    assert "annuaire académique" in text(page)
    assert client.post(letter_url(school.hugo_parent.person)).status_code == 302
    listed = text(client.get(letters_url(school.division)))
    assert school.hugo_parent.login not in listed
    assert school.father.login in listed
    client.post(letters_url(school.division), {"responsables": "on"})
    assert school.hugo_parent.pk not in set(
        ActivationCode.objects.values_list("account_id", flat=True)
    )


def test_issuing_refuses_a_staff_account(school):
    from preau.accounts.services import NothingToActivate

    RoleFactory(
        person=school.father.person, establishment=school.establishment, kind=RoleKind.TEACHER
    )
    with pytest.raises(NothingToActivate):
        issue(school, school.father)
    assert not ActivationCode.objects.exists()
