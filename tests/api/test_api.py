"""The HTTP API (interfaces.md): same session as the pages, same access rules; what the
caller may not see answers 404."""

import pytest
from django.urls import reverse

from preau.core.models import RoleKind
from preau.structure.models import Level
from tests.conftest import log_in
from tests.factories import (
    AccountFactory,
    ClassPartFactory,
    DivisionFactory,
    EstablishmentFactory,
    GroupFactory,
    PersonFactory,
    RoleFactory,
    SchoolYearFactory,
    division_service,
    group_service,
    guardian_account,
    pupil_in,
    staff_account,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"

# Session, account, person, roles and children (the spaces of the caller), then:
# for a guardian, the children's divisions; for a teacher, their head-teacher divisions;
# for a pupil, nothing more.
ME_QUERIES = {"guardian": 6, "teacher": 6, "pupil": 5}
# Session, account, person, roles, children; then the divisions with their counts and
# their head teachers. A teacher adds their head-teacher divisions (spaces) and the
# divisions they teach.
DIVISIONS_QUERIES = {RoleKind.DIRECTION: 7, RoleKind.TEACHER: 9}


def divisions_url(uai: str) -> str:
    return f"/api/v1/establishments/{uai}/divisions"


def get_json(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json()


# -- /me ----------------------------------------------------------------------------------


def guardian_of_two_schools():
    college = DivisionFactory(name="3A", school_year__establishment__name="Collège Jean Moulin")
    lycee = DivisionFactory(
        name="2de4", level=Level.SECONDE, school_year__establishment__name="Lycée Brassens"
    )
    elder, younger = pupil_in(lycee), pupil_in(college)
    return guardian_account(elder, younger), college, lycee, elder, younger


def test_me_as_a_guardian_lists_each_child_with_establishment_and_division(client):
    account, college, lycee, elder, younger = guardian_of_two_schools()
    log_in(client, account)
    me = get_json(client, ME)
    assert me["id"] == account.person.pk
    assert me["display_name"] == account.person.display_name
    assert sorted(me["children"], key=lambda child: child["id"]) == sorted(
        [
            {
                "id": elder.pk,
                "display_name": elder.display_name,
                "establishment": {"uai": lycee.establishment.uai, "name": "Lycée Brassens"},
                "division": "2de4",
            },
            {
                "id": younger.pk,
                "display_name": younger.display_name,
                "establishment": {"uai": college.establishment.uai, "name": "Collège Jean Moulin"},
                "division": "3A",
            },
        ],
        key=lambda child: child["id"],
    )
    assert sorted(me["roles"], key=lambda role: role["establishment"]["uai"]) == sorted(
        [
            {
                "role": "guardian",
                "establishment": {"uai": lycee.establishment.uai, "name": "Lycée Brassens"},
            },
            {
                "role": "guardian",
                "establishment": {"uai": college.establishment.uai, "name": "Collège Jean Moulin"},
            },
        ],
        key=lambda role: role["establishment"]["uai"],
    )


def test_me_as_a_teacher_of_two_establishments_lists_both_roles(client):
    college, lycee = EstablishmentFactory(name="Collège A"), EstablishmentFactory(name="Lycée B")
    account = staff_account(college, RoleKind.TEACHER, RoleKind.DIRECTION)
    RoleFactory(person=account.person, establishment=lycee, kind=RoleKind.TEACHER)
    log_in(client, account)
    me = get_json(client, ME)
    assert me["children"] == []
    assert sorted((role["role"], role["establishment"]["uai"]) for role in me["roles"]) == sorted(
        [("direction", college.uai), ("teacher", college.uai), ("teacher", lycee.uai)]
    )


def test_me_as_a_pupil(client):
    division = DivisionFactory(name="4B", level=Level.QUATRIEME)
    pupil = pupil_in(division, account=True)
    log_in(client, pupil.account)
    me = get_json(client, ME)
    assert me == {
        "id": pupil.pk,
        "display_name": pupil.display_name,
        "roles": [
            {
                "role": "pupil",
                "establishment": {
                    "uai": division.establishment.uai,
                    "name": division.establishment.name,
                },
            }
        ],
        "children": [],
    }


def test_me_as_a_region_administrator_has_no_establishment(client):
    account = AccountFactory()
    RoleFactory(person=account.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    log_in(client, account)
    assert get_json(client, ME)["roles"] == [{"role": "region_admin", "establishment": None}]


def test_me_without_a_person_answers_404(client):
    log_in(client, AccountFactory(person=None))
    get_json(client, ME, status=404)


@pytest.mark.parametrize("url", [ME, divisions_url("0750680G")])
def test_anonymous_callers_get_401(client, url):
    assert client.get(url).status_code == 401


@pytest.mark.parametrize("size", [2, 20])
def test_me_queries_do_not_grow_with_children(client, django_assert_num_queries, size):
    children = [pupil_in(DivisionFactory()) for _ in range(size)]
    log_in(client, guardian_account(*children))
    with django_assert_num_queries(ME_QUERIES["guardian"]):
        me = get_json(client, ME)
    assert len(me["children"]) == size


@pytest.mark.parametrize("size", [2, 20])
def test_me_queries_do_not_grow_with_roles(client, django_assert_num_queries, size):
    account = AccountFactory()
    for _ in range(size):
        RoleFactory(person=account.person, kind=RoleKind.TEACHER)
    log_in(client, account)
    with django_assert_num_queries(ME_QUERIES["teacher"]):
        me = get_json(client, ME)
    assert len(me["roles"]) == size


def test_me_queries_of_a_pupil(client, django_assert_num_queries):
    pupil = pupil_in(DivisionFactory(), account=True)
    log_in(client, pupil.account)
    with django_assert_num_queries(ME_QUERIES["pupil"]):
        get_json(client, ME)


# -- /establishments/{uai}/divisions ------------------------------------------------------


def establishment_with_divisions(sizes: list[int]):
    year = SchoolYearFactory()
    divisions = []
    for n, size in enumerate(sizes):
        division = DivisionFactory(school_year=year, name=f"3{chr(65 + n)}")
        for _ in range(size):
            pupil_in(division)
        divisions.append(division)
    return year.establishment, divisions


@pytest.mark.parametrize(
    "kind",
    [RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT, RoleKind.DIRECTION, RoleKind.SECRETARIAT],
)
def test_the_office_and_vie_scolaire_get_every_division_with_pupil_counts(client, kind):
    establishment, (a3, b3) = establishment_with_divisions([3, 1])
    sixth = DivisionFactory(school_year=a3.school_year, name="6A", level=Level.SIXIEME)
    log_in(client, staff_account(establishment, kind))
    assert get_json(client, divisions_url(establishment.uai)) == [
        {"id": sixth.pk, "name": "6A", "level": "6e", "pupil_count": 0},
        {"id": a3.pk, "name": "3A", "level": "3e", "pupil_count": 3},
        {"id": b3.pk, "name": "3B", "level": "3e", "pupil_count": 1},
    ]


def test_a_teacher_gets_the_divisions_they_teach_head_or_reach_through_a_group(client):
    establishment, (a3, b3, c3, d3) = establishment_with_divisions([2, 1, 1, 1])
    teacher = staff_account(establishment, RoleKind.TEACHER)
    division_service(a3, teacher.person)
    b3.head_teachers.add(teacher.person)
    spanish = GroupFactory(school_year=c3.school_year, class_parts=[ClassPartFactory(division=c3)])
    group_service(spanish, teacher.person)
    division_service(d3, PersonFactory())  # a colleague's
    log_in(client, teacher)
    found = get_json(client, divisions_url(establishment.uai))
    assert [(division["name"], division["pupil_count"]) for division in found] == [
        ("3A", 2),
        ("3B", 1),
        ("3C", 1),
    ]


def test_the_uai_may_be_written_in_lower_case(client):
    establishment, _ = establishment_with_divisions([1])
    log_in(client, staff_account(establishment, RoleKind.DIRECTION))
    assert len(get_json(client, divisions_url(establishment.uai.lower()))) == 1


def test_staff_of_another_establishment_get_404(client):
    establishment, _ = establishment_with_divisions([1])
    other = EstablishmentFactory()
    log_in(client, staff_account(other, RoleKind.DIRECTION))
    get_json(client, divisions_url(establishment.uai), status=404)


@pytest.mark.parametrize("who", ["guardian", "pupil"])
def test_families_get_404_even_for_their_childs_establishment(client, who):
    establishment, (division,) = establishment_with_divisions([0])
    child = pupil_in(division, account=True)
    account = guardian_account(child) if who == "guardian" else child.account
    log_in(client, account)
    get_json(client, divisions_url(establishment.uai), status=404)


def test_an_unknown_establishment_answers_like_a_forbidden_one(client):
    establishment, _ = establishment_with_divisions([1])
    log_in(client, staff_account(establishment, RoleKind.DIRECTION))
    unknown = client.get(divisions_url("0000000A"))
    forbidden = client.get(divisions_url(EstablishmentFactory().uai))
    assert unknown.status_code == forbidden.status_code == 404
    assert unknown.content == forbidden.content


@pytest.mark.parametrize("kind", [RoleKind.DIRECTION, RoleKind.TEACHER])
@pytest.mark.parametrize("size", [2, 20])
def test_divisions_queries_do_not_grow_with_divisions_or_pupils(
    client, django_assert_num_queries, size, kind
):
    establishment, divisions = establishment_with_divisions([size] * size)
    account = staff_account(establishment, kind)
    for division in divisions:
        division.head_teachers.add(AccountFactory().person)
        division_service(division, account.person, PersonFactory())
    log_in(client, account)
    with django_assert_num_queries(DIVISIONS_QUERIES[kind]):
        found = get_json(client, divisions_url(establishment.uai))
    assert [division["pupil_count"] for division in found] == [size] * size


# -- The OpenAPI document -----------------------------------------------------------------


def test_the_openapi_document_describes_the_endpoints(client):
    document = get_json(client, "/api/v1/openapi.json")
    assert document["info"]["title"] == "Préau"
    assert "/api/v1/me" in document["paths"]
    assert "/api/v1/establishments/{uai}/divisions" in document["paths"]
    assert reverse("api:openapi-json") == "/api/v1/openapi.json"


def test_me_calls_a_person_in_charge_a_contact_not_a_guardian(client):
    child = pupil_in(DivisionFactory())
    grandmother = guardian_account(child, level=2)
    log_in(client, grandmother)
    body = get_json(client, reverse("api:me"))
    assert [role["role"] for role in body["roles"]] == ["contact"]
    assert [c["id"] for c in body["children"]] == [child.pk]
