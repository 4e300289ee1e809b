"""The messagerie in a browser, on the demo's messages: `parent` opens her inbox (the
unread conversations stand out), reads the head teacher's answer and replies (to the
participants, as the page says), on a desktop and on a phone; `direction` writes an
information with a read receipt to the guardians of Emma's division, adding a person
found with the search, follows its receipts and reminds those who have not read it,
and opens the messaging settings and the emergency switch's confirmation. Every page
is checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.support import DESKTOP, PHONE, is_phone

MEETING = re.compile(r"Rendez-vous au sujet d'Emma \((\w+)\)")


def open_messaging(page, axe_check):
    primary = page.get_by_role("navigation", name="Navigation principale")
    if is_phone(page.viewport_size):
        primary.get_by_role("button", name="Menu").click()
    with page.expect_navigation():
        primary.get_by_role("link", name="Messagerie").click()
    axe_check(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_parent_reads_a_message_and_replies(open_page, log_in, axe_check, viewport):
    from preau.accounts.models import Account
    from preau.messaging.models import Message, Recipient

    page = open_page(viewport)
    log_in(page, "parent")
    # The menu says how many messages are unread (loaded after the page).
    badge = page.locator(".primary-nav .nav-count")
    expect(badge).to_have_attribute("aria-label", re.compile(r"^\d+ messages? non lus?$"))
    open_messaging(page, axe_check)

    expect(page.get_by_role("heading", level=1)).to_have_text("Messages reçus")
    row = page.locator(".msg-row", has=page.get_by_role("link", name=MEETING))
    expect(row).to_have_class(re.compile("msg-row--unread"))
    expect(row).to_contain_text("1 non lu")
    expect(row).to_contain_text("Élève : Emma")
    lucas = page.locator(".msg-row", has_text="Retards de Lucas")
    expect(lucas).to_contain_text("Élève : Lucas")
    if is_phone(viewport):
        # Nothing wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    with page.expect_navigation():
        row.get_by_role("link", name=MEETING).click()
    axe_check(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(MEETING)
    expect(page.locator("article.msg")).to_have_count(2)
    expect(page.locator("article.msg").last).to_contain_text("jeudi à 12 h 15")
    expect(page.locator(".msg-reply__to")).to_contain_text("tous les participants")
    area = page.get_by_label("Votre réponse")
    area.fill("Merci, jeudi me convient.\n\nÀ ")
    page.get_by_role("group", name="Mise en forme du message").get_by_role(
        "button", name="Gras"
    ).click()
    expect(area).to_have_value("Merci, jeudi me convient.\n\nÀ **gras**")
    area.fill("Merci, jeudi me convient.\n\nÀ **jeudi**.")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la réponse").click()
    axe_check(page)

    expect(page.locator(".messages")).to_contain_text("Réponse envoyée à 1 personne.")
    expect(page.locator("article.msg")).to_have_count(3)
    parent = Account.objects.get(login="parent").person
    reply = Message.objects.filter(sender=parent).latest("created_at")
    assert reply.body == "<p>Merci, jeudi me convient.</p>\n<p>À <strong>jeudi</strong>.</p>"
    head = reply.in_reply_to.sender_id
    assert list(Recipient.objects.filter(message=reply).values_list("person_id", flat=True)) == [
        head
    ]

    # Back in the inbox, the conversation is read.
    open_messaging(page, axe_check)
    row = page.locator(".msg-row", has=page.get_by_role("link", name=MEETING))
    expect(row).not_to_have_class(re.compile("msg-row--unread"))


def test_the_direction_sends_an_information_with_read_receipt_to_a_division(
    page, log_in, axe_check, check_links
):
    from preau.accounts.models import Account
    from preau.messaging.models import Message, Recipient
    from preau.structure.models import Enrolment

    log_in(page, "direction")
    emma = Account.objects.get(login="eleve").person
    division = Enrolment.objects.filter(pupil=emma).latest("start_date").division
    page.goto("/messagerie/ecrire/")
    axe_check(page)

    page.get_by_label("Objet").fill(f"Sortie de fin d'année des {division.name}")
    page.locator("#id_body").fill(
        "Madame, Monsieur,\n\nLa sortie aura lieu le **vendredi 12 juin**.\n- départ 8 h\n"
        "- retour 17 h"
    )
    # A person found by name, then the guardians of the division.
    page.get_by_label("Chercher une personne par son nom").fill("Klein")
    cpe = page.locator("#people-results").get_by_label(re.compile("^KLEIN Isabelle"))
    expect(cpe).to_be_visible()
    axe_check(page)
    cpe.check()
    page.locator("summary", has_text="Responsables des élèves").click()
    page.get_by_label(f"Responsables des élèves de {division.name}", exact=True).check()
    page.get_by_label("Information : les réponses vont à vous seul").check()
    page.get_by_label("Demander un accusé de lecture").check()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer", exact=True).click()
    axe_check(page)

    message = Message.objects.latest("pk")
    guardians = message.recipient_count - 1  # and the CPE
    assert message.kind == "information"
    assert message.read_receipt
    assert Recipient.objects.filter(message=message, person__last_name="Klein").exists()
    expect(page.locator(".messages")).to_contain_text(
        f"Message envoyé à {message.recipient_count} destinataires."
    )
    expect(page.locator(".msg__body li")).to_have_count(2)
    assert guardians > 5
    check_links(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Accusés de lecture").click()
    axe_check(page)
    expect(page.locator(".figure").first).to_contain_text("0")
    expect(page.locator("#recipients-caption")).to_be_attached()
    with page.expect_navigation():
        page.get_by_role("button", name="Relancer").click()
    axe_check(page)
    expect(page.locator(".messages")).to_contain_text(
        f"{message.recipient_count} destinataires qui n'ont pas lu le message sont relancés."
    )

    with page.expect_navigation():
        page.get_by_role("link", name="Messages envoyés").first.click()
    axe_check(page)
    expect(page.locator(".msg-row").first).to_contain_text(
        f"Lu par 0 sur {message.recipient_count}"
    )


def test_the_direction_opens_the_settings_and_the_emergency_switch(page, log_in, axe_check):
    from preau.messaging.models import MessagingPolicy

    log_in(page, "direction")
    page.goto("/messagerie/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Réglages de la messagerie").click()
    axe_check(page)
    expect(page.get_by_role("table")).to_contain_text("Responsables")

    with page.expect_navigation():
        page.get_by_role("link", name="Activer le mode urgence…").click()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer : activer le mode urgence").click()
    axe_check(page)
    expect(page.locator(".messages")).to_contain_text("Mode urgence activé")
    assert MessagingPolicy.objects.get(establishment__uai="0579876A").emergency_staff_only

    page.get_by_label(re.compile("^Les élèves écrivent aux élèves de leur classe")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les règles").click()
    axe_check(page)
    assert MessagingPolicy.objects.get(establishment__uai="0579876A").pupils_to_pupils
