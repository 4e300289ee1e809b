"""Reads about people and establishments (preau.core.selectors) and the administration
check every service makes (preau.core.permissions)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from preau.core.models import RoleKind
from preau.core.permissions import require_administrator
from preau.core.selectors import (
    UnknownReference,
    person_by_ref,
    person_is_staff,
    school_year_on,
    today,
)
from preau.core.services import external_id_set
from tests.factories import (
    AccountFactory,
    EstablishmentFactory,
    PersonFactory,
    RoleFactory,
    SchoolYearFactory,
    staff_account,
)

pytestmark = pytest.mark.django_db


# -- person_by_ref ------------------------------------------------------------------------


@pytest.fixture
def two_schools_with_the_same_edt_number():
    """Two establishments whose EDT exports both use 1234, for two different people;
    one of them also has a national INE and a SIECLE number."""
    college, lycee = EstablishmentFactory(), EstablishmentFactory()
    camille, louis = PersonFactory(), PersonFactory()
    external_id_set(actor=None, person=camille, source="edt", value="1234", establishment=college)
    external_id_set(actor=None, person=louis, source="edt", value="1234", establishment=lycee)
    external_id_set(
        actor=None, person=camille, source="ine", value="070123456AB", establishment=college
    )
    external_id_set(
        actor=None, person=camille, source="siecle", value="98765", establishment=college
    )
    return college, lycee, camille, louis


@pytest.mark.parametrize(
    ("ref", "where", "who"),
    [
        ("edt:1234", "college", "camille"),
        ("edt:1234", "lycee", "louis"),
        ("EDT:1234", "college", "camille"),
        (" edt : 1234 ", "college", "camille"),
        ("siecle:98765", "college", "camille"),
        ("siecle:98765", None, "camille"),
        # National identifiers name the same person wherever they are asked.
        ("ine:070123456AB", "lycee", "camille"),
        ("ine:070123456AB", None, "camille"),
    ],
)
def test_a_reference_names_one_person(two_schools_with_the_same_edt_number, ref, where, who):
    college, lycee, camille, louis = two_schools_with_the_same_edt_number
    establishment = {"college": college, "lycee": lycee, None: None}[where]
    assert (
        person_by_ref(ref, establishment=establishment) == {"camille": camille, "louis": louis}[who]
    )


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("edt:9999", "Aucune personne n'a l'identifiant edt:9999."),
        ("siecle:1234", "Aucune personne n'a l'identifiant siecle:1234."),
        ("1234", "« 1234 » n'est pas une référence SOURCE:ID (par exemple edt:1234)."),
        ("edt:", "« edt: » n'est pas une référence SOURCE:ID (par exemple edt:1234)."),
        (":1234", "« :1234 » n'est pas une référence SOURCE:ID (par exemple edt:1234)."),
    ],
)
def test_an_unknown_or_malformed_reference_says_why(
    two_schools_with_the_same_edt_number, ref, message
):
    college = two_schools_with_the_same_edt_number[0]
    with pytest.raises(UnknownReference) as unknown:
        person_by_ref(ref, establishment=college)
    assert str(unknown.value) == message


def test_a_local_number_shared_by_two_establishments_needs_the_establishment(
    two_schools_with_the_same_edt_number,
):
    with pytest.raises(UnknownReference) as ambiguous:
        person_by_ref("edt:1234", establishment=None)
    assert str(ambiguous.value) == (
        "Plusieurs personnes ont l'identifiant edt:1234 : précisez l'établissement."
    )


def test_a_local_number_of_another_establishment_is_unknown_here(
    two_schools_with_the_same_edt_number,
):
    college, _, camille, _ = two_schools_with_the_same_edt_number
    other = EstablishmentFactory()
    with pytest.raises(UnknownReference):
        person_by_ref("siecle:98765", establishment=other)
    assert person_by_ref("siecle:98765", establishment=college) == camille


# -- staff, school years ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "staff"),
    [
        (RoleKind.TEACHER, True),
        (RoleKind.CPE, True),
        (RoleKind.EDUCATION_ASSISTANT, True),
        (RoleKind.DIRECTION, True),
        (RoleKind.SECRETARIAT, True),
        (RoleKind.PUPIL, False),
    ],
)
def test_who_counts_as_staff(kind, staff):
    person = PersonFactory()
    RoleFactory(person=person, kind=kind)
    assert person_is_staff(person) is staff


def test_a_guardian_is_not_staff_and_a_region_administrator_is():
    assert not person_is_staff(PersonFactory())
    assert not person_is_staff(None)
    region = PersonFactory()
    RoleFactory(person=region, establishment=None, kind=RoleKind.REGION_ADMIN)
    assert person_is_staff(region)


def test_a_teacher_whose_role_ended_is_no_longer_staff():
    person = PersonFactory()
    RoleFactory(person=person, end_date=today() - timedelta(days=1))
    assert not person_is_staff(person)
    assert person_is_staff(person, today() - timedelta(days=1))


def test_the_school_year_of_a_day_or_the_next_one_during_the_summer():
    establishment = EstablishmentFactory()
    last = SchoolYearFactory(
        establishment=establishment, start_date=date(2025, 9, 1), end_date=date(2026, 7, 3)
    )
    current = SchoolYearFactory(
        establishment=establishment, start_date=date(2026, 9, 1), end_date=date(2027, 7, 2)
    )
    assert school_year_on(establishment, date(2026, 3, 2)) == last
    assert school_year_on(establishment, date(2026, 8, 15)) == current
    assert school_year_on(establishment, date(2026, 11, 30)) == current
    assert school_year_on(establishment, date(2027, 8, 15)) is None
    assert school_year_on(EstablishmentFactory(), date(2026, 11, 30)) is None


# -- require_administrator ----------------------------------------------------------------


def test_the_system_and_superusers_administer_everything():
    establishment = EstablishmentFactory()
    require_administrator(None, establishment)
    require_administrator(AccountFactory(is_superuser=True, person=None), establishment)
    require_administrator(AccountFactory(is_superuser=True), None)


def test_region_administrators_administer_every_establishment():
    region = AccountFactory()
    RoleFactory(person=region.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    require_administrator(region, EstablishmentFactory())
    require_administrator(region, None)


@pytest.mark.parametrize("kind", [RoleKind.DIRECTION, RoleKind.SECRETARIAT])
def test_direction_and_secretariat_administer_their_establishment_only(kind):
    establishment, other = EstablishmentFactory(), EstablishmentFactory()
    account = staff_account(establishment, kind)
    require_administrator(account, establishment)
    with pytest.raises(PermissionDenied) as refused:
        require_administrator(account, other)
    assert str(refused.value) == (
        "Seules la direction et le secrétariat administrent l'établissement."
    )
    with pytest.raises(PermissionDenied):
        require_administrator(account, None)


@pytest.mark.parametrize(
    "kind", [RoleKind.TEACHER, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT, RoleKind.PUPIL]
)
def test_other_roles_do_not_administer(kind):
    establishment = EstablishmentFactory()
    with pytest.raises(PermissionDenied):
        require_administrator(staff_account(establishment, kind), establishment)


def test_a_guardian_or_a_former_head_does_not_administer():
    establishment = EstablishmentFactory()
    with pytest.raises(PermissionDenied):
        require_administrator(AccountFactory(), establishment)
    former = AccountFactory()
    RoleFactory(
        person=former.person,
        establishment=establishment,
        kind=RoleKind.DIRECTION,
        end_date=today() - timedelta(days=1),
    )
    with pytest.raises(PermissionDenied):
        require_administrator(former, establishment)
