"""Every role's home page: what it shows, and a number of queries that does not grow
with the data (style.md: pin the queries of every page a family or teacher uses)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from preau.core.models import GradingPeriod, RoleKind
from preau.core.selectors import today
from preau.core.services import school_year_create
from tests.conftest import log_in
from tests.factories import (
    AccountFactory,
    ClassPartFactory,
    ClassPartMembershipFactory,
    DivisionFactory,
    EstablishmentFactory,
    GroupFactory,
    GroupMembershipFactory,
    GuardianshipFactory,
    OccurrenceFactory,
    PersonFactory,
    RoleFactory,
    SchoolYearFactory,
    division_service,
    group_service,
    pupil_in,
    staff_account,
)
from tests.portal.test_home_family import PUPIL_HOME_QUERIES
from tests.portal.test_home_staff import TEACHER_HOME_QUERIES

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")

# Queries of each home page, whatever the number of pupils or services. Every signed-in
# page starts with five: session, account, person, roles and children (the spaces of the
# person). The family's and the pupil's cards: test_home_family.py; a teacher's day and
# the desk's: test_home_staff.py.
REGION_HOME_QUERIES = 5


def page(client, path=HOME) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# -- Pupil --------------------------------------------------------------------------------


class PupilWorld:
    """A pupil of 3A with: maths for the whole division; Spanish for the half of 3A
    they are in and German for the other half; Latin as a direct member; PE shared with
    3B; Chinese they left last week; and history taught to 3B only."""

    def __init__(self, extra_services: int = 0):
        year = SchoolYearFactory()
        self.a3 = DivisionFactory(school_year=year, name="3A")
        b3 = DivisionFactory(school_year=year, name="3B")
        self.head = PersonFactory(civility="M")
        self.a3.head_teachers.add(self.head)
        self.pupil = pupil_in(self.a3, account=True)
        spanish_half = ClassPartFactory(division=self.a3, name="3A-ESP")
        german_half = ClassPartFactory(division=self.a3, name="3A-ALL")
        ClassPartMembershipFactory(pupil=self.pupil, class_part=spanish_half)
        latin = GroupFactory(school_year=year, name="LAT-3")
        chinese = GroupFactory(school_year=year, name="CHI-3")
        GroupMembershipFactory(pupil=self.pupil, group=latin)
        GroupMembershipFactory(
            pupil=self.pupil, group=chinese, end_date=today() - timedelta(days=7)
        )
        self.teachers = {
            name: PersonFactory(last_name=name)
            for name in ["Maths", "Espagnol", "Allemand", "Latin", "Sport", "Chinois", "Histoire"]
        }
        division_service(self.a3, self.teachers["Maths"])
        group_service(
            GroupFactory(school_year=year, name="ESP-3A", class_parts=[spanish_half]),
            self.teachers["Espagnol"],
        )
        group_service(
            GroupFactory(school_year=year, name="ALL-3A", class_parts=[german_half]),
            self.teachers["Allemand"],
        )
        group_service(latin, self.teachers["Latin"])
        group_service(
            GroupFactory(school_year=year, name="EPS-3AB", divisions=[self.a3, b3]),
            self.teachers["Sport"],
        )
        group_service(chinese, self.teachers["Chinois"])
        division_service(b3, self.teachers["Histoire"])
        for _ in range(extra_services):
            division_service(self.a3, PersonFactory(), PersonFactory())
        # A session today: the card reads the sessions' teachers, rooms and audience.
        OccurrenceFactory(school_year=year, divisions=[self.a3], teachers=[self.head])


def test_a_pupil_sees_their_division_head_teacher_and_the_teachers_of_their_groups(client):
    world = PupilWorld()
    log_in(client, world.pupil.account)
    content = page(client)
    assert "classe de 3A" in content
    assert world.head.formal_name in content
    for name in ["Maths", "Espagnol", "Latin", "Sport"]:
        assert world.teachers[name].formal_name in content, name
    for name in ["Allemand", "Chinois", "Histoire"]:
        assert world.teachers[name].formal_name not in content, name


def test_a_pupil_in_their_second_year_sees_this_years_division(client):
    world = PupilWorld()
    year = world.a3.school_year
    last_year = SchoolYearFactory(
        establishment=year.establishment,
        start_date=year.start_date - timedelta(days=365),
        end_date=year.start_date - timedelta(days=60),
        label="last",
    )
    old_division = DivisionFactory(school_year=last_year, name="4A-ancienne")
    world.pupil.enrolments.create(division=old_division, start_date=last_year.start_date)
    log_in(client, world.pupil.account)
    content = page(client)
    assert "4A-ancienne" not in content
    assert world.teachers["Maths"].formal_name in content


@pytest.mark.parametrize("extra", [0, 18])
def test_the_pupil_home_page_queries_do_not_grow_with_services(
    client, django_assert_num_queries, extra
):
    world = PupilWorld(extra_services=extra)
    log_in(client, world.pupil.account)
    page(client)
    with django_assert_num_queries(PUPIL_HOME_QUERIES):
        content = page(client)
    assert content.count('<tr><th scope="row">') == 4 + extra


# -- Teacher ------------------------------------------------------------------------------


def teacher_with_services(size: int):
    """A teacher of `size` services in a collège (half of them shared with a colleague),
    head teacher of one division, who also teaches in a lycée."""
    year = SchoolYearFactory()
    teacher = staff_account(year.establishment, RoleKind.TEACHER)
    colleague = PersonFactory(civility="MME")
    services = []
    for n in range(size):
        division = DivisionFactory(school_year=year)
        teachers = (teacher.person, colleague) if n % 2 else (teacher.person,)
        services.append(division_service(division, *teachers))
    services[0].division.head_teachers.add(teacher.person)
    lycee_division = DivisionFactory()
    RoleFactory(person=teacher.person, establishment=lycee_division.establishment)
    elsewhere = division_service(lycee_division, teacher.person)
    return teacher, services, colleague, elsewhere


def test_a_teacher_sees_their_services_of_the_current_establishment(client):
    teacher, services, colleague, elsewhere = teacher_with_services(2)
    log_in(client, teacher)
    content = page(client)
    for service in services:
        assert f"<strong>{service.division.name}</strong> — {service.subject.label}" in content
    assert colleague.formal_name in content
    head_of = services[0].division
    assert "Professeur principal de" in content
    assert f'href="{reverse("structure:division", args=[head_of.pk])}"' in content
    assert elsewhere.subject.label not in content


@pytest.mark.parametrize("size", [2, 20])
def test_the_teacher_home_page_queries_do_not_grow_with_services(
    client, django_assert_num_queries, size
):
    teacher, services, _, _ = teacher_with_services(size)
    for n, service in enumerate(services):
        OccurrenceFactory(
            school_year=service.school_year,
            hour=8 + n % 9,
            subject=service.subject,
            teachers=[teacher.person],
            divisions=[service.division],
        )
    log_in(client, teacher)
    page(client)
    with django_assert_num_queries(TEACHER_HOME_QUERIES):
        content = page(client)
    assert all(service.subject.label in content for service in services)
    assert content.count('class="card teacher-session') == size


# -- Direction ----------------------------------------------------------------------------


def establishment_with_pupils(size: int):
    """A collège with its school year and periods, two divisions, two teachers, and
    `size` pupils each with a guardian whose account is activated for half of them; the
    first pupil is an adult."""
    establishment = EstablishmentFactory(academy="rennes", holiday_zone="B")
    day = today()
    year = school_year_create(
        actor=None,
        establishment=establishment,
        start_date=day - timedelta(days=90),
        end_date=day + timedelta(days=210),
    )
    divisions = [DivisionFactory(school_year=year) for _ in range(2)]
    for _ in range(2):
        staff_account(establishment, RoleKind.TEACHER)
    for n in range(size):
        birth = day.replace(year=day.year - (19 if n == 0 else 14), day=1)
        pupil = pupil_in(divisions[n % 2], birth_date=birth)
        guardian = AccountFactory(activated_at=None if n % 2 else timezone.now())
        GuardianshipFactory(guardian=guardian.person, pupil=pupil)
    return establishment, year


def test_the_direction_sees_the_figures_of_its_establishment(client):
    establishment, year = establishment_with_pupils(4)
    direction = staff_account(establishment, RoleKind.DIRECTION, first_name="Claire")
    other = establishment_with_pupils(6)[0]  # not counted
    log_in(client, direction)
    content = page(client)
    assert "Bonjour Claire" in content
    assert f"L'établissement en {year.label}" in content
    figures_section = content[content.index('id="figures-title"') :]
    figures = dict(
        zip(
            ["pupils", "divisions", "teachers", "activation", "adults"],
            re.findall(r'<span class="figure__value">([^<]+)</span>', figures_section),
            strict=True,
        )
    )
    assert figures == {
        "pupils": "4",
        "divisions": "2",
        "teachers": "2",
        "activation": "50 %",
        "adults": "1",
    }
    assert "(2 sur 4)" in content
    current_trimester = GradingPeriod.objects.get(
        school_year=year, scheme="trimesters", start_date__lte=today(), end_date__gte=today()
    )
    assert f"{current_trimester.label} : du" in content
    assert other.name not in content


def test_a_cpe_sees_the_figures_and_a_teacher_does_not(client):
    establishment, _ = establishment_with_pupils(2)
    log_in(client, staff_account(establishment, RoleKind.CPE))
    assert "figure__value" in page(client)
    client.post(reverse("accounts:logout"))
    log_in(client, staff_account(establishment, RoleKind.TEACHER))
    assert "figure__value" not in page(client)


# -- Region and nobody --------------------------------------------------------------------


def test_a_region_administrator_lands_on_the_regional_home(client, django_assert_num_queries):
    region = AccountFactory()
    RoleFactory(person=region.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    log_in(client, region)
    page(client)
    with django_assert_num_queries(REGION_HOME_QUERIES):
        content = page(client)
    assert "Administration régionale" in content
    assert reverse("core:establishments") in content


def test_an_account_without_any_role_gets_a_welcome_page(client):
    log_in(client, AccountFactory())
    content = page(client)
    assert "Votre compte n'est rattaché à aucun établissement" in content
