"""`POST /api/v1/messages`, `GET /api/v1/messages` and `GET /api/v1/messages/{id}`:
the rules of the pages (403 with the reason), 404 for a message the caller neither
sent nor received, and queries that do not grow with the folder."""

import json

import pytest

from preau.messaging import services
from preau.messaging.models import Message, Recipient
from tests.conftest import log_in
from tests.factories import DivisionFactory, GuardianshipFactory, division_service, pupil_in
from tests.messaging.support import School, guardians

pytestmark = pytest.mark.django_db
URL = "/api/v1/messages"


@pytest.fixture
def school():
    return School()


def post(client, account, payload, *, login=True):
    if login:
        log_in(client, account)
    return client.post(URL, data=json.dumps(payload), content_type="application/json")


def payload(**fields):
    return {"subject": "Sortie", "body": "<p>Départ à 8 h.</p>", **fields}


def test_the_direction_writes_to_every_guardian(client, school):
    response = post(
        client,
        school.direction,
        payload(
            kind="information",
            audiences=[{"type": "establishment_guardians", "id": None}],
            read_receipt=True,
        ),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["recipient_count"] == 4
    message = Message.objects.get(pk=body["id"])
    assert (message.kind, message.read_receipt, message.sender_id) == (
        "information",
        True,
        school.direction.person_id,
    )


def test_a_teacher_writes_to_a_division_they_teach_with_the_pupil_concerned(client, school):
    response = post(
        client,
        school.teacher,
        payload(
            audiences=[{"type": "division_guardians", "id": school.division.pk}],
            recipients=[school.emma.pk],
            concerns=school.emma.pk,
        ),
    )

    assert response.status_code == 201
    assert response.json()["recipient_count"] == 4  # three guardians and Emma


@pytest.mark.parametrize(
    ("who", "fields", "reason"),
    [
        (
            "mother",
            {"recipients": ["hugo_father"]},
            "Un responsable ne peut pas écrire à un autre responsable.",
        ),
        (
            "mother",
            {"audiences": [{"type": "division_guardians", "id": "division"}]},
            "Un responsable ne peut pas écrire à un ensemble de destinataires",
        ),
        (
            "mother",
            {"audiences": [{"type": "establishment_staff"}]},
            "Un responsable ne peut pas écrire à un ensemble de destinataires",
        ),
        ("emma", {"recipients": ["hugo"]}, "Un élève ne peut pas écrire à d'autres élèves."),
        ("emma", {"recipients": ["mother"]}, "Un élève ne peut pas écrire à un responsable."),
        (
            "other_teacher",
            {"recipients": ["mother"]},
            "Un enseignant écrit aux responsables des élèves qu'il a en classe",
        ),
        (
            "teacher",
            {"audiences": [{"type": "establishment_guardians"}]},
            "pas à tout un niveau ni à tout l'établissement",
        ),
    ],
)
def test_what_the_rules_forbid_answers_403_with_the_reason(client, school, who, fields, reason):
    def resolve(name):
        return {
            "hugo_father": school.hugo_father.person_id,
            "hugo": school.hugo.pk,
            "mother": school.mother.person_id,
            "division": school.division.pk,
        }[name]

    if "recipients" in fields:
        fields = {"recipients": [resolve(name) for name in fields["recipients"]]}
    else:
        fields = {
            "audiences": [
                {**a, "id": resolve(a["id"])} if a.get("id") else a for a in fields["audiences"]
            ]
        }
    account = {"emma": school.emma.account}.get(who) or getattr(school, who)

    response = post(client, account, payload(**fields))

    assert response.status_code == 403
    assert reason in response.json()["detail"]
    assert not Message.objects.exists()


def test_the_emergency_switch_answers_403_to_families(client, school):
    services.emergency_set(actor=school.direction, establishment=school.establishment, enabled=True)

    response = post(client, school.mother, payload(recipients=[school.teacher.person_id]))

    assert response.status_code == 403
    assert "mode urgence" in response.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"subject": ""}, 422, "objet"),
        ({"kind": "annonce"}, 422, "information"),
        ({"audiences": [{"type": "division_guardians", "id": 999999}]}, 422, "classe"),
    ],
)
def test_an_invalid_message_answers_422(client, school, fields, status, words):
    response = post(
        client, school.direction, payload(recipients=[school.mother.person_id], **fields)
    )

    assert response.status_code == status
    assert words in response.json()["detail"]


def test_anonymous_callers_are_refused(client, school):
    response = post(client, None, payload(recipients=[1]), login=False)

    assert response.status_code == 401
    assert client.get(URL).status_code == 401


def test_a_parent_of_children_in_two_establishments_writes_in_the_right_one(client, school):
    lycee = DivisionFactory(name="1re 2")
    lucas = pupil_in(lycee)
    GuardianshipFactory(guardian=school.mother.person, pupil=lucas)
    from tests.factories import staff_account

    lycee_teacher = staff_account(lycee.establishment, last_name="Lycee")
    division_service(lycee, lycee_teacher.person)

    response = post(client, school.mother, payload(recipients=[lycee_teacher.person_id]))

    assert response.status_code == 201
    assert Message.objects.get().establishment == lycee.establishment
    client.logout()
    response = post(
        client,
        school.mother,
        payload(recipients=[school.teacher.person_id], establishment=school.establishment.uai),
    )
    assert response.status_code == 201
    assert Message.objects.latest("pk").establishment == school.establishment


# -- Reading ---------------------------------------------------------------------------------


def write(school, actor, **fields):
    fields.setdefault("subject", "Devoirs")
    fields.setdefault("body", "<p>Pour lundi.</p>")
    return services.message_send(actor=actor, establishment=school.establishment, **fields)


def test_the_inbox_and_the_sent_folder(client, school):
    first = write(school, school.teacher, recipients=[school.mother.person_id])
    second = write(
        school, school.direction, recipients=[school.mother.person_id], subject="Cantine"
    )
    write(school, school.direction, recipients=[school.father.person_id])
    services.messages_mark_read(actor=school.mother, message_ids=[first.pk])
    log_in(client, school.mother)

    inbox = client.get(URL, {"folder": "inbox"}).json()

    assert inbox["count"] == 2
    assert [(m["id"], m["read"]) for m in inbox["results"]] == [
        (second.pk, False),
        (first.pk, True),
    ]
    assert inbox["results"][0]["subject"] == "Cantine"
    assert inbox["results"][0]["preview"] == "Pour lundi."
    assert client.get(URL, {"folder": "sent"}).json()["count"] == 0
    client.logout()
    log_in(client, school.teacher)
    sent = client.get(URL, {"folder": "sent"}).json()
    assert [(m["id"], m["recipient_count"], m["read_count"]) for m in sent["results"]] == [
        (first.pk, 1, 1)
    ]


def test_an_unknown_folder_answers_422(client, school):
    log_in(client, school.mother)

    assert client.get(URL, {"folder": "corbeille"}).status_code == 422


def test_reading_a_message_marks_it_read(client, school):
    message = write(school, school.teacher, recipients=[school.mother.person_id])
    log_in(client, school.mother)

    response = client.get(f"{URL}/{message.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["body"] == "<p>Pour lundi.</p>"
    assert body["read_at"] is not None
    assert body["audiences"] is None
    assert Recipient.objects.get(message=message).read_at is not None


def test_the_sender_sees_the_audiences_chosen(client, school):
    message = write(school, school.teacher, audiences=[("division_guardians", school.division.pk)])
    log_in(client, school.teacher)

    body = client.get(f"{URL}/{message.pk}").json()

    assert body["audiences"] == [
        {
            "type": "division_guardians",
            "id": str(school.division.pk),
            "label": "Responsables des élèves de 4A",
            "resolved_count": 3,
        }
    ]
    assert body["read_at"] is None


@pytest.mark.parametrize("who", ["father", "other_teacher", "direction", "elsewhere"])
def test_a_message_of_others_answers_404_and_is_logged(client, school, who, caplog):
    message = write(school, school.teacher, recipients=[school.mother.person_id])
    log_in(client, getattr(school, who))

    response = client.get(f"{URL}/{message.pk}")

    assert response.status_code == 404
    assert f"refused message {message.pk}" in caplog.text


@pytest.mark.parametrize("messages", [2, 30])
def test_the_folder_takes_a_fixed_number_of_queries(
    client, school, messages, django_assert_num_queries
):
    for _ in range(messages):
        write(school, school.direction, audiences=[("division_guardians", school.division.pk)])
    log_in(client, school.mother)

    with django_assert_num_queries(7):
        response = client.get(URL)

    assert response.json()["count"] == messages


@pytest.mark.parametrize("families", [2, 30])
def test_reading_takes_a_fixed_number_of_queries(
    client, school, families, django_assert_num_queries
):
    guardians(school.division, families)
    message = write(
        school, school.direction, audiences=[("division_guardians", school.division.pk)]
    )
    log_in(client, school.mother)

    with django_assert_num_queries(8):
        response = client.get(f"{URL}/{message.pk}")

    assert response.status_code == 200


def test_the_openapi_document_describes_the_messages_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert "post" in paths["/api/v1/messages"]
    assert "get" in paths["/api/v1/messages"]
    assert "get" in paths["/api/v1/messages/{message_id}"]
