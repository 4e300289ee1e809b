"""Writing a message through the page: people found by name among those one may write
to, the audiences the rules allow, information or discussion, read receipt, the pupil
concerned, urgent, attachments. The rules are the services': a guardian writing to
another guardian or to an audience, a pupil writing to pupils, anybody during the
emergency switch get 403 with the form and the reason, and nothing is sent. The text
typed becomes sanitised HTML (`text_to_html`)."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.core.models import RoleKind
from preau.messaging import services
from preau.messaging.forms import text_to_html
from preau.messaging.models import Message, MessageAudience, MessageKind, Recipient
from tests.conftest import log_in
from tests.factories import DivisionFactory, GroupFactory, guardian_account, pupil_in
from tests.messaging.support import School

pytestmark = pytest.mark.django_db

COMPOSE = reverse("messaging:compose")
PEOPLE = reverse("messaging:people")

# Session, account, spaces — then what the person may write to (compose_options), the
# pupils they may tag, and for families the people listed at once.
GUARDIAN_COMPOSE_QUERIES = 21
DIRECTION_COMPOSE_QUERIES = 11


@pytest.fixture
def school():
    return School()


def text(response) -> str:
    return html.unescape(response.content.decode())


def post(client, **data):
    data.setdefault("subject", "Rendez-vous")
    data.setdefault("body", "Bonjour,\n\nPouvons-nous nous voir ?")
    data.setdefault("kind", MessageKind.DISCUSSION)
    return client.post(COMPOSE, data)


# -- What the page offers ----------------------------------------------------------------------


def test_a_guardian_sees_at_once_the_people_they_may_write_to_and_no_audience(client, school):
    log_in(client, school.mother)

    content = text(client.get(COMPOSE))

    assert school.teacher.person.sort_name in content  # Emma's maths teacher
    assert school.cpe.person.sort_name in content
    assert school.other_teacher.person.sort_name not in content  # teaches 4B only
    assert school.father.person.sort_name not in content
    assert 'name="audiences"' not in content
    assert 'name="urgent"' not in content
    assert 'name="read_receipt"' not in content
    # Emma is the child the message may be about.
    assert f"{school.emma.first_name} {school.emma.last_name.upper()} (4A)" in content


def test_the_direction_chooses_audiences_and_may_flag_urgent(client, school):
    log_in(client, school.direction)

    content = text(client.get(COMPOSE))

    assert f'value="division_guardians:{school.division.pk}"' in content
    assert "Responsables des élèves de 4A" in content
    assert "Tous les responsables de l'établissement" in content
    assert f'value="group_pupils:{school.latin.pk}"' in content
    assert 'name="urgent"' in content
    assert 'name="read_receipt"' in content
    # Staff search: nobody is listed before a name is typed.
    assert "Tapez un nom" in content


def test_a_teacher_is_offered_only_the_audiences_they_teach(client, school):
    log_in(client, school.teacher)

    content = text(client.get(COMPOSE))

    assert f'value="division_guardians:{school.division.pk}"' in content
    assert f'value="division_guardians:{school.division_b.pk}"' not in content
    assert f'value="group_pupils:{school.latin.pk}"' in content
    assert "Tous les responsables de l'établissement" not in content
    assert 'name="urgent"' not in content


@pytest.mark.parametrize("extra", [0, 12])
def test_the_page_queries_do_not_grow_with_the_establishment(
    client, school, django_assert_num_queries, extra
):
    for number in range(extra):
        division = DivisionFactory(
            name=f"5{number}",
            level="5E",
            school_year=school.year,
            establishment=school.establishment,
        )
        GroupFactory(
            name=f"Option {number}", school_year=school.year, establishment=school.establishment
        )
        for _ in range(3):
            pupil = pupil_in(division)
            guardian_account(pupil)
    log_in(client, school.direction)
    client.get(COMPOSE)

    with django_assert_num_queries(DIRECTION_COMPOSE_QUERIES):
        response = client.get(COMPOSE)

    assert response.status_code == 200


@pytest.mark.parametrize("teachers", [0, 10])
def test_the_guardian_page_queries_do_not_grow_with_the_people_listed(
    client, school, django_assert_num_queries, teachers
):
    from tests.factories import division_service, staff_account

    for number in range(teachers):
        teacher = staff_account(school.establishment, last_name=f"Prof{number:02d}")
        division_service(school.division, teacher.person)
    log_in(client, school.mother)
    client.get(COMPOSE)

    with django_assert_num_queries(GUARDIAN_COMPOSE_QUERIES):
        content = client.get(COMPOSE).content.decode()

    # Emma's teacher, the CPE, the direction and the secretariat, and the new teachers.
    assert content.count('name="recipients"') == 4 + teachers


# -- Sending -------------------------------------------------------------------------------


def test_a_guardian_writes_to_their_childs_teacher(client, school):
    log_in(client, school.mother)

    response = post(
        client,
        recipients=[school.teacher.person_id],
        concerns=school.emma.pk,
        body="Bonjour,\n\n**Emma** sera absente :\n- lundi\n- mardi",
    )

    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("messaging:thread", args=[message.pk])
    assert message.sender_id == school.mother.person_id
    assert message.concerns_id == school.emma.pk
    assert message.kind == MessageKind.DISCUSSION
    assert message.body == (
        "<p>Bonjour,</p>\n<p><strong>Emma</strong> sera absente :</p>\n<ul><li>lundi</li>\n"
        "<li>mardi</li></ul>"
    )
    assert " ".join(message.body_text.split()) == "Bonjour, Emma sera absente : lundi mardi"
    assert list(Recipient.objects.values_list("person_id", flat=True)) == [school.teacher.person_id]
    assert "Message envoyé à 1 destinataire." in text(client.get(response["Location"]))


def test_a_guardian_writing_to_another_guardian_gets_403_with_the_reason(client, school):
    log_in(client, school.mother)

    response = post(client, recipients=[school.lea_mother.person_id], subject="Anniversaire")

    content = text(response)
    assert response.status_code == 403
    assert "Un responsable ne peut pas écrire à un autre responsable." in content
    assert 'value="Anniversaire"' in content  # the form comes back as typed
    # The refused person's name is not shown back.
    assert school.lea_mother.person.sort_name not in content
    assert not Message.objects.exists()


def test_a_guardian_writing_to_an_audience_gets_403_with_the_reason(client, school):
    log_in(client, school.mother)

    response = post(client, audiences=[f"division_guardians:{school.division.pk}"])

    assert response.status_code == 403
    assert "ne peut pas écrire à un ensemble de destinataires" in text(response)
    assert not Message.objects.exists()


def test_a_pupil_writing_to_pupils_gets_403_with_the_reason(client, school):
    log_in(client, school.emma.account)

    to_a_pupil = post(client, recipients=[school.hugo.pk])
    to_a_division = post(client, audiences=[f"division_pupils:{school.division.pk}"])

    assert to_a_pupil.status_code == 403
    assert "Un élève ne peut pas écrire à d'autres élèves." in text(to_a_pupil)
    assert to_a_division.status_code == 403
    assert "Un élève ne peut pas écrire à un ensemble de destinataires" in text(to_a_division)
    assert not Message.objects.exists()


def test_a_pupil_writes_to_their_teacher(client, school):
    log_in(client, school.emma.account)

    response = post(client, recipients=[school.teacher.person_id])

    assert response.status_code == 302
    assert Message.objects.get().sender_id == school.emma.pk


def test_the_direction_sends_an_information_with_read_receipt_to_a_divisions_guardians(
    client, school
):
    log_in(client, school.direction)

    response = post(
        client,
        subject="Réunion parents-professeurs",
        kind=MessageKind.INFORMATION,
        audiences=[f"division_guardians:{school.division.pk}"],
        read_receipt="on",
        urgent="on",
    )

    message = Message.objects.get()
    assert response.status_code == 302
    assert message.kind == MessageKind.INFORMATION
    assert message.read_receipt
    assert message.urgent
    guardians = {school.mother.person_id, school.father.person_id, school.hugo_father.person_id}
    assert set(Recipient.objects.values_list("person_id", flat=True)) == guardians
    audience = MessageAudience.objects.get()
    assert (audience.label, audience.resolved_count) == ("Responsables des élèves de 4A", 3)


def test_nothing_chosen_is_answered_on_the_form(client, school):
    log_in(client, school.direction)

    response = post(client)

    assert response.status_code == 400
    assert "Choisissez au moins un destinataire" in text(response)


def test_an_urgent_flag_posted_by_a_teacher_is_ignored(client, school):
    log_in(client, school.teacher)

    post(client, recipients=[school.mother.person_id], urgent="on")

    assert not Message.objects.get().urgent


def test_a_pupil_a_teacher_may_not_tag_is_refused_with_the_reason(client, school):
    log_in(client, school.teacher)

    response = post(client, recipients=[school.mother.person_id], concerns=school.lea.pk + 1000)

    assert response.status_code == 403
    assert "Vous ne pouvez pas indiquer cet élève" in text(response)


def test_attachments_are_sent_and_their_size_is_checked(client, school, settings):
    log_in(client, school.teacher)
    upload = SimpleUploadedFile("sortie.pdf", b"%PDF-1.4 ok", content_type="application/pdf")

    response = post(client, recipients=[school.mother.person_id], attachments=[upload])

    assert response.status_code == 302
    assert Message.objects.get().attachments.get().name == "sortie.pdf"

    settings.PREAU_MESSAGE_ATTACHMENT_MAX_BYTES = 4
    too_big = SimpleUploadedFile("gros.pdf", b"%PDF-1.4 trop", content_type="application/pdf")
    refused = post(client, recipients=[school.mother.person_id], attachments=[too_big])
    assert refused.status_code == 400
    assert "« gros.pdf » dépasse la taille maximale" in text(refused)
    assert Message.objects.count() == 1


def test_a_long_message_is_kept_whole(client, school):
    log_in(client, school.direction)
    long_text = "\n\n".join(f"Paragraphe {n} : " + "texte " * 100 for n in range(300))

    response = post(client, audiences=[f"division_guardians:{school.division.pk}"], body=long_text)

    assert response.status_code == 302
    message = Message.objects.get()
    assert len(message.body_text) > 180_000
    assert message.body.count("<p>") == 300


def test_the_emergency_switch_closes_the_page_to_families_with_the_reason(client, school):
    services.emergency_set(actor=school.direction, establishment=school.establishment, enabled=True)
    log_in(client, school.mother)

    page = client.get(COMPOSE)
    posted = post(client, recipients=[school.teacher.person_id])

    assert page.status_code == 200
    assert "mode urgence" in text(page)
    assert 'name="subject"' not in text(page)
    assert posted.status_code == 403
    assert not Message.objects.exists()


def test_a_family_writes_to_the_active_childs_establishment(client, school):
    other = DivisionFactory(name="2nde 1", level="2NDE")
    brother = pupil_in(other)
    from tests.factories import GuardianshipFactory, division_service, staff_account

    GuardianshipFactory(guardian=school.mother.person, pupil=brother)
    lycee_teacher = staff_account(other.establishment, last_name="Lycee")
    division_service(other, lycee_teacher.person)
    log_in(client, school.mother)

    client.post(reverse("portal:switch_child"), {"child": brother.pk, "next": COMPOSE})
    content = text(client.get(COMPOSE))
    response = post(client, recipients=[lycee_teacher.person_id])

    assert other.establishment.name in content
    assert lycee_teacher.person.sort_name in content
    assert school.teacher.person.sort_name not in content
    assert response.status_code == 302
    assert Message.objects.get().establishment_id == other.establishment_id


# -- Finding people ---------------------------------------------------------------------------


def test_the_people_search_works_without_javascript(client, school):
    log_in(client, school.direction)

    response = client.post(
        COMPOSE,
        {
            "action": "chercher",
            "q": school.hugo_father.person.last_name,
            "subject": "Brouillon",
            "body": "Texte gardé",
            "recipients": [school.mother.person_id],
        },
    )

    content = text(response)
    assert response.status_code == 200
    assert not Message.objects.exists()
    assert 'value="Brouillon"' in content
    assert "Texte gardé" in content
    # The person chosen stays chosen, the one found is offered.
    assert f'value="{school.mother.person_id}" id="person-{school.mother.person_id}" checked' in (
        content
    )
    assert school.hugo_father.person.sort_name in content
    assert "Choisissez au moins" not in content  # a search is not a sending


def test_the_people_search_for_htmx_leaves_out_those_chosen(client, school):
    log_in(client, school.direction)
    name = school.mother.person.last_name

    found = text(client.get(PEOPLE, {"q": name}))
    without = text(client.get(PEOPLE, {"q": name, "recipients": [school.mother.person_id]}))

    assert school.mother.person.sort_name in found
    assert "Responsable de" in found
    assert f'id="person-{school.mother.person_id}"' not in without
    assert "<html" not in found


def test_the_people_search_never_lists_people_one_may_not_write_to(client, school):
    log_in(client, school.mother)

    content = text(client.get(PEOPLE, {"q": school.lea_mother.person.last_name}))

    assert f'id="person-{school.lea_mother.person_id}"' not in content


def test_the_regional_administration_cannot_write(client, school):
    from tests.factories import AccountFactory, RoleFactory

    region = AccountFactory()
    RoleFactory(person=region.person, establishment=None, kind=RoleKind.REGION_ADMIN)
    log_in(client, region)

    assert client.get(COMPOSE).status_code == 404
    assert client.get(PEOPLE).status_code == 404


# -- Text to HTML ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Bonjour", "<p>Bonjour</p>"),
        ("Un\ndeux\n\nTrois", "<p>Un<br>\ndeux</p>\n<p>Trois</p>"),
        ("Un\r\n\r\nDeux", "<p>Un</p>\n<p>Deux</p>"),
        ("**gras** et *italique*", "<p><strong>gras</strong> et <em>italique</em></p>"),
        ("5 * 3 * 2 = 30", "<p>5 * 3 * 2 = 30</p>"),
        ("- un\n- deux\nFin", "<ul><li>un</li>\n<li>deux</li></ul>\n<p>Fin</p>"),
        ("1. un\n2) deux", "<ol><li>un</li>\n<li>deux</li></ol>"),
        ("- a\n1. b", "<ul><li>a</li></ul>\n<ol><li>b</li></ol>"),
        ("<script>x</script> & co", "<p>&lt;script&gt;x&lt;/script&gt; &amp; co</p>"),
        (
            "Voir https://example.org/a?b=1&c=2.",
            '<p>Voir <a href="https://example.org/a?b=1&amp;c=2">'
            "https://example.org/a?b=1&amp;c=2</a>.</p>",
        ),
        ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
        ("\n\n  \n", ""),
    ],
)
def test_text_becomes_html(typed, stored):
    assert text_to_html(typed) == stored
