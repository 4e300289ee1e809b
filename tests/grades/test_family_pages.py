"""The family and pupil grades pages: who sees which marks (access.md), what a mark
shows (its scale, its code in words, its coefficient, its kind, the class figures),
and what the pages cost.

Access table: the pupil sees a mark from the evaluation's publication date; each legal
guardian, separated or not, the same marks after the establishment's delay; an adult
pupil's objection hides them from the guardians, who are told why; a person in charge
(level 2) sees nothing unless the establishment enables it; staff and anybody else get
a 404.
"""

import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from preau.core.models import Guardianship
from tests.conftest import log_in
from tests.factories import EvaluationFactory, mark, pupil_in
from tests.grades.test_family_support import Family, days_ago

pytestmark = pytest.mark.django_db

LATEST = reverse("grades:latest")
AVERAGES = reverse("grades:averages")
SIMULATE = reverse("grades:simulate")


@pytest.fixture
def family():
    return Family()


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def main(response) -> str:
    """The text of the page's main content (the header names the reader)."""
    html = response.content.decode()
    return text(html[html.index("<main") : html.index("</main>")])


def marks(response) -> list[str]:
    """The text of each mark card of "Dernières notes", newest first."""
    html = response.content.decode()
    found = re.findall(r'<li class="card mark[^"]*">(.*?)</li>', html, re.S)
    return [text(card) for card in found]


def shown(response, title: str) -> bool:
    return any(title in card for card in marks(response))


# -- Who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["emma", "mother", "father"])
def test_the_pupil_and_both_legal_guardians_see_the_published_marks(client, family, reader):
    log_in(client, family.account(reader))

    response = client.get(LATEST)

    assert response.status_code == 200
    cards = marks(response)
    assert len(cards) == 6
    assert "Lecture bonus" in cards[0]  # newest first
    assert "Contrôle de géométrie" in cards[-1]


def test_separated_parents_each_with_an_account_read_identical_pages(client, family):
    log_in(client, family.mother)
    mother_latest, mother_averages = marks(client.get(LATEST)), client.get(AVERAGES)
    client.logout()
    log_in(client, family.father)

    assert marks(client.get(LATEST)) == mother_latest
    assert main(client.get(AVERAGES)) == main(mother_averages)


def test_a_pupil_sees_a_mark_from_its_publication_date_not_before(client, family):
    EvaluationFactory(
        service=family.maths, period=family.t1, title="Pas encore", published_on=days_ago(-1)
    )
    today_one = EvaluationFactory(
        service=family.maths, period=family.t1, title="Publiée ce jour", published_on=days_ago(0)
    )
    mark(today_one, family.emma, "11")
    log_in(client, family.emma.account)

    response = client.get(LATEST)

    assert shown(response, "Publiée ce jour")
    assert not shown(response, "Pas encore")


def test_guardians_see_a_mark_only_after_the_establishments_delay(client, family):
    family.policy(parent_delay_days=3)
    recent = family.evaluation(family.maths, "Devoir récent", days=4, published=2)
    older = family.evaluation(family.maths, "Devoir ancien", days=5, published=3)
    mark(recent, family.emma, "14")
    mark(older, family.emma, "13")

    log_in(client, family.emma.account)
    pupil_sees = client.get(LATEST)
    client.logout()
    log_in(client, family.mother)
    mother_sees = client.get(LATEST)

    assert shown(pupil_sees, "Devoir récent")
    assert shown(pupil_sees, "Devoir ancien")
    assert shown(mother_sees, "Devoir ancien")
    assert not shown(mother_sees, "Devoir récent")
    assert "3 jours après leur publication" in mother_sees.content.decode()


def test_the_delay_also_hides_the_mark_from_the_guardians_averages(client, family):
    family.policy(parent_delay_days=3)
    recent = family.evaluation(family.maths, "Devoir récent", days=2)
    mark(recent, family.emma, "20")
    mark(recent, family.hugo, "20")

    log_in(client, family.mother)
    html = client.get(AVERAGES).content.decode()

    assert "Devoir récent" not in html
    assert "9,33" in html  # the maths average without it


def test_an_adult_pupils_objection_hides_grades_from_the_guardian_with_the_reason(client, family):
    Guardianship.objects.filter(pupil=family.lea).update(
        adult_objection_at=datetime.now(ZoneInfo("Europe/Paris"))
    )
    mark(family.control, family.lea, "15")
    log_in(client, family.lea_mother)

    for url in (LATEST, AVERAGES, SIMULATE):
        response = client.get(url)
        html = main(response)
        assert response.status_code == 200
        assert "s'est opposé" in html
        assert "Contrôle de géométrie" not in html
        assert "15/20" not in html


def test_an_adult_pupil_who_objected_still_sees_their_own_marks(client, family):
    Guardianship.objects.filter(pupil=family.lea).update(
        adult_objection_at=datetime.now(ZoneInfo("Europe/Paris"))
    )
    mark(family.control, family.lea, "15")
    log_in(client, family.lea.account)

    assert shown(client.get(LATEST), "Contrôle de géométrie")


def test_a_person_in_charge_sees_no_grades_by_default_and_is_told_why(client, family):
    log_in(client, family.grandmother)

    response = client.get(LATEST)
    html = main(response)

    assert response.status_code == 200
    assert marks(response) == []
    assert "qu'aux responsables légaux et à l'élève" in html
    assert "Contrôle de géométrie" not in client.get(AVERAGES).content.decode()


def test_a_person_in_charge_sees_the_grades_when_the_establishment_enables_it(client, family):
    family.policy(contacts_see_grades=True)
    log_in(client, family.grandmother)

    assert len(marks(client.get(LATEST))) == 6


def test_another_family_sees_only_its_own_child(client, family):
    log_in(client, family.hugo_parent)

    response = client.get(LATEST)
    cards = marks(response)

    assert len(cards) == 4
    assert any("10/20" in card for card in cards)
    assert not any("18/20" in card for card in cards)
    assert "Lecture bonus" not in response.content.decode()


@pytest.mark.parametrize("url", [LATEST, AVERAGES, SIMULATE])
def test_staff_get_a_404(client, family, url):
    log_in(client, family.teacher)

    assert client.get(url).status_code == 404


def test_a_period_of_another_scheme_or_year_answers_404(client, family):
    from tests.factories import SchoolYearFactory, grading_period

    last_year = SchoolYearFactory(
        establishment=family.establishment,
        start_date=family.year.start_date.replace(year=family.year.start_date.year - 1),
        end_date=family.year.end_date.replace(year=family.year.end_date.year - 1),
        label="1999-2000",
    )
    elsewhere = grading_period(last_year)
    log_in(client, family.emma.account)

    assert client.get(AVERAGES, {"periode": elsewhere.pk}).status_code == 404
    assert client.get(AVERAGES, {"periode": "x"}).status_code == 404


def test_simulating_in_another_divisions_subject_answers_404(client, family):
    log_in(client, family.emma.account)

    response = client.get(
        SIMULATE, {"matiere": family.other_maths.pk, "note": "12", "sur": "20", "coefficient": "1"}
    )

    assert response.status_code == 404


# -- What a mark shows --------------------------------------------------------------------


def test_a_mark_shows_its_scale_its_coefficient_and_the_class_figures(client, family):
    log_in(client, family.emma.account)

    quiz = next(card for card in marks(client.get(LATEST)) if "Interrogation écrite" in card)

    assert "Mathématiques" in quiz
    assert "3/10" in quiz
    assert "Coefficient 1" in quiz
    # Emma 3 and Hugo 5: mean 4, lowest 3, highest 5, on the evaluation's scale.
    assert "Classe moyenne 4,00/10, de 3 à 5" in quiz


def test_a_code_is_shown_with_its_meaning_and_a_bonus_is_tagged(client, family):
    log_in(client, family.hugo_parent)

    cards = marks(client.get(LATEST))
    essay = next(card for card in cards if "Rédaction" in card)

    assert "ABS" in essay
    assert "absent" in essay
    client.logout()
    log_in(client, family.mother)
    bonus = next(card for card in marks(client.get(LATEST)) if "Lecture bonus" in card)
    assert "bonus" in bonus
    assert "17/20" in bonus


def test_marks_of_another_period_are_not_among_the_latest(client, family):
    later = EvaluationFactory(
        service=family.maths,
        period=family.t2,
        title="Devoir du trimestre 2",
        published_on=days_ago(1),
    )
    mark(later, family.emma, "12")
    log_in(client, family.emma.account)

    assert not shown(client.get(LATEST), "Devoir du trimestre 2")


def test_a_pupil_with_no_class_today_is_told_so(client, family):
    from preau.structure.models import Enrolment

    Enrolment.objects.filter(pupil=family.emma).update(end_date=days_ago(1))
    log_in(client, family.emma.account)

    response = client.get(LATEST)

    assert response.status_code == 200
    assert "aucune classe" in response.content.decode()


# -- What the pages cost ------------------------------------------------------------------


def grow(family, evaluations: int = 8, pupils: int = 20):
    """More of everything: pupils in the class and marked evaluations in both subjects."""
    more = [pupil_in(family.a3) for _ in range(pupils)]
    for number in range(evaluations):
        service = family.maths if number % 2 else family.french
        evaluation = family.evaluation(service, f"Devoir en plus {number}", days=3 + number % 4)
        for pupil in [family.emma, family.hugo, *more]:
            mark(evaluation, pupil, str(8 + number))


@pytest.mark.parametrize("reader", ["emma", "mother"])
@pytest.mark.parametrize("url", [LATEST, AVERAGES])
def test_the_pages_cost_the_same_queries_whatever_the_data(
    client, family, django_assert_num_queries, reader, url
):
    log_in(client, family.account(reader))
    client.get(url)  # the session and the spaces warm up as for any page
    expected = EXPECTED[(url, reader)]

    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    grow(family)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_the_simulation_costs_the_same_queries_whatever_the_data(
    client, family, django_assert_num_queries
):
    log_in(client, family.emma.account)
    query = {"matiere": family.maths.pk, "note": "12", "sur": "20", "coefficient": "1"}
    client.get(SIMULATE, query)

    with django_assert_num_queries(EXPECTED[(SIMULATE, "emma")]):
        assert client.get(SIMULATE, query, HTTP_HX_REQUEST="true").status_code == 200
    grow(family)
    with django_assert_num_queries(EXPECTED[(SIMULATE, "emma")]):
        assert client.get(SIMULATE, query, HTTP_HX_REQUEST="true").status_code == 200


# The session, the account and the spaces; the reader (one query more for a guardian:
# the adult pupil's objection); the division, its periods; the class book (seven).
EXPECTED = {
    (LATEST, "emma"): 15,
    (LATEST, "mother"): 16,
    (AVERAGES, "emma"): 15,
    (AVERAGES, "mother"): 16,
    (SIMULATE, "emma"): 15,
}
