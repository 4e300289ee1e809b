"""The page "Qui voit quoi" (/administration/acces/): for the direction and the
secretariat of the pupil's establishment only, a search for the person and the pupil,
the explanation, and a fixed number of queries. The world is the explainer's
(test_access_explainer)."""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from preau.core.models import RoleKind
from tests.conftest import log_in
from tests.factories import AccountFactory, pupil_in, staff_account
from tests.portal.test_access_explainer import World, more_of_everything

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:access")


@pytest.fixture
def world():
    return World()


def url(**params) -> str:
    return f"{PAGE}?{urlencode(params)}"


def as_(client, account):
    client.logout()
    log_in(client, account)
    return client


@pytest.mark.parametrize("name", ["DIR", "SEC"])
def test_the_direction_and_the_secretariat_open_it(client, world, name):
    response = as_(client, world.accounts[name]).get(PAGE)
    assert response.status_code == 200
    assert "<h1>Qui voit quoi</h1>" in response.content.decode()


@pytest.mark.parametrize("name", ["T", "H", "CPE", "G1", "P", "OUT"])
def test_anybody_else_gets_a_404(client, world, name):
    assert as_(client, world.accounts[name]).get(PAGE).status_code == 404


def test_signing_in_comes_first(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_menu_leads_to_it(client, world):
    """The link of the Administration section, once a placeholder, is the page."""
    response = as_(client, world.accounts["SEC"]).get(reverse("core:calendar"))
    assert f'href="{PAGE}"' in response.content.decode()


def test_a_pupil_of_another_establishment_answers_404(client, world):
    elsewhere = pupil_in(world.db)
    as_(client, world.accounts["DIR"])
    assert client.get(url(eleve=elsewhere.pk)).status_code == 404
    assert client.get(url(personne=world.person("G1").pk, eleve=elsewhere.pk)).status_code == 404
    # The direction of B asks the same about A's pupil: 404 too.
    as_(client, world.accounts["DIRB"])
    assert client.get(url(eleve=world.pupils["P"].person.pk)).status_code == 404
    assert client.get(url(eleve="abc")).status_code == 404


def test_a_person_is_named_by_id_only_when_linked_to_the_establishment(client, world):
    as_(client, world.accounts["DIR"])
    pupil = world.pupils["P"].person.pk
    assert client.get(url(personne=world.person("OUT").pk, eleve=pupil)).status_code == 404
    assert client.get(url(personne=world.person("DIRB").pk, eleve=pupil)).status_code == 404
    # By the exact login of their account, anybody.
    response = client.get(url(compte=world.accounts["DIRB"].login, eleve=pupil))
    assert response.status_code == 200
    assert "autre établissement uniquement" in response.content.decode()
    assert client.get(url(compte="personne-inconnue", eleve=pupil)).status_code == 404


def test_the_person_is_found_by_name_or_login_among_those_linked(client, world):
    as_(client, world.accounts["SEC"])
    mother = world.person("G1")
    page = client.get(url(nom_personne=mother.last_name)).content.decode()
    assert mother.sort_name in page
    assert "responsable d&#x27;élève" in page
    page = client.get(url(nom_personne=world.accounts["T"].login)).content.decode()
    assert world.person("T").sort_name in page
    # Nobody of B by a piece of their name; the exact login finds them.
    other = world.person("DIRB")
    page = client.get(url(nom_personne=other.last_name)).content.decode()
    assert other.sort_name not in page
    page = client.get(url(nom_personne=world.accounts["DIRB"].login)).content.decode()
    assert other.sort_name in page
    assert "trouvé par son identifiant" in page


def test_the_pupil_is_found_by_name_and_the_choice_is_kept(client, world):
    as_(client, world.accounts["DIR"])
    mother = world.person("G1").pk
    response = client.get(url(personne=mother, nom_eleve="Paula"))
    page = response.content.decode()
    paula = world.pupils["P"].person
    link = url(personne=mother, eleve=paula.pk).replace("&", "&amp;")
    assert f'href="{link.removeprefix(PAGE)}"' in page
    assert response.context["pupils"][0][0] == paula
    elsewhere = pupil_in(world.db, first_name="Paula")
    page = client.get(url(nom_eleve="Paula")).content.decode()
    assert elsewhere.sort_name not in page


def test_the_explanation_shows_each_verdict_its_reasons_and_fix(client, world):
    as_(client, world.accounts["DIR"])
    grandmother = world.person("C2").pk
    page = client.get(url(personne=grandmother, eleve=world.pupils["P"].person.pk))
    html = page.content.decode()
    assert 'id="access-grades">Notes' in html
    assert 'access-verdict--no">Non</span>' in html
    assert 'access-verdict--yes">Oui</span>' in html
    assert "niveau 2 (personne en charge de l&#x27;élève)" in html
    # The direction changes the grades settings: the fix links to them.
    assert f'href="{reverse("grades:settings")}"' in html


def test_the_secretariat_reads_the_fix_without_a_link_it_cannot_follow(client, world):
    as_(client, world.accounts["SEC"])
    grandmother = world.person("C2").pk
    html = client.get(url(personne=grandmother, eleve=world.pupils["P"].person.pk))
    html = html.content.decode()
    assert "Notes → Réglages" in html
    assert f'href="{reverse("grades:settings")}"' not in html
    assert "à demander à la direction" in html


def test_an_account_never_activated_is_said_first(client, world):
    as_(client, world.accounts["SEC"])
    html = client.get(url(personne=world.person("GQ").pk, eleve=world.pupils["Q"].person.pk))
    html = html.content.decode()
    assert "jamais activé" in html
    assert "dès que son compte sera activé" in html


# Session, account, person, roles and children (the middleware), the establishment,
# the pupil, the person; then the explainer (9 for a legal guardian).
PAGE_QUERIES = 17


def test_the_page_costs_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    as_(client, world.accounts["DIR"])
    page = url(personne=world.person("G1").pk, eleve=world.pupils["P"].person.pk)
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(page).status_code == 200
    more_of_everything(world)
    for _n in range(5):
        staff_account(world.a, RoleKind.TEACHER)
        AccountFactory()
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(page).status_code == 200
