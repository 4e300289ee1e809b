"""`GET /api/v1/pupils/{id}/homework`: the pupil, the family (contacts as the
establishment decides) and the staff who may see the pupil get the homework due in the
range, as the pages show it; anybody else gets 404."""

from datetime import timedelta

import pytest

from preau.homework import services
from preau.homework.models import HomeworkDone, HomeworkPolicy, Kind
from tests.conftest import log_in
from tests.factories import pupil_in
from tests.homework.support import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def path(school: School, query: str = "") -> str:
    return f"/api/v1/pupils/{school.emma.pk}/homework{query}"


def get(client, account, url):
    client.logout()
    log_in(client, getattr(account, "account", account))
    return client.get(url)


@pytest.mark.parametrize("who", ["emma", "mother", "grandmother", "teacher", "cpe"])
def test_the_pupil_family_and_staff_get_the_homework_due(client, school, who):
    homework = school.give(estimated_minutes=20, kind=Kind.HAND_IN, instructions="<p>Rédaction</p>")
    attachment = school.attach(homework, name="sujet.pdf")
    HomeworkDone.objects.create(homework=homework, pupil=school.emma)
    school.give(occurrence=school.other_session, due_date=school.day + timedelta(days=2))

    response = get(client, getattr(school, who), path(school))

    assert response.status_code == 200
    (item,) = response.json()
    assert item == {
        "id": homework.pk,
        "subject": "Mathématiques",
        "given_on": school.session.date.isoformat(),
        "due_date": school.next_session.date.isoformat(),
        "kind": "hand_in",
        "instructions": "<p>Rédaction</p>",
        "estimated_minutes": 20,
        "done": True if who == "emma" else None,
        "teachers": [school.teacher.person.formal_name],
        "attachments": [
            {
                "name": "sujet.pdf",
                "size": 14,
                "url": f"http://testserver/cahier-de-textes/piece-jointe/{attachment.pk}/",
            }
        ],
    }


def test_the_range_defaults_to_two_weeks_and_from_to_choose_it(client, school):
    near = school.give()
    far_session = school.occurrence(school.day + timedelta(days=15))
    far = school.give(due_occurrence_id=far_session.pk)
    withdrawn = school.give()
    services.homework_withdraw(actor=school.teacher, homework_id=withdrawn.pk)

    assert [h["id"] for h in get(client, school.mother, path(school)).json()] == [near.pk]
    later = f"?from={school.day + timedelta(days=10)}&to={school.day + timedelta(days=20)}"
    assert [h["id"] for h in client.get(path(school, later)).json()] == [far.pk]
    both = f"?to={school.day + timedelta(days=20)}"
    assert [h["id"] for h in client.get(path(school, both)).json()] == [near.pk, far.pk]


@pytest.mark.parametrize(
    "query",
    ["?from=2026-12-10&to=2026-12-01", "?from=2026-01-01&to=2027-06-30", "?from=lundi"],
)
def test_a_bad_range_is_refused_with_the_reason(client, school, query):
    response = get(client, school.mother, path(school, query))
    assert response.status_code == 422


def test_contacts_only_when_the_establishment_shows_them_homework(client, school):
    school.give()
    HomeworkPolicy.objects.create(establishment=school.establishment, contacts_see_homework=False)
    assert get(client, school.grandmother, path(school)).status_code == 404
    assert get(client, school.mother, path(school)).status_code == 200


@pytest.mark.parametrize("who", ["zoe_mother", "elsewhere", "stranger"])
def test_anybody_else_gets_404(client, school, who):
    school.give()
    assert get(client, getattr(school, who), path(school)).status_code == 404
    assert get(client, getattr(school, who), "/api/v1/pupils/999999/homework").status_code == 404


@pytest.mark.parametrize("size", [1, 10])
@pytest.mark.parametrize(("who", "queries"), [("emma", 15), ("mother", 14), ("grandmother", 15)])
def test_the_queries_do_not_grow_with_the_homework(
    client, django_assert_num_queries, school, size, who, queries
):
    for _ in range(size):
        pupil_in(school.division)
        homework = school.give()
        school.attach(homework)
        HomeworkDone.objects.create(homework=homework, pupil=school.emma)
    client.logout()
    log_in(client, getattr(getattr(school, who), "account", getattr(school, who)))

    with django_assert_num_queries(queries):
        response = client.get(path(school))

    assert len(response.json()) == size


def test_the_openapi_document_describes_the_homework_endpoint(client):
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/pupils/{pupil_id}/homework"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"pupil_id", "from", "to"}
