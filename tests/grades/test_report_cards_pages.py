"""The report cards page: staff see a division's cards as PDF and the direction issues
them; a pupil and both legal guardians find the issued cards in their space (an adult
pupil's objection hides them from that guardian, a contact sees them only when the
establishment allows), anybody else gets a 404; and what the family page costs."""

import pytest
from django.urls import reverse

from preau.grades import report_cards
from preau.grades.models import GradesPolicy, ReportCard
from tests.conftest import log_in
from tests.factories import guardian_account, pupil_in
from tests.grades.test_report_cards_support import Lycee

pytestmark = pytest.mark.django_db

REPORT_CARDS = reverse("grades:report_cards")
PDF = reverse("grades:report_cards_pdf")


@pytest.fixture
def lycee():
    return Lycee()


@pytest.fixture
def issued(lycee):
    cards = report_cards.report_cards_issue(
        actor=lycee.direction, division=lycee.division, period=lycee.period
    )
    return {card.pupil_id: card for card in cards}


def choice(lycee) -> dict:
    return {"division": lycee.division.pk, "periode": lycee.period.pk}


def document(card) -> str:
    return reverse("grades:report_card_document", args=[card.pk])


def content(response) -> bytes:
    return b"".join(response.streaming_content)


# -- Staff -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["direction", "secretariat", "cpe", "head"])
def test_staff_who_read_report_cards_list_the_pupils_with_a_pdf_each(client, lycee, who):
    log_in(client, getattr(lycee, who))

    html = client.get(REPORT_CARDS, choice(lycee)).content.decode()

    assert "ROCHE Emma" in html
    assert f"eleve={lycee.emma.pk}" in html
    assert "PDF de la classe" in html
    assert ("Publier les bulletins" in html) == (who == "direction")


def test_a_teacher_not_head_teacher_reads_no_division_but_finds_their_appraisals(client, lycee):
    log_in(client, lycee.maths_teacher)

    response = client.get(REPORT_CARDS)
    html = response.content.decode()

    assert response.status_code == 200
    assert "ROCHE Emma" not in html
    assert reverse("grades:appraisals", args=[lycee.maths.pk]) in html
    assert client.get(REPORT_CARDS, choice(lycee)).status_code == 404
    assert client.get(PDF, choice(lycee)).status_code == 404


def test_the_division_pdf_and_one_pupils_pdf(client, lycee):
    log_in(client, lycee.head)

    whole = client.get(PDF, choice(lycee))
    one = client.get(PDF, {**choice(lycee), "eleve": lycee.hugo.pk})

    assert whole.status_code == one.status_code == 200
    assert whole["Content-Type"] == "application/pdf"
    assert whole.content.startswith(b"%PDF")
    assert one.content.startswith(b"%PDF")
    assert len(one.content) < len(whole.content)
    assert "lambert-hugo" in one["Content-Disposition"]
    assert one["Cache-Control"] == "private, no-store"


def test_the_direction_issues_the_cards_from_the_page(client, lycee):
    log_in(client, lycee.direction)

    response = client.post(reverse("grades:report_cards_issue"), choice(lycee))

    assert response.status_code == 302
    assert ReportCard.objects.filter(replaced=False).count() == 3
    html = client.get(REPORT_CARDS, choice(lycee)).content.decode()
    assert "3 bulletins publiés" in html


def test_only_the_direction_issues(client, lycee):
    log_in(client, lycee.head)

    response = client.post(reverse("grades:report_cards_issue"), choice(lycee))

    assert response.status_code == 404
    assert not ReportCard.objects.exists()


def test_staff_download_an_issued_card_head_teacher_of_another_class_does_not(
    client, lycee, issued
):
    log_in(client, lycee.secretariat)
    assert content(client.get(document(issued[lycee.emma.pk]))).startswith(b"%PDF")
    client.logout()
    log_in(client, lycee.stranger)
    assert client.get(document(issued[lycee.emma.pk])).status_code == 404


# -- Families and pupils -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["mother", "father"])
def test_both_legal_guardians_see_and_download_the_issued_card(client, lycee, issued, who):
    log_in(client, getattr(lycee, who))

    html = client.get(REPORT_CARDS).content.decode()
    response = client.get(document(issued[lycee.emma.pk]))

    assert "Trimestre 1" in html
    assert document(issued[lycee.emma.pk]) in html
    assert response.status_code == 200
    assert content(response).startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"


def test_the_pupil_sees_their_own_issued_card(client, lycee, issued):
    log_in(client, lycee.emma.account)

    html = client.get(REPORT_CARDS).content.decode()

    assert document(issued[lycee.emma.pk]) in html
    assert client.get(document(issued[lycee.emma.pk])).status_code == 200
    assert client.get(document(issued[lycee.hugo.pk])).status_code == 404


def test_another_family_gets_a_404(client, lycee, issued):
    log_in(client, lycee.hugo_parent)

    assert client.get(document(issued[lycee.emma.pk])).status_code == 404
    assert document(issued[lycee.emma.pk]) not in client.get(REPORT_CARDS).content.decode()


def test_an_adult_pupils_objection_hides_the_cards_from_that_guardian_only(client, lycee, issued):
    log_in(client, lycee.lea_mother)
    html = client.get(REPORT_CARDS).content.decode()
    assert "majeur, s&#x27;est opposé" in html
    assert document(issued[lycee.lea.pk]) not in html
    assert client.get(document(issued[lycee.lea.pk])).status_code == 404
    client.logout()
    log_in(client, lycee.lea_father)
    assert client.get(document(issued[lycee.lea.pk])).status_code == 200


def test_a_contact_sees_cards_only_when_the_establishment_allows(client, lycee, issued):
    log_in(client, lycee.grandmother)
    assert client.get(document(issued[lycee.emma.pk])).status_code == 404
    GradesPolicy.objects.create(establishment=lycee.establishment, contacts_see_grades=True)

    assert client.get(document(issued[lycee.emma.pk])).status_code == 200


def test_a_replaced_card_is_no_longer_offered_to_the_family(client, lycee, issued):
    again = report_cards.report_cards_issue(
        actor=lycee.direction, division=lycee.division, period=lycee.period
    )
    log_in(client, lycee.mother)

    html = client.get(REPORT_CARDS).content.decode()

    newer = next(card for card in again if card.pupil_id == lycee.emma.pk)
    assert document(newer) in html
    assert document(issued[lycee.emma.pk]) not in html
    assert client.get(document(issued[lycee.emma.pk])).status_code == 404


def test_the_family_list_costs_the_same_whatever_the_number_of_cards(
    client, lycee, issued, django_assert_num_queries
):
    log_in(client, lycee.mother)
    client.get(REPORT_CARDS)

    with django_assert_num_queries(FAMILY_QUERIES):
        client.get(REPORT_CARDS)
    report_cards.report_cards_issue(
        actor=lycee.direction, division=lycee.division, period=lycee.period
    )
    pupil_in(lycee.division)
    guardian_account(lycee.emma, level=2)

    with django_assert_num_queries(FAMILY_QUERIES):
        client.get(REPORT_CARDS)


FAMILY_QUERIES = 8
