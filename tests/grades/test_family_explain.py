""" "Comment est calculée cette moyenne ?": the averages a family reads are the engine's,
and the explanation says, in the engine's own steps, what happened to each mark
(grades.md's worked cases)."""

import re
from decimal import Decimal
from fractions import Fraction
from html import unescape

import pytest
from django.urls import reverse

from preau.grades import engine
from preau.grades.models import SubjectCoefficient, SubSubject
from preau.grades.selectors import family as selectors
from tests.conftest import log_in
from tests.factories import mark
from tests.grades.test_family_support import Family

AVERAGES = reverse("grades:averages")
ROUNDING = engine.Rounding()


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def subject_card(response, subject: str) -> str:
    html = response.content.decode()
    cards = re.findall(
        r'<li class="card subject-average"[^>]*>(.*?)</li>\s*(?=<li class="card|</ul>)', html, re.S
    )
    return next(text(card) for card in cards if f"<h3>{subject}</h3>" in card)


def general_card(response) -> str:
    html = response.content.decode()
    return text(re.search(r'<section aria-labelledby="general-title".*?</section>', html, re.S)[0])


def ev(key, scale=20, coefficient=1, bring_to_20=True, kind=engine.Kind.NORMAL, sub=None):
    return engine.Evaluation(
        key, Fraction(scale), Fraction(coefficient), bring_to_20, engine.Kind(kind), sub
    )


def m(text_: str, scale=20) -> engine.Mark:
    return engine.parse_mark(text_, Fraction(scale))


def explained(entries) -> selectors.AverageExplanation:
    average = engine.average(entries)
    titles = {e.id: e.id for e, _ in entries}
    return selectors.explain_average(average, titles=titles, rounding=ROUNDING)


# -- The explanation, from the engine's steps ----------------------------------------------


def test_marks_brought_to_20_are_summed_with_their_weights():
    found = explained([(ev("a"), m("18")), (ev("b", 10), m("3", 10)), (ev("c", 5), m("1", 5))])

    assert found.formula == "(18 + 6 + 4) / (1 + 1 + 1) = 28 / 3 ≈ 9,33"
    assert found.result == "9,33"
    assert "3/10 ramené sur 20 : 6/20" in found.steps[1].text
    assert all(step.counted for step in found.steps)


def test_marks_not_brought_to_20_weigh_with_their_scale():
    found = explained(
        [
            (ev("a", bring_to_20=False), m("18")),
            (ev("b", 10, bring_to_20=False), m("3", 10)),
            (ev("c", 5, bring_to_20=False), m("1", 5)),
        ]
    )

    assert found.formula == "(18 + 0,5 × 6 + 0,25 × 4) / (1 + 0,5 + 0,25) = 22 / 1,75 ≈ 12,57"
    assert "poids 0,5 (coefficient 1 × 10/20" in found.steps[1].text


def test_an_optional_mark_kept_says_what_it_raised_the_average_to_and_one_dropped_why():
    found = explained(
        [
            (ev("Devoir"), m("10")),
            (ev("Facultatif A", kind="optional"), m("16")),
            (ev("Facultatif B", kind="optional"), m("12")),
        ]
    )

    kept, dropped = found.steps[1], found.steps[2]
    assert kept.title == "Facultatif A"
    assert kept.counted
    assert "Facultative, gardée : 16/20 fait monter la moyenne de 10 à 13" in kept.text
    assert dropped.title == "Facultatif B"
    assert not dropped.counted
    assert "Facultative, écartée : 12/20 ne ferait pas monter la moyenne (13)" in dropped.text
    assert found.formula == "(10 + 16) / (1 + 1) = 26 / 2 = 13"


def test_with_no_normal_mark_the_best_optional_mark_starts_the_average():
    found = explained([(ev("F", kind="optional"), m("11"))])

    assert "commence la moyenne" in found.steps[0].text
    assert found.result == "11,00"


def test_a_bonus_adds_only_the_points_above_ten_to_the_sum():
    found = explained(
        [(ev("a"), m("12")), (ev("b"), m("16")), (ev("Bonus", kind="bonus"), m("17"))]
    )

    assert "ajoute 7 point(s) au total (coefficient 1 × (17 − 10))" in found.steps[2].text
    assert found.formula == "(12 + 16 + (17 − 10)) / (1 + 1) = 35 / 2 = 17,5"
    assert found.result == "17,50"


def test_a_bonus_at_or_below_ten_changes_nothing_and_one_alone_makes_no_average():
    low = explained([(ev("a"), m("12")), (ev("b"), m("16")), (ev("B", kind="bonus"), m("8"))])
    alone = explained([(ev("B", kind="bonus"), m("17"))])

    assert "Bonus sans effet : 8/20 ne dépasse pas 10" in low.steps[2].text
    assert low.result == "14,00"
    assert "aucune note normale" in alone.steps[0].text
    assert alone.result == "—"
    assert "ce n'est pas 0" in alone.empty


def test_codes_say_whether_they_count():
    found = explained(
        [(ev("a", coefficient=2), m("15")), (ev("b"), m("ABS")), (ev("c"), m("ABS0"))]
    )

    assert "Non comptée : ABS (absent)" in found.steps[1].text
    assert not found.steps[1].counted
    assert "ABS0, compté 0/20" in found.steps[2].text
    assert found.formula == "(2 × 15 + 0) / (2 + 1) = 30 / 3 = 10"


def test_a_coefficient_zero_mark_is_not_counted_and_leaves_no_average():
    found = explained([(ev("a", coefficient=0), m("14"))])

    assert "coefficient 0" in found.steps[0].text
    assert found.result == "—"


def test_an_average_above_20_is_capped():
    found = explained([(ev("a"), m("20")), (ev("B", kind="bonus", coefficient=2), m("20"))])

    assert found.formula == "(20 + 2 × (20 − 10)) / (1) = 40 / 1 = 40"
    assert "ramenée à 20" in found.capped
    assert found.result == "20,00"


def test_sub_subjects_are_weighted_by_their_coefficients():
    entries = [
        (ev("Écrit 1", sub="w"), m("8")),
        (ev("Oral 1", sub="o"), m("14")),
        (ev("Oral 2", sub="o"), m("16")),
    ]
    subject = engine.subject_average(entries, {"w": Fraction(2), "o": Fraction(1)})

    found = selectors.explain_subject(
        subject,
        titles={e.id: e.id for e, _ in entries},
        sub_subject_labels={"w": "Écrit", "o": "Oral"},
        rounding=ROUNDING,
    )

    assert [(p.label, p.coefficient, p.average.result) for p in found.parts] == [
        ("Écrit", "2", "8,00"),
        ("Oral", "1", "15,00"),
    ]
    assert found.formula == "(2 × 8 + 15) / (2 + 1) ≈ 10,33"
    assert found.result == "10,33"


def test_the_general_average_weighs_the_unrounded_subject_averages():
    general = engine.general_average(
        [
            engine.Line("maths", Fraction(2), Fraction(28, 3)),
            engine.Line("french", Fraction(1), Fraction(35, 2)),
            engine.Line("music", Fraction(0), Fraction(15)),
            engine.Line("latin", Fraction(1), None),
        ]
    )
    labels = {"maths": "Maths", "french": "Français", "music": "Musique", "latin": "Latin"}

    found = selectors.explain_general(general, labels=labels, rounding=ROUNDING)

    assert found.formula == "(2 × 9,33 + 17,5) / (2 + 1) = 36,17 / 3 ≈ 12,06"
    assert found.result == "12,06"
    music, latin = found.lines[2], found.lines[3]
    assert not music.counted
    assert "Coefficient 0" in music.note
    assert not latin.counted
    assert "Pas de moyenne" in latin.note


# -- The page shows the engine's numbers ---------------------------------------------------


@pytest.mark.django_db
def test_the_subject_averages_on_the_page_are_the_engines(client):
    family = Family()
    log_in(client, family.emma.account)

    response = client.get(AVERAGES)
    maths = subject_card(response, "Mathématiques")
    french = subject_card(response, "Français")

    expected = engine.average(
        [(ev(1), m("18")), (ev(2, 10), m("3", 10)), (ev(3, 5), m("1", 5))]
    ).value
    assert expected == Fraction(28, 3)
    assert "Moyenne : 9,33" in maths
    # Emma 9,33 and Hugo 10: the class figures are over the pupils' averages.
    assert "Moyenne de la classe 9,67" in maths
    assert "Plus basse / plus haute 9,33 / 10,00" in maths
    assert "(18 + 6 + 4) / (1 + 1 + 1) = 28 / 3 ≈ 9,33" in maths
    assert "Moyenne : 17,50" in french
    assert "ajoute 7 point(s)" in french


@pytest.mark.django_db
def test_the_general_average_uses_the_subject_coefficients_of_the_division(client):
    family = Family()
    SubjectCoefficient.objects.create(
        establishment=family.establishment,
        school_year=family.year,
        subject=family.maths.subject,
        division=family.a3,
        coefficient=Decimal(2),
    )
    log_in(client, family.emma.account)

    general = general_card(client.get(AVERAGES))

    # (2 × 28/3 + 35/2) / 3, from the unrounded maths average.
    assert "12,06" in general
    assert "(17,5 + 2 × 9,33) / (1 + 2) = 36,17 / 3 ≈ 12,06" in general


@pytest.mark.django_db
def test_the_page_rounds_as_the_establishment_says(client):
    family = Family()
    family.policy(rounding_step="0.5", rounding_mode="up")
    log_in(client, family.emma.account)

    maths = subject_card(client.get(AVERAGES), "Mathématiques")

    assert "Moyenne : 9,5" in maths


@pytest.mark.django_db
def test_a_subject_with_sub_subjects_explains_each_part_on_the_page(client):
    family = Family()
    written = SubSubject.objects.create(service=family.french, code="E", label="Écrit")
    oral = SubSubject.objects.create(
        service=family.french, code="O", label="Oral", coefficient=Decimal(3)
    )
    family.essay.sub_subject = written
    family.essay.save()
    family.dictation.sub_subject = written
    family.dictation.save()
    speech = family.evaluation(family.french, "Exposé", days=4, sub_subject=oral)
    mark(speech, family.emma, "18")
    log_in(client, family.emma.account)

    french = subject_card(client.get(AVERAGES), "Français")

    # Écrit: 12, 16 → 14; the bonus (no sub-subject) is a part of its own with no base.
    assert "Écrit — coefficient 1 — moyenne 14,00" in french
    assert "Oral — coefficient 3 — moyenne 18,00" in french
    assert "(14 + 3 × 18) / (1 + 3) = 17" in french
