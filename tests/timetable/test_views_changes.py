"""One session's page, and the changes the direction, the secretariat and the CPE make
to sessions during the year (timetable.md, "Changes during the year"): each through its
form and its service, shown at once, refused to anybody else."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from preau.audit.models import AuditEvent
from preau.core.models import RoleKind
from preau.timetable.importers.edt import parse_edt
from preau.timetable.models import Occurrence, OccurrenceStatus
from preau.timetable.services import timetable_import
from tests.conftest import log_in
from tests.factories import staff_account
from tests.timetable.views_support import School, edt_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def page(occurrence) -> str:
    return reverse("timetable:occurrence", args=[occurrence.pk])


def change(occurrence, action: str) -> str:
    return reverse("timetable:change", args=[occurrence.pk, action])


# -- Who may open a session ------------------------------------------------------------------


def test_a_pupil_opens_her_session_without_its_provenance(client, school):
    log_in(client, school.emma.account)

    response = client.get(page(school.physics_g1))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Physique-chimie" in content
    assert "Labo" in content
    assert "4B G1" in content
    assert "Provenance" not in content
    assert "Modifier la séance" not in content


def test_the_session_page_leads_back_to_the_timetable_it_was_opened_from(client, school):
    log_in(client, school.cpe)
    division_week = school.week(reverse("timetable:division", args=[school.b4.pk]))

    from_division = client.get(
        page(school.french_4b), headers={"referer": f"http://testserver{division_week}"}
    )
    from_elsewhere = client.get(
        page(school.french_4b), headers={"referer": "https://ailleurs.example/emploi-du-temps/"}
    )

    assert from_division.context["back_url"] == division_week
    home = reverse("timetable:home")
    assert from_elsewhere.context["back_url"] == f"{home}?semaine={school.french_4b.date}"


def test_a_session_of_somebody_else_answers_404(client, school):
    log_in(client, school.emma.account)
    assert client.get(page(school.biology_g2)).status_code == 404
    assert client.get(page(school.maths_4a)).status_code == 404


def test_a_guardian_opens_the_sessions_of_her_children_only(client, school):
    log_in(client, school.parent)

    assert client.get(page(school.physics_g1)).status_code == 200
    assert client.get(page(school.biology_g2)).status_code == 404


def test_a_teacher_opens_her_sessions_and_those_of_her_pupils_only(client, school):
    log_in(client, school.teacher)

    assert client.get(page(school.maths_4a)).status_code == 200
    # Emma is her Latin pupil: her physics session concerns a pupil she teaches.
    assert client.get(page(school.physics_g1)).status_code == 200
    # 4B G2: nobody she teaches.
    assert client.get(page(school.biology_g2)).status_code == 404
    response = client.get(page(school.maths_4a))
    assert "Provenance" in response.content.decode()
    assert "Modifier la séance" not in response.content.decode()


def test_staff_of_another_establishment_get_404(client, school):
    stranger = staff_account(school.lycee_division.establishment, RoleKind.DIRECTION)
    log_in(client, stranger)
    assert client.get(page(school.french_4b)).status_code == 404


def test_staff_see_where_an_imported_session_comes_from(client, school):
    content = edt_export(
        uai=school.establishment.uai,
        first_day=school.year.start_date,
        last_day=school.year.end_date,
        division="4B",
        teacher=(school.other_teacher.person.last_name, school.other_teacher.person.first_name),
    )
    timetable_import(
        actor=None,
        source=parse_edt(content, file_name="export-edt.xml"),
        file_name="export-edt.xml",
        content=content,
    )
    imported = Occurrence.objects.filter(course__isnull=False).order_by("date").first()
    log_in(client, school.direction)

    response = client.get(page(imported))

    text = response.content.decode()
    assert "Provenance" in text
    assert "export-edt.xml" in text
    assert "version 1" in text
    assert "lundi, 08:00 – 08:55" in text
    assert "place 1 (1 place)" in text
    first_monday = school.year.start_date - timedelta(days=school.year.start_date.weekday())
    weeks = (school.year.end_date - first_monday).days // 7 + 1
    assert f"<td>1–{weeks}</td>" in text
    assert reverse("timetable:import", args=[imported.course.version.import_run.pk]) in text


# -- Changes by the vie scolaire ----------------------------------------------------------------


def test_the_cpe_cancels_a_session_and_sees_it_at_once(client, school):
    log_in(client, school.cpe)

    response = client.post(
        change(school.french_4b, "annuler"), {"annuler-note": "Sortie pédagogique"}, follow=True
    )

    school.french_4b.refresh_from_db()
    assert school.french_4b.status == OccurrenceStatus.CANCELLED
    assert school.french_4b.note == "Sortie pédagogique"
    content = response.content.decode()
    assert "La séance est annulée." in content
    assert ">Annulé</span>" in content
    assert "Rétablir la séance" in content
    assert AuditEvent.objects.filter(action="occurrence.cancelled").exists()


def test_the_cpe_marks_the_teacher_absent_then_puts_the_session_back(client, school):
    log_in(client, school.cpe)

    client.post(change(school.french_4b, "absent"), {"absent-note": ""})
    school.french_4b.refresh_from_db()
    assert school.french_4b.status == OccurrenceStatus.TEACHER_ABSENT
    response = client.get(page(school.french_4b))
    assert ">Prof. absent</span>" in response.content.decode()

    client.post(change(school.french_4b, "retablir"), {"retablir-note": ""})
    school.french_4b.refresh_from_db()
    assert school.french_4b.status == OccurrenceStatus.SCHEDULED


def test_a_room_change_is_not_a_cancellation(client, school):
    log_in(client, school.direction)

    response = client.post(
        change(school.french_4b, "salle"), {"salle-rooms": [school.lab.pk]}, follow=True
    )

    school.french_4b.refresh_from_db()
    assert school.french_4b.status == OccurrenceStatus.ROOM_CHANGED
    assert [room.name for room in school.french_4b.rooms.all()] == ["Labo"]
    assert ">Changement de salle</span>" in response.content.decode()


def test_a_moved_session_links_to_its_new_time_and_back(client, school):
    log_in(client, school.cpe)
    thursday = school.monday + timedelta(days=3)

    response = client.post(
        change(school.french_4b, "deplacer"),
        {
            "deplacer-date": thursday.isoformat(),
            "deplacer-start": "15:00",
            "deplacer-end": "15:55",
            "deplacer-rooms": [school.r101.pk],
            "deplacer-note": "",
        },
        follow=True,
    )

    school.french_4b.refresh_from_db()
    moved = school.french_4b.successors.get()
    assert school.french_4b.status == OccurrenceStatus.MOVED
    assert moved.date == thursday
    assert [room.name for room in moved.rooms.all()] == ["R101"]
    assert response.redirect_chain[-1][0] == page(moved)
    content = response.content.decode()
    assert ">Nouvel horaire</span>" in content
    assert page(school.french_4b) in content
    original = client.get(page(school.french_4b)).content.decode()
    assert ">Déplacé</span>" in original
    assert page(moved) in original
    # Emma sees both: where the session went, and the new one.
    client.logout()
    log_in(client, school.emma.account)
    week = client.get(school.week(reverse("timetable:home"))).content.decode()
    assert "reporté au jeudi" in week
    assert "au lieu du mardi" in week


def test_a_replacement_names_the_replacing_teacher(client, school):
    log_in(client, school.cpe)

    response = client.post(
        change(school.french_4b, "remplacer"),
        {"remplacer-teachers": [school.teacher.person_id]},
        follow=True,
    )

    replacing = school.french_4b.successors.get()
    assert list(replacing.teachers.all()) == [school.teacher.person]
    assert ">Remplacement</span>" in response.content.decode()
    original = client.get(page(school.french_4b)).content.decode()
    assert ">Remplacé</span>" in original
    assert "Remplacée par" in original
    assert school.teacher.person.formal_name in original
    # A replaced session takes no more changes: they go to the replacing one.
    assert "Annuler la séance" not in original


def test_form_errors_are_shown_in_french_next_to_the_field(client, school):
    log_in(client, school.cpe)

    response = client.post(
        change(school.french_4b, "deplacer"),
        {"deplacer-date": "", "deplacer-start": "10:00", "deplacer-end": "09:00"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_deplacer-date_error"' in content
    assert "Ce champ est obligatoire." in content
    assert "La fin doit être après le début." in content
    assert 'aria-describedby="id_deplacer-end_error"' in content or "aria-invalid" in content
    school.french_4b.refresh_from_db()
    assert school.french_4b.status == OccurrenceStatus.SCHEDULED


def test_a_move_outside_the_school_year_is_refused(client, school):
    log_in(client, school.cpe)
    outside = school.year.end_date + timedelta(days=10)

    response = client.post(
        change(school.french_4b, "deplacer"),
        {
            "deplacer-date": outside.isoformat(),
            "deplacer-start": "10:00",
            "deplacer-end": "11:00",
        },
    )

    assert "n'est pas dans l'année scolaire" in html.unescape(response.content.decode())
    assert not school.french_4b.successors.exists()


def test_changes_are_refused_to_a_teacher_and_to_families(client, school):
    for account in (school.teacher, school.parent, school.emma.account):
        client.logout()
        log_in(client, account)
        response = client.post(change(school.french_4b, "annuler"), {"annuler-note": ""})
        assert response.status_code == 404
        add = client.get(reverse("timetable:occurrence_new"))
        assert add.status_code == 404
    school.french_4b.refresh_from_db()
    assert school.french_4b.status == OccurrenceStatus.SCHEDULED


def test_an_education_assistant_sees_but_does_not_change(client, school):
    aed = staff_account(school.establishment, RoleKind.EDUCATION_ASSISTANT)
    log_in(client, aed)

    assert client.get(page(school.french_4b)).status_code == 200
    assert "Modifier la séance" not in client.get(page(school.french_4b)).content.decode()
    assert client.post(change(school.french_4b, "annuler"), {}).status_code == 404


def test_a_change_needs_a_post_and_a_known_action(client, school):
    log_in(client, school.cpe)
    assert client.get(change(school.french_4b, "annuler")).status_code == 405
    assert client.post(change(school.french_4b, "supprimer"), {}).status_code == 404


def test_changes_need_the_csrf_token(school):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(school.cpe)
    response = client.post(change(school.french_4b, "annuler"), {"annuler-note": ""})
    assert response.status_code == 403


# -- Exceptional sessions -----------------------------------------------------------------------


def test_the_cpe_adds_an_exceptional_session_for_a_division(client, school):
    log_in(client, school.cpe)
    friday = school.monday + timedelta(days=4)

    form = client.get(reverse("timetable:occurrence_new"), {"classe": school.b4.pk})
    assert form.status_code == 200
    response = client.post(
        reverse("timetable:occurrence_new"),
        {
            "date": friday.isoformat(),
            "start": "13:00",
            "end": "15:00",
            "label": "Devoir commun",
            "divisions": [school.b4.pk],
            "rooms": [school.r101.pk],
            "note": "",
        },
        follow=True,
    )

    added = Occurrence.objects.get(label="Devoir commun")
    assert added.status == OccurrenceStatus.EXCEPTIONAL
    assert response.redirect_chain[-1][0] == page(added)
    client.logout()
    log_in(client, school.emma.account)
    week = client.get(school.week(reverse("timetable:home"))).content.decode()
    assert "Devoir commun" in week
    assert ">Exceptionnel</span>" in week


def test_an_exceptional_session_needs_a_name_and_someone(client, school):
    log_in(client, school.direction)

    response = client.post(
        reverse("timetable:occurrence_new"),
        {"date": school.monday.isoformat(), "start": "13:00", "end": "12:00"},
    )

    content = response.content.decode()
    assert "Donnez une matière ou un intitulé." in content
    assert "Choisissez au moins une classe, un groupe ou un enseignant." in content
    assert "La fin doit être après le début." in content
    assert not Occurrence.objects.filter(status=OccurrenceStatus.EXCEPTIONAL).exists()
