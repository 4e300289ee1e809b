"""The cahier de textes pages: what each reader sees, what they may do, and the 404
for everybody else."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from preau.homework import services
from preau.homework.models import Homework, HomeworkDone, HomeworkPolicy, SessionContent, Visa
from tests.conftest import log_in
from tests.homework.support import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def as_(client, account):
    client.logout()
    log_in(client, account)
    return client


def url(name, *args):
    return reverse(f"homework:{name}", args=args)


# -- Travail à faire -------------------------------------------------------------------------


def test_the_pupil_sees_her_homework_with_time_files_and_a_tick(client, school):
    homework = school.give(
        estimated_minutes=25, instructions="<p>Exercices <strong>12</strong> et 14</p>"
    )
    attachment = school.attach(homework, name="fiche.pdf")
    school.give(occurrence=school.other_session, due_date=school.day + timedelta(days=2))
    page = as_(client, school.emma.account).get(url("todo")).content.decode()
    assert "Exercices <strong>12</strong> et 14" in page
    assert "environ 25 minutes" in page
    assert url("attachment", attachment.pk) in page
    assert "fiche.pdf" in page
    assert f'id="fait-{homework.pk}"' in page
    assert page.count('class="hw-item ') == 1  # not the 4C homework


def test_a_guardian_sees_the_same_without_ticking_but_with_the_pupils_tick(client, school):
    homework = school.give()
    HomeworkDone.objects.create(homework=homework, pupil=school.emma)
    page = as_(client, school.mother).get(url("todo")).content.decode()
    assert "Exercices 1 à 3 page 45" in page
    assert "fait-" not in page
    assert "hw-badge--done" in page
    assert "Emma" in page


def test_a_contact_sees_homework_unless_the_establishment_turned_it_off(client, school):
    school.give()
    assert "Exercices 1 à 3" in as_(client, school.grandmother).get(url("todo")).content.decode()
    HomeworkPolicy.objects.create(establishment=school.establishment, contacts_see_homework=False)
    response = client.get(url("todo"))
    assert response.status_code == 200
    assert "Exercices 1 à 3" not in response.content.decode()
    assert "qu'aux responsables légaux" in response.content.decode()
    assert "Exercices 1 à 3" in as_(client, school.mother).get(url("todo")).content.decode()


def test_withdrawn_and_far_homework_is_not_listed_and_the_past_week_is_folded(client, school):
    kept = school.give()
    services.homework_withdraw(actor=school.teacher, homework_id=school.give().pk)
    past_session = school.occurrence(school.day - timedelta(days=5))
    school.give(
        occurrence=past_session,
        due_date=school.day - timedelta(days=2),
        instructions="<p>Lecture ancienne</p>",
    )
    school.give(due_date=school.day + timedelta(days=40), instructions="<p>Très loin</p>")
    page = as_(client, school.emma.account).get(url("todo")).content.decode()
    assert page.count('class="hw-item ') == 2
    assert f'id="travail-{kept.pk}"' in page
    assert "Très loin" not in page
    folded = page.split('<details class="hw-past">')[1]
    assert "Lecture ancienne" in folded


def test_the_subject_filter(client, school):
    french = school.occurrence(school.day, hour=10, subject=school.french)
    school.give()
    school.give(occurrence=french, due_date=school.day + timedelta(days=1))
    page = as_(client, school.emma.account).get(url("todo"), {"matiere": school.french.pk})
    assert page.content.decode().count('class="hw-item ') == 1
    assert "Français" in page.content.decode()


@pytest.mark.parametrize("who", ["teacher", "direction", "cpe"])
def test_staff_spaces_have_no_todo_page(client, school, who):
    assert as_(client, getattr(school, who)).get(url("todo")).status_code == 404


# -- "Fait" -----------------------------------------------------------------------------------


def test_the_tick_with_htmx_comes_back_checked(client, school):
    homework = school.give()
    as_(client, school.emma.account)
    response = client.post(url("done", homework.pk), {"fait": "on"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "checked" in response.content.decode()
    assert "Travail marqué comme fait." in response.content.decode()
    assert HomeworkDone.objects.filter(homework=homework, pupil=school.emma).exists()
    response = client.post(url("done", homework.pk), {})
    assert response.status_code == 302
    assert not HomeworkDone.objects.exists()


@pytest.mark.parametrize("who", ["mother", "zoe", "teacher"])
def test_nobody_else_ticks(client, school, who):
    homework = school.give()
    account = school.zoe.account if who == "zoe" else getattr(school, who)
    assert as_(client, account).post(url("done", homework.pk), {"fait": "on"}).status_code == 404
    assert not HomeworkDone.objects.exists()


def test_ticking_is_a_post(client, school):
    homework = school.give()
    assert as_(client, school.emma.account).get(url("done", homework.pk)).status_code == 405


# -- Contenu des séances ------------------------------------------------------------------------


def test_families_read_the_contents_of_the_week(client, school):
    services.content_set(
        actor=school.teacher, occurrence_id=school.session.pk, body="<p>Les fractions</p>"
    )
    school.give()
    week = {"semaine": school.day.isoformat()}
    page = as_(client, school.mother).get(url("content"), week).content.decode()
    assert "Les fractions" in page
    assert "Travail donné" in page
    assert "Exercices 1 à 3" in page
    other = as_(client, school.zoe.account).get(url("content"), week).content.decode()
    assert "Les fractions" not in other


def test_the_week_navigation(client, school):
    session = school.occurrence(school.day + timedelta(days=21))
    services.content_set(actor=school.teacher, occurrence_id=session.pk, body="<p>Plus tard</p>")
    as_(client, school.emma.account)
    assert "Plus tard" not in client.get(url("content")).content.decode()
    page = client.get(url("content"), {"semaine": session.date.isoformat()}).content.decode()
    assert "Plus tard" in page


def test_a_teacher_sees_the_state_of_each_session_of_the_week(client, school):
    services.content_set(actor=school.teacher, occurrence_id=school.session.pk, body="<p>Fait</p>")
    school.give()
    page = as_(client, school.teacher).get(url("content"), {"semaine": school.day.isoformat()})
    text = page.content.decode()
    assert url("session", school.session.pk) in text
    assert "contenu saisi" in text
    assert "1 travail donné" in text


@pytest.mark.parametrize("who", ["cpe", "direction"])
def test_the_content_page_is_not_for_staff_who_do_not_teach(client, school, who):
    assert as_(client, getattr(school, who)).get(url("content")).status_code == 404


# -- One session ------------------------------------------------------------------------------


def test_the_teacher_writes_the_content(client, school):
    as_(client, school.teacher)
    response = client.post(
        url("session", school.session.pk),
        {"form": "content", "body": "Les fractions\n\n- addition\n- soustraction", "version": 0},
    )
    assert response.status_code == 302
    assert SessionContent.objects.get().body == (
        "<p>Les fractions</p><ul><li>addition</li><li>soustraction</li></ul>"
    )
    page = client.get(url("session", school.session.pk)).content.decode()
    assert "- addition\n- soustraction" in page


def test_a_stale_content_shows_the_colleagues_text_and_keeps_mine(client, school):
    services.content_set(
        actor=school.teacher, occurrence_id=school.session.pk, body="<p>Le sien</p>"
    )
    response = as_(client, school.teacher).post(
        url("session", school.session.pk), {"form": "content", "body": "Le mien", "version": 0}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Un autre enseignant a enregistré" in page
    assert "<p>Le sien</p>" in page
    assert "Le mien</textarea>" in page
    assert 'name="version" value="1"' in page
    assert SessionContent.objects.get().body == "<p>Le sien</p>"


def test_the_teacher_gives_homework_for_a_proposed_session_with_a_file(client, school):
    as_(client, school.teacher)
    page = client.get(url("session", school.session.pk)).content.decode()
    assert f'value="{school.next_session.pk}"' in page
    assert f'value="{school.later_session.pk}"' in page
    response = client.post(
        url("session", school.session.pk),
        {
            "form": "homework",
            "travail-instructions": "Exercice 5",
            "travail-kind": "task",
            "travail-due_choice": str(school.later_session.pk),
            "travail-estimated_minutes": "20",
            "travail-file": SimpleUploadedFile("fiche.pdf", b"%PDF"),
        },
    )
    assert response.status_code == 302
    homework = Homework.objects.get()
    assert (homework.due_date, homework.due_occurrence, homework.estimated_minutes) == (
        school.later_session.date,
        school.later_session,
        20,
    )
    assert homework.attachments.get().name == "fiche.pdf"


def test_another_date_must_be_given_when_chosen(client, school):
    response = as_(client, school.teacher).post(
        url("session", school.session.pk),
        {
            "form": "homework",
            "travail-instructions": "Exercice 5",
            "travail-kind": "task",
            "travail-due_choice": "date",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Indiquez la date pour laquelle le travail est à faire." in page
    assert 'aria-invalid="true"' in page
    assert not Homework.objects.exists()


def test_the_workload_of_the_audience_on_the_chosen_day(client, school):
    school.give(estimated_minutes=40)
    other = school.occurrence(school.day, hour=14, subject=school.french)
    school.give(occurrence=other, due_occurrence_id=school.next_session.pk, estimated_minutes=60)
    response = as_(client, school.teacher).get(
        url("session_workload", school.session.pk),
        {"travail-due_choice": str(school.next_session.pk)},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert "jusqu'à 2 travaux par élève" in text
    assert "100 min estimées" in text
    assert "plus que le repère de l'établissement (90 min par jour)" in text


def test_a_colleague_of_the_service_and_the_vie_scolaire_read_without_writing(client, school):
    services.content_set(actor=school.teacher, occurrence_id=school.session.pk, body="<p>Lu</p>")
    for account in (school.colleague, school.cpe, school.direction):
        page = as_(client, account).get(url("session", school.session.pk))
        assert page.status_code == 200
        assert "<p>Lu</p>" in page.content.decode()
        assert 'name="form"' not in page.content.decode()
    response = as_(client, school.colleague).post(
        url("session", school.session.pk), {"form": "content", "body": "x", "version": 1}
    )
    assert response.status_code == 404
    assert SessionContent.objects.get().body == "<p>Lu</p>"


@pytest.mark.parametrize("who", ["stranger", "elsewhere", "mother"])
def test_a_session_page_for_nobody_else(client, school, who):
    assert (
        as_(client, getattr(school, who)).get(url("session", school.session.pk)).status_code == 404
    )
    assert client.get(url("session", 999_999)).status_code == 404


def test_edit_withdraw_and_copy(client, school):
    homework = school.give()
    as_(client, school.teacher)
    page = client.get(url("edit", homework.pk)).content.decode()
    assert "Exercices 1 à 3 page 45</textarea>" in page
    response = client.post(
        url("edit", homework.pk),
        {
            "travail-instructions": "Exercices 1 à 5",
            "travail-kind": "lesson",
            "travail-due_choice": "date",
            "travail-due_date": (school.day + timedelta(days=4)).isoformat(),
            "travail-version": "1",
        },
    )
    assert response.status_code == 302
    homework.refresh_from_db()
    assert (homework.instructions, homework.kind, homework.due_occurrence) == (
        "<p>Exercices 1 à 5</p>",
        "lesson",
        None,
    )
    stale = client.post(
        url("edit", homework.pk),
        {
            "travail-instructions": "Ancienne",
            "travail-kind": "task",
            "travail-due_choice": "date",
            "travail-due_date": school.day.isoformat(),
            "travail-version": "1",
        },
    )
    assert stale.status_code == 400
    assert "modifié par un autre enseignant" in stale.content.decode()
    response = client.post(url("copy", homework.pk), {"copie-target": school.other_session.pk})
    assert response.status_code == 302
    copy = Homework.objects.get(copied_from=homework)
    assert copy.occurrence == school.other_session
    assert client.post(url("withdraw", homework.pk)).status_code == 302
    homework.refresh_from_db()
    assert homework.withdrawn_at is not None
    assert client.get(url("edit", homework.pk)).status_code == 404


def test_copy_only_to_ones_own_sessions(client, school):
    homework = school.give()
    theirs = school.occurrence(school.day + timedelta(days=1), teachers=[school.colleague.person])
    as_(client, school.teacher).post(url("copy", homework.pk), {"copie-target": theirs.pk})
    assert not Homework.objects.filter(copied_from=homework).exists()


def test_the_direction_withdraws_a_colleague_does_not(client, school):
    first, second = school.give(), school.give()
    assert as_(client, school.colleague).post(url("withdraw", first.pk)).status_code == 404
    assert as_(client, school.elsewhere).post(url("withdraw", first.pk)).status_code == 404
    assert as_(client, school.direction).post(url("withdraw", second.pk)).status_code == 302
    assert list(Homework.objects.filter(withdrawn_at__isnull=False)) == [second]


# -- Attachments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("emma", 200),
        ("mother", 200),
        ("grandmother", 200),
        ("teacher", 200),
        ("colleague", 200),
        ("cpe", 200),
        ("direction", 200),
        ("zoe", 404),
        ("zoe_mother", 404),
        ("stranger", 404),
        ("elsewhere", 404),
    ],
)
def test_an_attachment_is_served_only_to_who_sees_it(client, school, who, status):
    attachment = school.attach(school.give(), name="fiche n°1.pdf", data=b"%PDF-1.4 bonjour")
    account = getattr(school, who)
    account = getattr(account, "account", account)
    response = as_(client, account).get(url("attachment", attachment.pk))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == b"%PDF-1.4 bonjour"
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_an_attachment_is_hidden_once_withdrawn_or_when_contacts_may_not_see(client, school):
    homework = school.give()
    attachment = school.attach(homework)
    HomeworkPolicy.objects.create(establishment=school.establishment, contacts_see_homework=False)
    assert as_(client, school.grandmother).get(url("attachment", attachment.pk)).status_code == 404
    services.homework_withdraw(actor=school.teacher, homework_id=homework.pk)
    assert as_(client, school.emma.account).get(url("attachment", attachment.pk)).status_code == 404
    assert as_(client, school.teacher).get(url("attachment", attachment.pk)).status_code == 200
    client.logout()
    assert client.get(url("attachment", attachment.pk)).status_code == 302


def test_a_content_attachment_added_from_the_session_page(client, school):
    as_(client, school.teacher)
    response = client.post(
        url("session", school.session.pk),
        {"form": "attachment", "contenu-file": SimpleUploadedFile("cours.pdf", b"cours")},
    )
    assert response.status_code == 302
    attachment = SessionContent.objects.get().attachments.get()
    assert as_(client, school.emma.account).get(url("attachment", attachment.pk)).status_code == 200
    assert as_(client, school.zoe.account).get(url("attachment", attachment.pk)).status_code == 404


def test_an_attachment_over_the_limit_is_refused_on_the_page(client, school):
    HomeworkPolicy.objects.create(establishment=school.establishment, attachment_max_mb=1)
    response = as_(client, school.teacher).post(
        url("session", school.session.pk),
        {"form": "attachment", "contenu-file": SimpleUploadedFile("gros.pdf", b"x" * 1_100_000)},
    )
    assert response.status_code == 400
    assert "dépasse la taille permise (1 Mo)" in response.content.decode()


# -- Charge de travail ------------------------------------------------------------------------


def test_the_workload_flags_a_heavy_day(client, school):
    for _ in range(4):
        school.give(estimated_minutes=30)
    page = as_(client, school.teacher).get(
        url("workload"), {"division": school.division.pk, "semaine": school.next_session.date}
    )
    text = page.content.decode()
    assert "4 travaux au plus par élève" in text
    assert "120 min estimées au plus" in text
    assert "Charge élevée : plus de 3 travaux, plus de 90 min" in text
    assert "4C" in text  # the teacher's other division is in the chooser


def test_the_workload_of_a_division_one_does_not_teach_is_404(client, school):
    as_(client, school.stranger)
    assert "Aucune classe" in client.get(url("workload")).content.decode()
    assert client.get(url("workload"), {"division": school.division.pk}).status_code == 404
    assert as_(client, school.cpe).get(url("workload")).status_code == 404
    assert (
        as_(client, school.direction)
        .get(url("workload"), {"division": school.other_division.pk})
        .status_code
        == 200
    )


# -- Visa and settings ------------------------------------------------------------------------


def test_the_review_lists_services_with_and_without_content(client, school):
    past = school.occurrence(school.day - timedelta(days=3))
    services.content_set(actor=school.teacher, occurrence_id=past.pk, body="<p>Vu</p>")
    school.give(occurrence=past, due_date=school.day)
    page = as_(client, school.direction).get(url("review")).content.decode()
    row = page.split(url("review_service", school.service.pk))[1].split("</tr>")[0]
    # Two sessions held up to today (three days ago and today), one with content.
    assert [cell.split("<")[0] for cell in row.split("<td>")[2:4]] == ["2", "1"]
    assert "aucun" in row


def test_the_direction_puts_a_visa(client, school):
    as_(client, school.direction)
    response = client.post(
        url("review_service", school.service.pk),
        {"up_to": school.day.isoformat(), "comment": "Tenu avec soin."},
    )
    assert response.status_code == 302
    visa = Visa.objects.get()
    assert (visa.service, visa.comment, visa.person_id) == (
        school.service,
        "Tenu avec soin.",
        school.direction.person_id,
    )
    page = client.get(url("review_service", school.service.pk)).content.decode()
    assert "Tenu avec soin." in page
    listed = client.get(url("review")).content.decode()
    assert f"jusqu'au {school.day:%d/%m/%Y}" in listed


@pytest.mark.parametrize("who", ["teacher", "cpe", "secretariat"])
def test_review_and_settings_are_the_directions(client, school, who):
    as_(client, getattr(school, who))
    assert client.get(url("review")).status_code == 404
    assert client.get(url("review_service", school.service.pk)).status_code == 404
    assert client.get(url("settings")).status_code == 404


def test_another_establishments_direction_reviews_only_its_own(client, school):
    as_(client, school.elsewhere)
    page = client.get(url("review"))
    assert page.status_code == 200
    assert url("review_service", school.service.pk) not in page.content.decode()
    assert client.get(url("review_service", school.service.pk)).status_code == 404
    assert (
        client.post(
            url("review_service", school.service.pk), {"up_to": school.day.isoformat()}
        ).status_code
        == 404
    )
    assert not Visa.objects.exists()


def test_settings(client, school):
    as_(client, school.direction)
    response = client.post(
        url("settings"),
        {"attachment_max_mb": "5", "daily_workload_minutes": "60", "daily_items": "2"},
    )
    assert response.status_code == 302
    policy = HomeworkPolicy.objects.get()
    assert (policy.contacts_see_homework, policy.attachment_max_mb, policy.daily_items) == (
        False,
        5,
        2,
    )
    response = client.post(
        url("settings"),
        {"attachment_max_mb": "0", "daily_workload_minutes": "60", "daily_items": "2"},
    )
    assert response.status_code == 400


def test_a_refused_file_gives_no_homework_either(client, school):
    HomeworkPolicy.objects.create(establishment=school.establishment, attachment_max_mb=1)
    response = as_(client, school.teacher).post(
        url("session", school.session.pk),
        {
            "form": "homework",
            "travail-instructions": "Exercice 5",
            "travail-kind": "task",
            "travail-due_choice": str(school.next_session.pk),
            "travail-file": SimpleUploadedFile("gros.pdf", b"x" * 1_100_000),
        },
    )
    assert response.status_code == 400
    assert "dépasse la taille permise (1 Mo)" in response.content.decode()
    assert not Homework.objects.exists()
    response = client.post(
        url("session", school.session.pk),
        {"form": "attachment", "contenu-file": SimpleUploadedFile("gros.pdf", b"x" * 1_100_000)},
    )
    assert response.status_code == 400
    assert not SessionContent.objects.exists()
