"""Notices of the vie scolaire's decisions: when a justification is accepted or
rejected, both legal guardians with an address are told by e-mail, with the
explanation, after the commit and outside quiet hours; each decision once; only the
decision still standing when the notice falls due."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from preau.attendance import notices, services
from preau.attendance.models import Absence, AbsenceNotice, AbsenceState
from preau.attendance.notices import create_decision_notices, send_due_notices
from preau.core.models import Person
from tests.attendance.test_family_support import Family
from tests.attendance.test_notices import at, recipients, tuesday
from tests.conftest import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    return Family()


@pytest.fixture
def clock(monkeypatch):
    """Sets the time everything reads (`timezone.now`)."""

    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


@pytest.fixture
def justified(family):
    """Emma's Monday maths absence, justified online by her mother (illness)."""
    return services.absence_justify(
        actor=None, absence=family.absent, reason=family.reasons["MAL"], comment="Fièvre"
    )


@pytest.fixture
def decide(family, django_capture_on_commit_callbacks):
    """The vie scolaire decides as its page does: the service, then the notices, and
    what happens after the commit (the notices' rows, the eager sending task)."""

    def decide_(absence, *, accept: bool, comment: str = "", reason=None):
        with django_capture_on_commit_callbacks(execute=True):
            decided = services.absence_decide(
                actor=family.cpe,
                absence=Absence.objects.get(pk=absence.pk),
                expected_version=None,
                accept=accept,
                reason=reason,
                staff_comment=comment,
            )
            notices.schedule_decision(decided)
        return decided

    return decide_


def guardians(family) -> list[str]:
    return sorted([family.mother.person.email, family.father.person.email])


def test_a_refusal_made_at_the_desk_reaches_both_guardians_with_its_explanation(
    client, family, clock, justified, django_capture_on_commit_callbacks
):
    # Given the CPE on the absence's page, on a Tuesday morning
    clock(at(tuesday(family), 10))
    log_in(client, family.cpe)
    url = reverse("attendance:desk_absence_action", args=[justified.pk, "decider"])

    # When they refuse the justification with an explanation
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "decider-version": justified.version,
                "decider-decision": "reject",
                "decider-staff_comment": "Le certificat ne couvre pas ce lundi.",
            },
        )

    # Then each legal guardian gets one e-mail saying so, with the explanation and the
    # way to justify again; the person in charge gets none.
    assert response.status_code == 302
    assert recipients() == guardians(family)
    message = next(m for m in mail.outbox if m.to == [family.mother.person.email])
    assert message.subject == "Justification refusée pour Emma Roche"
    assert "Bonjour Mme Claire" in message.body
    assert "absence de 08:00 à 08:55 (Mathématiques) : justification refusée." in message.body
    assert "Explication de la vie scolaire : Le certificat ne couvre pas ce lundi." in message.body
    assert "Vous pouvez donner une autre justification en ligne" in message.body
    assert f"/vie-scolaire/justifier/?enfant={family.emma.pk}" in message.body
    html, _mimetype = message.alternatives[0]
    assert "Le certificat ne couvre pas ce lundi." in html
    rows = AbsenceNotice.objects.filter(decision__isnull=False)
    assert {(n.guardian_id, n.channel) for n in rows} == {
        (family.mother.person_id, "email"),
        (family.father.person_id, "email"),
    }
    assert all(n.decision.action == "rejected" and n.sent_at is not None for n in rows)


def test_an_acceptance_is_told_too_and_links_to_the_absences(family, clock, justified, decide):
    clock(at(tuesday(family), 10))

    decide(justified, accept=True, comment="Merci pour le certificat.")

    message = mail.outbox[0]
    assert message.subject == "Justification acceptée pour Emma Roche"
    assert "justification acceptée." in message.body
    assert "Merci pour le certificat." in message.body
    assert f"/vie-scolaire/absences/?enfant={family.emma.pk}" in message.body
    assert "autre justification" not in message.body
    assert recipients() == guardians(family)


def test_a_decision_taken_in_the_evening_is_told_the_next_morning(family, clock, justified, decide):
    day = tuesday(family)
    clock(at(day, 21))

    decide(justified, accept=False, comment="Motif non recevable.")

    assert mail.outbox == []
    assert {n.due_at for n in AbsenceNotice.objects.filter(decision__isnull=False)} == {
        at(day + timedelta(days=1), 7, 30)
    }
    clock(at(day + timedelta(days=1), 7, 29))
    assert send_due_notices() == 0
    clock(at(day + timedelta(days=1), 7, 30))
    assert send_due_notices() == 2
    assert recipients() == guardians(family)


def test_a_decision_is_told_once_whatever_schedules_or_runs_again(
    family, clock, justified, decide, django_capture_on_commit_callbacks
):
    clock(at(tuesday(family), 10))
    decided = decide(justified, accept=False, comment="Non.")

    with django_capture_on_commit_callbacks(execute=True):
        notices.schedule_decision(decided)
    create_decision_notices([decided.pk])

    assert send_due_notices() == 0
    assert AbsenceNotice.objects.filter(decision__isnull=False).count() == 2
    assert len(mail.outbox) == 2


def test_deciding_again_tells_the_new_decision(family, clock, justified, decide):
    # Given a refusal the family was told of, then a new justification
    clock(at(tuesday(family), 10))
    decide(justified, accept=False, comment="Certificat illisible.")
    again = services.absence_justify(
        actor=None, absence=justified, reason=family.reasons["MAL"], comment="Lisible cette fois"
    )
    mail.outbox.clear()

    # When the vie scolaire accepts it
    decide(again, accept=True)

    # Then the guardians are told of the acceptance, without the refusal's words.
    assert recipients() == guardians(family)
    assert all(m.subject == "Justification acceptée pour Emma Roche" for m in mail.outbox)
    assert "illisible" not in mail.outbox[0].body
    assert AbsenceNotice.objects.filter(decision__isnull=False).count() == 4


def test_only_the_decision_standing_when_the_notice_falls_due_is_sent(
    family, clock, justified, decide
):
    # Given a refusal at night, and the family's new justification before the morning
    day = tuesday(family)
    clock(at(day, 21))
    decide(justified, accept=False, comment="Certificat illisible.")
    services.absence_justify(
        actor=None, absence=justified, reason=family.reasons["MAL"], comment="Le voici"
    )

    # When the morning comes, nothing is sent: the refusal no longer stands.
    clock(at(day + timedelta(days=1), 7, 30))
    assert send_due_notices() == 0

    # And once the justification is accepted, only the acceptance is sent.
    clock(at(day + timedelta(days=1), 9))
    decide(justified, accept=True)
    assert [m.subject for m in mail.outbox] == ["Justification acceptée pour Emma Roche"] * 2


def test_a_pupils_decisions_due_together_make_one_email_per_guardian(
    family, clock, justified, decide
):
    day = tuesday(family)
    clock(at(day, 21))
    late = services.absence_justify(
        actor=None, absence=family.late, reason=family.reasons["TRANSP"], comment="Bus"
    )
    decide(justified, accept=True)
    decide(late, accept=False, comment="Le bus était à l'heure.")

    clock(at(day + timedelta(days=1), 7, 30))
    assert send_due_notices() == 4

    assert recipients() == guardians(family)
    message = mail.outbox[0]
    assert message.subject == "Réponse de la vie scolaire aux justifications de Emma Roche"
    assert "absence de 08:00 à 08:55 (Mathématiques) : justification acceptée." in message.body
    assert "retard de 10 min à 10:00 (Français) : justification refusée." in message.body
    assert "Le bus était à l'heure." in message.body


def test_a_guardian_without_an_address_has_no_email_notice(family, clock, justified, decide):
    Person.objects.filter(pk=family.father.person_id).update(email="")
    clock(at(tuesday(family), 10))

    decide(justified, accept=False, comment="Non.")

    assert recipients() == [family.mother.person.email]
    assert AbsenceNotice.objects.filter(decision__isnull=False).count() == 1


def test_a_correction_is_not_announced_as_a_decision(family, clock, justified):
    clock(at(tuesday(family), 10))
    corrected = services.absence_update(
        actor=family.cpe,
        absence=justified,
        expected_version=None,
        state=AbsenceState.ACCEPTED,
    )

    assert create_decision_notices([corrected.pk]) == []
    assert mail.outbox == []


def test_a_decision_voided_before_its_notice_falls_due_is_not_sent(
    family, clock, justified, decide
):
    day = tuesday(family)
    clock(at(day, 21))
    decided = decide(justified, accept=False, comment="Non.")
    services.absence_void(actor=family.cpe, absence=decided, expected_version=None)

    clock(at(day + timedelta(days=1), 7, 30))

    assert send_due_notices() == 0
    assert mail.outbox == []


@transaction.atomic
def decide_then_fail(family, absence):
    decided = services.absence_decide(
        actor=family.cpe, absence=absence, expected_version=None, accept=False, staff_comment="?"
    )
    notices.schedule_decision(decided)
    raise RuntimeError("something failed after the decision")


def test_a_decision_rolled_back_notifies_nobody(
    family, clock, justified, django_capture_on_commit_callbacks
):
    clock(at(tuesday(family), 10))

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        decide_then_fail(family, justified)

    assert Absence.objects.get(pk=justified.pk).state == AbsenceState.PENDING
    assert not AbsenceNotice.objects.filter(decision__isnull=False).exists()
    assert mail.outbox == []


def test_notices_of_many_decisions_are_created_in_a_few_queries(
    family, clock, django_assert_max_num_queries
):
    clock(at(tuesday(family), 10))
    decided = []
    for week in range(1, 7):
        absence = family.absence(
            family.emma, family.session(family.monday - timedelta(days=7 * week), 8, family.maths)
        )
        decided.append(
            services.absence_decide(
                actor=None,
                absence=absence,
                expected_version=None,
                accept=True,
                reason=family.reasons["MAL"],
            )
        )

    # The absences, their decisions, the policy, the guardians; one insert (and its
    # savepoint), whatever the number of decisions.
    with django_assert_max_num_queries(7):
        create_decision_notices([a.pk for a in decided])

    assert AbsenceNotice.objects.filter(decision__isnull=False).count() == 2 * len(decided)
