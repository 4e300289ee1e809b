"""Issuing report cards tells the families: one e-mail to each person who may see the
card (both legal guardians, separated or not; not a guardian an adult pupil objected
to; not a contact unless the establishment shows them grades), after the commit,
without the card's content, never twice, and kept for later when the mail server is
away."""

from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail

from preau.grades import notices, report_cards
from preau.grades.models import GradesPolicy, ReportCardNotice
from tests.grades.test_report_cards_support import Lycee

pytestmark = pytest.mark.django_db


@pytest.fixture
def lycee():
    return Lycee(absences=False)


def issue(lycee, capture):
    with capture(execute=True):
        return report_cards.report_cards_issue(
            actor=lycee.direction, division=lycee.division, period=lycee.period
        )


def recipients() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def test_both_legal_guardians_are_told_and_nobody_else(lycee, django_capture_on_commit_callbacks):
    issue(lycee, django_capture_on_commit_callbacks)

    told = recipients()
    assert lycee.mother.person.email in told
    assert lycee.father.person.email in told
    assert lycee.hugo_parent.person.email in told
    # Léa, of age, objected to her mother seeing her report cards; her father sees them.
    assert lycee.lea_father.person.email in told
    assert lycee.lea_mother.person.email not in told
    # A level-2 contact sees no grades by default.
    assert lycee.grandmother.person.email not in told
    assert len(mail.outbox) == 4


def test_the_message_says_where_the_card_is_not_what_it_says(
    lycee, django_capture_on_commit_callbacks, settings
):
    settings.PREAU_SITE_URL = "https://preau.example.fr"
    issue(lycee, django_capture_on_commit_callbacks)

    message = next(m for m in mail.outbox if m.to == [lycee.mother.person.email])
    assert "Emma" in message.subject
    assert "Trimestre 1" in message.subject
    assert f"https://preau.example.fr/notes/bulletins/?enfant={lycee.emma.pk}" in message.body
    assert "16,33" not in message.body
    assert "16.33" not in message.body


def test_contacts_are_told_when_the_establishment_shows_them_grades(
    lycee, django_capture_on_commit_callbacks
):
    GradesPolicy.objects.create(establishment=lycee.establishment, contacts_see_grades=True)

    issue(lycee, django_capture_on_commit_callbacks)

    assert lycee.grandmother.person.email in recipients()


def test_nothing_goes_twice_and_a_reissue_tells_again(lycee, django_capture_on_commit_callbacks):
    issue(lycee, django_capture_on_commit_callbacks)
    assert notices.send_pending() == 0
    assert len(mail.outbox) == 4

    issue(lycee, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 8


def test_a_mail_server_away_loses_nothing(lycee, django_capture_on_commit_callbacks):
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError),
        pytest.raises(Retry, match="avis de bulletin non envoyés"),
    ):
        issue(lycee, django_capture_on_commit_callbacks)
    assert len(report_cards_of(lycee)) == 3
    assert ReportCardNotice.objects.filter(sent_at__isnull=True).count() == 4

    assert notices.send_pending() == 4

    assert ReportCardNotice.objects.filter(sent_at__isnull=True).count() == 0
    assert len(mail.outbox) == 4


def report_cards_of(lycee):
    from preau.grades.models import ReportCard

    return list(ReportCard.objects.filter(division=lycee.division))
