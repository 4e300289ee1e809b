"""The legal follow-up pages: who may open them, what the month's list shows (levels,
figures, steps already made), the list as of a past date, recording a step through the
page, the statistics and the dropout list, and the number of queries, which does not
grow with the pupils."""

import html
from datetime import date, timedelta

import pytest
from django.urls import reverse

from preau.attendance import legal_services, reports
from preau.attendance.models import FollowUp, FollowUpKind
from preau.audit.models import AuditEvent
from tests.attendance.test_legal_support import DAYS, MARCH, LegalSchool
from tests.conftest import log_in
from tests.factories import pupil_in

pytestmark = pytest.mark.django_db

LIST = reverse("attendance:legal")
MARCH_QUERY = "?mois=2026-03"


@pytest.fixture
def school():
    return LegalSchool()


def text(response) -> str:
    return html.unescape(response.content.decode())


def levels_of(response) -> dict[str, list[str]]:
    return {
        group.level: [row.pupil.first_name for row in group.rows]
        for group in response.context["legal"].groups
    }


# -- Who may open the pages -----------------------------------------------------------


def every_url(school) -> list[str]:
    emma = school.emma.pk
    return [
        LIST + MARCH_QUERY,
        reverse("attendance:legal_csv") + MARCH_QUERY,
        reverse("attendance:legal_pdf") + MARCH_QUERY,
        reverse("attendance:legal_letters") + MARCH_QUERY,
        reverse("attendance:legal_letter", args=[emma]) + MARCH_QUERY,
        reverse("attendance:legal_referral", args=[emma]) + MARCH_QUERY,
        reverse("attendance:stats"),
        reverse("attendance:stats_csv"),
        reverse("attendance:dropout"),
    ]


@pytest.mark.parametrize("who", ["cpe", "direction", "aed"])
def test_the_vie_scolaire_and_the_direction_open_every_page(client, school, who):
    log_in(client, getattr(school, who))
    for url in every_url(school):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["teacher", "parent", "secretariat"])
def test_teachers_families_and_the_secretariat_get_404(client, school, who):
    log_in(client, getattr(school, who))
    for url in every_url(school):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("attendance:legal_follow_up"),
        {"pupil": school.emma.pk, "mois": "2026-03", "kind": FollowUpKind.REFERRAL},
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, school):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_cpe_of_another_establishment_sees_nothing_of_its_pupils(client, school):
    log_in(client, school.other_cpe)
    for name in ("attendance:legal_letter", "attendance:legal_referral"):
        response = client.get(reverse(name, args=[school.emma.pk]) + MARCH_QUERY)
        assert response.status_code == 404
    response = client.get(LIST + MARCH_QUERY)
    assert "Roche" not in text(response)


def test_documents_of_a_pupil_of_another_establishment_answer_404(client, school):
    log_in(client, school.cpe)
    for name in ("attendance:legal_letter", "attendance:legal_referral"):
        response = client.get(reverse(name, args=[school.stranger.pk]) + MARCH_QUERY)
        assert response.status_code == 404


def test_the_head_teacher_sees_the_dropout_list_of_their_division_only(client, school):
    log_in(client, school.head_teacher)
    response = client.get(reverse("attendance:dropout") + "?au=2026-03-20")
    assert response.status_code == 200
    assert [row.pupil.first_name for row, _url in response.context["rows"]] == ["Emma"]
    assert "Bernard" not in text(response)  # Hugo is in 4B
    assert client.get(LIST).status_code == 404


# -- The month's list -----------------------------------------------------------------------


def test_the_list_groups_pupils_by_level_with_their_figures(client, school):
    log_in(client, school.cpe)
    response = client.get(LIST + MARCH_QUERY)

    assert levels_of(response) == {
        "heavy": ["Hugo"],
        "referral": ["Emma"],
        "family_alert": ["Léa"],
    }
    (emma,) = response.context["legal"].groups[1].rows
    assert (emma.division.name, emma.figures.half_days) == ("4A", 5)
    assert (emma.figures.unjustified_half_days, emma.figures.lateness) == (4, 2)
    page = text(response)
    assert "Garnier" not in page
    assert "Lambert" not in page
    assert "seuil : 4 demi-journées non justifiées ou plus" in page
    assert "seuil : 10 demi-journées non justifiées ou plus" in page


def test_the_thresholds_are_the_establishments(client, school):
    school.policy.family_alert_threshold = 1
    school.policy.referral_threshold = 2
    school.policy.heavy_threshold = 5
    school.policy.save()
    log_in(client, school.cpe)
    response = client.get(LIST + MARCH_QUERY)
    assert levels_of(response) == {
        "heavy": ["Hugo"],
        "referral": ["Léa", "Emma"],  # 4A, by name
        "family_alert": ["Tom"],
    }


def test_the_list_shows_the_steps_already_made_with_date_and_author(client, school):
    legal_services.follow_up_record(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        month=MARCH,
        kind=FollowUpKind.FAMILY_LETTER,
        note="Courrier remis en main propre",
    )
    log_in(client, school.direction)
    response = client.get(LIST + MARCH_QUERY)
    page = text(response)
    assert "Courrier à la famille" in page
    assert school.cpe.person.display_name in page
    assert "Courrier remis en main propre" in page


def test_the_default_month_is_the_previous_complete_month(client, school):
    log_in(client, school.cpe)
    response = client.get(LIST)
    today = date.today()
    expected = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert response.context["legal"].month == expected
    assert response.context["legal"].as_of == today


def test_a_month_that_cannot_be_read_falls_back_to_the_previous_month(client, school):
    log_in(client, school.cpe)
    response = client.get(LIST + "?mois=mars&au=hier")
    page = text(response)
    assert "Mois illisible" in page
    assert "Date illisible" in page
    assert response.context["legal"].as_of == date.today()


def test_the_list_as_of_a_past_date_shows_the_states_of_that_day(client, school):
    log_in(client, school.cpe)

    # On 10 March, Emma had missed three half-days; on 20 March, five (the accepted
    # justification of the 12th came later, "today").
    on_the_10th = client.get(LIST + MARCH_QUERY + "&au=2026-03-10")
    on_the_20th = client.get(LIST + MARCH_QUERY + "&au=2026-03-20")
    now = client.get(LIST + MARCH_QUERY)

    assert levels_of(on_the_10th) == {"heavy": [], "referral": ["Hugo"], "family_alert": ["Emma"]}
    emma_20th = on_the_20th.context["legal"].groups[1].rows[0]
    assert (emma_20th.pupil, emma_20th.figures.unjustified_half_days) == (school.emma, 5)
    assert now.context["legal"].groups[1].rows[0].figures.unjustified_half_days == 4
    assert not on_the_20th.context["legal"].live
    assert "Enregistrer le signalement" not in text(on_the_20th)
    assert "Enregistrer le signalement" in text(now)


def test_steps_made_after_the_date_of_the_list_are_not_shown(client, school):
    legal_services.follow_up_record(
        actor=school.cpe,
        establishment=school.establishment,
        pupil=school.emma,
        month=MARCH,
        kind=FollowUpKind.MEETING,
    )
    log_in(client, school.cpe)
    past = client.get(LIST + MARCH_QUERY + "&au=2026-03-31")
    assert past.context["legal"].groups[1].rows[0].follow_ups == []


def test_a_future_date_is_refused_for_today(client, school):
    log_in(client, school.cpe)
    tomorrow = date.today() + timedelta(days=1)
    response = client.get(LIST + MARCH_QUERY + f"&au={tomorrow.isoformat()}")
    assert response.context["legal"].as_of == date.today()
    assert "date future" in text(response)


def test_the_aed_reads_the_list_but_cannot_record(client, school):
    log_in(client, school.aed)
    response = client.get(LIST + MARCH_QUERY)
    assert "Enregistrer une démarche" not in text(response)
    response = client.post(
        reverse("attendance:legal_follow_up"),
        {"pupil": school.emma.pk, "mois": "2026-03", "kind": FollowUpKind.REFERRAL},
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()


# -- Recording a step -------------------------------------------------------------------------


def test_recording_a_referral_from_the_list_stores_the_figures_and_is_audited(client, school):
    log_in(client, school.cpe)
    response = client.post(
        reverse("attendance:legal_follow_up"),
        {"pupil": school.emma.pk, "mois": "2026-03", "kind": FollowUpKind.REFERRAL, "note": "Vu"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"?mois=2026-03#eleve-{school.emma.pk}")
    step = FollowUp.objects.get()
    assert (step.pupil, step.month, step.kind) == (school.emma, MARCH, FollowUpKind.REFERRAL)
    assert (step.half_days, step.unjustified_half_days) == (5, 4)
    assert step.made_by == school.cpe.person
    event = AuditEvent.objects.get(action="attendance.follow_up.referral")
    assert event.actor == school.cpe
    assert event.after["unjustified_half_days"] == 4
    followed = client.get(response["Location"])
    assert "Signalement à la DASEN enregistré pour Emma Roche" in text(followed)
    # Once made, the referral button is gone and the row lists it.
    (emma,) = followed.context["legal"].groups[1].rows
    assert emma.referral == step
    assert not emma.may_be_referred


def test_downloading_the_referral_records_nothing(client, school):
    log_in(client, school.cpe)
    client.get(reverse("attendance:legal_referral", args=[school.emma.pk]) + MARCH_QUERY)
    client.get(reverse("attendance:legal_letters") + MARCH_QUERY)
    assert not FollowUp.objects.exists()


def test_a_second_referral_for_the_same_month_is_refused_with_a_message(client, school):
    log_in(client, school.cpe)
    data = {"pupil": school.emma.pk, "mois": "2026-03", "kind": FollowUpKind.REFERRAL}
    client.post(reverse("attendance:legal_follow_up"), data)
    response = client.post(reverse("attendance:legal_follow_up"), data, follow=True)
    assert FollowUp.objects.count() == 1
    assert "déjà été enregistré" in text(response)


def test_recording_for_a_stranger_answers_404(client, school):
    log_in(client, school.cpe)
    for pupil in (school.stranger.pk, "abc"):
        response = client.post(
            reverse("attendance:legal_follow_up"),
            {"pupil": pupil, "mois": "2026-03", "kind": FollowUpKind.MEETING},
        )
        assert response.status_code == 404
    assert not FollowUp.objects.exists()


def test_recording_needs_a_post(client, school):
    log_in(client, school.cpe)
    assert client.get(reverse("attendance:legal_follow_up")).status_code == 405


# -- Statistics ---------------------------------------------------------------------------------


def test_the_statistics_show_an_accessible_chart_and_the_same_figures_in_a_table(client, school):
    log_in(client, school.direction)
    response = client.get(reverse("attendance:stats"))
    page = text(response)

    assert response.context["school_year"] == school.year
    assert '<svg class="legal-chart__svg"' in page
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in page
    assert "<title>mars 2026 : 40,0 %</title>" in page  # Hugo and Emma of 5 pupils
    assert "mars 2026 : 40,0 %." in page  # in the description read aloud
    (line,) = response.context["establishment_lines"]
    march = next(c for c in line.cells if c.month == MARCH)
    assert (march.enrolled, march.above, march.text) == (5, 2, "40,0 %")
    assert [line.label for line in response.context["division_lines"]] == ["4A", "4B"]
    assert [line.label for line in response.context["level_lines"]] == ["4e"]


def test_the_statistics_follow_the_chosen_school_year(client, school):
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:stats") + "?annee=2025-2026")
    assert response.context["school_year"] == school.year


# -- Dropout -----------------------------------------------------------------------------------


def test_the_dropout_list_is_sorted_by_score_with_the_reasons(client, school):
    log_in(client, school.cpe)
    response = client.get(reverse("attendance:dropout") + "?au=2026-03-20")
    rows = response.context["rows"]
    assert [row.pupil.first_name for row, _url in rows] == ["Hugo", "Emma"]
    assert [row.score for row, _url in rows] == sorted(
        (row.score for row, _url in rows), reverse=True
    )
    hugo, url = rows[0]
    assert url == reverse("attendance:desk_pupil", args=[school.hugo.pk])
    page = text(response)
    for reason in hugo.reasons:
        assert reason in page
    assert "10 demi-journées d'absence sur les 30 derniers jours" in page


def test_the_dropout_list_of_a_head_teacher_has_no_link_to_the_desk(client, school):
    log_in(client, school.head_teacher)
    response = client.get(reverse("attendance:dropout") + "?au=2026-03-20")
    assert [url for _row, url in response.context["rows"]] == [None]


# -- Queries -------------------------------------------------------------------------------------


def more_absent_pupils(school, count: int) -> None:
    """`count` more pupils of 4A at the referral level, with a letter each."""
    for index in range(count):
        pupil = pupil_in(school.a4, first_name=f"Élève{index:02d}", last_name="Supplément")
        for day in DAYS[:2]:
            school.absent(pupil, day)
        legal_services.follow_up_record(
            actor=school.cpe,
            establishment=school.establishment,
            pupil=pupil,
            month=MARCH,
            kind=FollowUpKind.FAMILY_LETTER,
        )


# The reports' computation (eleven queries, school events included) and the page's own.
LIST_QUERIES = 21  # the policy is read once (with the figures)


@pytest.mark.parametrize("extra", [0, 12])
def test_the_list_has_a_fixed_number_of_queries(client, school, extra, django_assert_num_queries):
    more_absent_pupils(school, extra)
    log_in(client, school.cpe)
    client.get(LIST + MARCH_QUERY)

    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST + MARCH_QUERY)

    assert len(response.context["legal"].rows) == 3 + extra


@pytest.mark.parametrize("extra", [0, 12])
def test_the_letters_batch_has_a_fixed_number_of_queries(
    client, school, extra, django_assert_max_num_queries
):
    more_absent_pupils(school, extra)
    log_in(client, school.cpe)
    client.get(reverse("attendance:legal_letters") + MARCH_QUERY)

    with django_assert_max_num_queries(42):
        response = client.get(reverse("attendance:legal_letters") + MARCH_QUERY)

    assert response.status_code == 200


def test_the_figures_of_the_list_are_those_of_the_reports(client, school):
    log_in(client, school.cpe)
    response = client.get(LIST + MARCH_QUERY)
    expected = {
        f.pupil_id: f for f in reports.month_figures(school.establishment, MARCH) if f.level
    }
    assert {row.pupil.pk: row.figures for row in response.context["legal"].rows} == expected
