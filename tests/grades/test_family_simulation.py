""" "Et si j'avais…": a pupil (or a guardian) tries a mark and reads the subject and
general averages the engine would give; nothing is ever written, and a mark that
could not be typed is refused in place with the reason."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from preau.grades.models import Evaluation, Mark, MarkChange, SubSubject
from tests.conftest import log_in
from tests.grades.test_family_support import Family

pytestmark = pytest.mark.django_db

SIMULATE = reverse("grades:simulate")
AVERAGES = reverse("grades:averages")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def family():
    return Family()


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def query(family, note="20", sur="20", coefficient="1", matiere=None):
    return {
        "matiere": matiere or family.maths.pk,
        "note": note,
        "sur": sur,
        "coefficient": coefficient,
    }


def test_the_simulation_shows_the_averages_the_engine_gives_with_the_extra_mark(client, family):
    log_in(client, family.emma.account)

    response = client.get(SIMULATE, query(family), **HTMX)
    shown = text(response)

    assert response.status_code == 200
    assert response.content.decode().startswith('<section id="simulation"')
    # Maths: (18 + 6 + 4 + 20) / 4 = 12; general: (12 + 17,5) / 2 = 14,75.
    assert "Moyenne de Mathématiques 9,33 → 12,00" in shown
    assert "Moyenne générale 13,42 → 14,75" in shown
    assert "(18 + 6 + 4 + 20) / (1 + 1 + 1 + 1) = 48 / 4 = 12" in shown
    assert "Note simulée" in shown


def test_the_simulation_writes_nothing(client, family):
    log_in(client, family.emma.account)
    before = (Mark.objects.count(), Evaluation.objects.count(), MarkChange.objects.count())

    with CaptureQueriesContext(connection) as queries:
        assert client.get(SIMULATE, query(family), **HTMX).status_code == 200

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I)
        and "django_session" not in q["sql"]
    ]
    assert writes == []
    assert (Mark.objects.count(), Evaluation.objects.count(), MarkChange.objects.count()) == before


def test_a_scale_and_a_coefficient_weigh_the_simulated_mark(client, family):
    log_in(client, family.emma.account)

    shown = text(client.get(SIMULATE, query(family, note="8", sur="10", coefficient="2"), **HTMX))

    # (18 + 6 + 4 + 2 × 16) / 5 = 12.
    assert "9,33 → 12,00" in shown


def test_a_guardian_may_simulate_too(client, family):
    log_in(client, family.mother)

    shown = text(client.get(SIMULATE, query(family, matiere=family.french.pk, note="4"), **HTMX))

    # French: (12 + 16 + 4 + 7) / 3 = 13.
    assert "Moyenne de Français 17,50 → 13,00" in shown


def test_a_mark_in_a_sub_subject_counts_in_that_part(client, family):
    oral = SubSubject.objects.create(service=family.french, code="O", label="Oral")
    SubSubject.objects.create(service=family.french, code="E", label="Écrit")
    log_in(client, family.emma.account)

    shown = text(
        client.get(SIMULATE, query(family, matiere=f"{family.french.pk}:{oral.pk}", note="10"))
    )

    # Without sub-subject marks the existing ones form a part of their own (17,5),
    # the oral 10 another: (17,5 + 10) / 2.
    assert "17,50 → 13,75" in shown


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"note": "25"}, "dépasse le barème (sur 20)"),
        ({"note": "douze"}, "n'est ni une note ni un code"),
        ({"note": "12,3"}, "au quart de point"),
        ({"note": ""}, "obligatoire"),
        ({"sur": "0"}, "Le barème doit être au-dessus de 0"),
        ({"sur": "vingt"}, "Le barème doit être un nombre"),
        ({"coefficient": "-1"}, "Le coefficient va de 0 à 99"),
    ],
)
def test_what_cannot_be_a_mark_is_refused_in_place_with_the_reason(client, family, fields, reason):
    log_in(client, family.emma.account)

    response = client.get(SIMULATE, {**query(family), **fields}, **HTMX)
    html = response.content.decode()

    assert response.status_code == 200  # htmx swaps it in place
    assert reason in unescape(html)
    assert 'aria-invalid="true"' in html
    assert "→" not in text(response)


def test_without_javascript_the_simulation_is_the_averages_page_with_the_result(client, family):
    log_in(client, family.emma.account)

    good = client.get(SIMULATE, query(family))
    bad = client.get(SIMULATE, query(family, note="25"))

    assert good.status_code == 200
    assert "Moyennes par matière" in text(good)
    assert "9,33 → 12,00" in text(good)
    assert bad.status_code == 400
    assert "dépasse le barème" in unescape(bad.content.decode())


def test_the_averages_page_offers_the_pupils_subjects_only(client, family):
    log_in(client, family.emma.account)

    html = client.get(AVERAGES).content.decode()

    assert f'<option value="{family.maths.pk}">Mathématiques</option>' in html
    assert f'<option value="{family.other_maths.pk}"' not in html
    assert 'hx-get="/notes/moyennes/simulation/"' in html
