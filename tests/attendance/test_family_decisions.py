"""The vie scolaire's decision reaches the family pages: a rejected or accepted absence
shows the decision and the explanation written for the family; a rejected one can be
justified again; a contact reads the decision but not the explanation; the pages cost
the same number of queries."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from preau.attendance import services
from preau.attendance.models import Absence, AbsenceState
from tests.attendance.test_family_support import Family
from tests.conftest import log_in

pytestmark = pytest.mark.django_db

MINE = reverse("attendance:mine")
JUSTIFY = reverse("attendance:justify")


@pytest.fixture
def family():
    return Family()


def form_url(absence) -> str:
    return reverse("attendance:justify_absence", args=[absence.pk])


def words(response) -> str:
    """The page's words, tags removed and spaces collapsed."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def justify(family, absence, reason="MAL", comment="Fièvre"):
    return services.absence_justify(
        actor=None, absence=absence, reason=family.reasons[reason], comment=comment
    )


def decide(family, absence, *, accept: bool, comment: str = ""):
    return services.absence_decide(
        actor=family.cpe,
        absence=Absence.objects.get(pk=absence.pk),
        expected_version=None,
        accept=accept,
        staff_comment=comment,
    )


def row_of(response, absence):
    return next(row for row in response.context["overview"].rows if row.absence.pk == absence.pk)


@pytest.mark.parametrize("reader", ["mother", "father", "emma"])
def test_a_refusal_and_its_explanation_are_on_the_family_pages(client, family, reader):
    # Given a justification the vie scolaire refused with an explanation
    decide(
        family, justify(family, family.absent), accept=False, comment="Le certificat date de mai."
    )
    log_in(client, family.account(reader))

    # When the family opens the absences
    response = client.get(MINE)

    # Then the absence says who decided what, and why.
    row = row_of(response, family.absent)
    assert (row.decision, row.explanation) == (
        "Justification refusée",
        "Le certificat date de mai.",
    )
    page = words(response)
    assert "Décision de la vie scolaire Justification refusée" in page
    assert "Explication de la vie scolaire Le certificat date de mai." in page


def test_an_acceptance_and_its_explanation_are_shown_too(client, family):
    decide(family, justify(family, family.absent), accept=True, comment="Certificat reçu.")
    log_in(client, family.mother)

    page = words(client.get(MINE))

    assert "Décision de la vie scolaire Justification acceptée" in page
    assert "Explication de la vie scolaire Certificat reçu." in page


def test_a_rejected_absence_is_to_justify_again_with_the_reason_of_the_refusal(client, family):
    # Given a refusal
    decide(family, justify(family, family.absent), accept=False, comment="Motif non recevable.")
    log_in(client, family.mother)

    # When the mother opens the justification page and the absence's form
    listed = client.get(JUSTIFY)
    form = client.get(form_url(family.absent))

    # Then the absence waits for a new justification, and the form shows why the
    # first one was refused.
    assert family.absent.pk in [row.absence.pk for row in listed.context["waiting"]]
    assert "Motif non recevable." in words(listed)
    assert form.status_code == 200
    assert "Explication de la vie scolaire Motif non recevable." in words(form)
    assert '<form method="post" enctype' in form.content.decode()

    # And she justifies again: the absence waits for the vie scolaire.
    sent = client.post(
        form_url(family.absent), {"reason": family.reasons["MAL"].pk, "comment": "Autre pièce"}
    )
    assert sent.status_code == 302
    assert Absence.objects.get(pk=family.absent.pk).state == AbsenceState.PENDING


def test_while_a_new_justification_waits_the_old_refusal_is_not_shown_as_the_answer(client, family):
    decide(family, justify(family, family.absent), accept=False, comment="Illisible.")
    justify(family, family.absent, comment="Une photo plus nette")
    log_in(client, family.mother)

    response = client.get(MINE)

    row = row_of(response, family.absent)
    assert (row.decision, row.explanation) == ("", "")
    assert "Illisible." not in words(response)


def test_a_comment_on_an_absence_not_decided_is_not_shown(client, family):
    family.period(
        family.emma,
        family.maths_monday.start + timedelta(days=1),
        family.maths_monday.end + timedelta(days=1),
        staff_comment="Appel de la mère à 8 h 10",
    )
    log_in(client, family.mother)

    page = words(client.get(MINE))

    assert "Appel de la mère" not in page
    assert "Décision de la vie scolaire" not in page


def test_a_person_in_charge_reads_the_decision_but_not_the_explanation(client, family):
    decide(
        family, justify(family, family.absent), accept=False, comment="Le certificat date de mai."
    )
    log_in(client, family.grandmother)

    response = client.get(MINE)

    row = row_of(response, family.absent)
    assert (row.decision, row.explanation) == ("Justification refusée", "")
    assert "Le certificat date de mai." not in words(response)


def test_an_acceptance_without_a_comment_does_not_repeat_an_earlier_refusal(client, family):
    # Given a refusal, a new justification, and an acceptance at the desk without a word
    decide(family, justify(family, family.absent), accept=False, comment="Illisible.")
    again = justify(family, family.absent, comment="Plus net")
    desk = Client()
    log_in(desk, family.cpe)
    desk.post(
        reverse("attendance:desk_absence_action", args=[again.pk, "decider"]),
        {"decider-version": again.version, "decider-decision": "accept"},
    )

    # When the mother reads the absence
    log_in(client, family.mother)
    row = row_of(client.get(MINE), family.absent)

    # Then it is accepted, without the refusal's explanation.
    assert (row.decision, row.explanation) == ("Justification acceptée", "")


@pytest.mark.parametrize("count", [1, 6])
@pytest.mark.parametrize("url", [MINE, JUSTIFY])
def test_decisions_cost_no_query_on_the_family_pages(
    client, family, count, url, django_assert_num_queries
):
    for week in range(count):
        day = family.monday - timedelta(days=7 * (week + 1))
        absence = justify(family, family.absence(family.emma, family.session(day, 8, family.maths)))
        decide(family, absence, accept=week % 2 == 0, comment=f"Décision {week}")
        # And a day entered by the office, so that the page reads the courses missed.
        start = family.maths_monday.start - timedelta(days=7 * (week + 1) - 1)
        period = family.period(family.emma, start, start + timedelta(hours=8))
        decide(family, justify(family, period), accept=False, comment=f"Refus {week}")
    log_in(client, family.mother)
    client.get(url)

    # The pin of the family pages (test_family_pages): nothing more for the decisions.
    with django_assert_num_queries(14):
        response = client.get(url)

    explained = [row for row in response.context["overview"].rows if row.explanation]
    assert len(explained) == 2 * count
