"""What a report card says (grades.md, Periods): per subject the pupil's average, the
class figures, the teachers and their appraisal; the general average; the head
teacher's and the council's appraisals; the absences and lateness of the period.
Every average is the engine's (the class book's); the PDF is one card per pupil."""

import re
import zlib
from fractions import Fraction

import pytest

from preau.grades import report_cards
from preau.grades.models import Appraisal, AppraisalKind, Evaluation, ReportCard
from preau.grades.selectors.book import class_book
from preau.grades.selectors.report_cards import division_cards
from tests.factories import mark, pupil_in
from tests.grades.test_report_cards_support import Lycee

pytestmark = pytest.mark.django_db


@pytest.fixture
def lycee():
    return Lycee()


def appraise(lycee, pupil, kind, text, service=None):
    return Appraisal.objects.create(
        period=lycee.period, pupil=pupil, kind=kind, service=service, text=text
    )


def test_each_subject_line_gives_the_engines_averages_and_class_figures(lycee):
    cards = division_cards(division=lycee.division, period=lycee.period)
    book = class_book(division=lycee.division, period=lycee.period)

    emma = cards.card(lycee.emma.pk)
    maths = emma.line(lycee.maths.pk)

    assert maths.average == Fraction(49, 3)
    assert maths.coefficient == 3
    assert maths.teachers == [lycee.maths_teacher.person.formal_name]
    assert maths.figures.low == Fraction(40, 3)
    assert maths.figures.high == Fraction(49, 3)
    assert emma.line(lycee.history.pk).average == 14
    assert [(p.label, p.average) for p in emma.line(lycee.history.pk).parts] == [
        ("Géographie", 16),
        ("Histoire", 13),
    ]
    # (11 + 14 + 3 · 49/3) / 5
    assert emma.general == Fraction(74, 5)
    for card in cards.cards:
        results = book.results.pupils[card.pupil.pk]
        assert card.general == results.general.value
        for line in card.lines:
            assert line.average == results.subjects[line.service.pk].value
    assert cards.general_figures == book.results.general


def test_a_card_carries_the_three_kinds_of_appraisal(lycee):
    appraise(lycee, lycee.emma, AppraisalKind.SUBJECT, "Très bon trimestre.", lycee.maths)
    appraise(lycee, lycee.emma, AppraisalKind.HEAD_TEACHER, "Élève investie.")
    appraise(lycee, lycee.emma, AppraisalKind.COUNCIL, "Félicitations.")

    emma = division_cards(division=lycee.division, period=lycee.period).card(lycee.emma.pk)

    assert emma.line(lycee.maths.pk).appraisal.text == "Très bon trimestre."
    assert emma.line(lycee.french.pk).appraisal is None
    assert emma.head_teacher.text == "Élève investie."
    assert emma.council.text == "Félicitations."


def test_absences_are_the_attendance_reports_half_days_and_lateness(lycee):
    cards = division_cards(division=lycee.division, period=lycee.period)

    emma = cards.card(lycee.emma.pk).absences
    hugo = cards.card(lycee.hugo.pk).absences

    # Monday morning (unjustified) and Tuesday morning (accepted), late once.
    assert (emma.half_days, emma.unjustified_half_days, emma.lateness) == (2, 1, 1)
    assert (hugo.half_days, hugo.unjustified_half_days, hugo.lateness) == (0, 0, 0)


def test_a_whole_division_costs_a_fixed_number_of_queries(lycee, django_assert_num_queries):
    division_cards(division=lycee.division, period=lycee.period)  # settings created once
    with django_assert_num_queries(23):
        division_cards(division=lycee.division, period=lycee.period)
    for number in range(5):
        pupil = pupil_in(lycee.division, last_name=f"Nouveau{number}")
        for evaluation in Evaluation.objects.filter(period=lycee.period):
            mark(evaluation, pupil, "12")
        appraise(lycee, pupil, AppraisalKind.COUNCIL, "Bien.")

    with django_assert_num_queries(23):
        cards = division_cards(division=lycee.division, period=lycee.period)

    assert len(cards.cards) == 8


def test_the_html_shows_the_rounded_figures_and_the_header(lycee):
    appraise(lycee, lycee.emma, AppraisalKind.COUNCIL, "Encouragements.")
    cards = division_cards(division=lycee.division, period=lycee.period)

    html = report_cards.cards_html(cards)

    assert "Lycée Jean Moulin" in html
    assert "Trimestre 1" in html
    assert "ROCHE Emma" in html
    assert "2de 3" in html
    assert "Professeur principal : Mme" in html
    assert "16,33" in html  # Emma's maths
    assert "14,80" in html  # Emma's general average
    assert "Encouragements." in html
    assert "2 demi-journées d'absence, dont 1 non justifiée ; 1 retard" in html


def pdf_text(content: bytes) -> bytes:
    """The PDF with its compressed streams inflated (where the outline's titles are)."""
    parts = [content]
    for match in re.finditer(rb"stream\r?\n", content):
        try:
            parts.append(zlib.decompressobj().decompress(content[match.end() :]))
        except zlib.error:
            continue
    return b"".join(parts)


def names(content: bytes, text: str) -> bool:
    inflated = pdf_text(content)
    utf16 = text.encode("utf-16-be")
    forms = (text.encode(), utf16, utf16.hex().encode(), utf16.hex().upper().encode())
    return any(encoded in inflated for encoded in forms)


def test_the_division_pdf_has_a_card_per_pupil_and_each_pupil_their_own(lycee):
    cards = division_cards(division=lycee.division, period=lycee.period)

    whole = report_cards.cards_pdf(cards)
    each = report_cards.split_pdfs(cards)

    assert whole.startswith(b"%PDF")
    assert set(each) == {lycee.emma.pk, lycee.hugo.pk, lycee.lea.pk}
    for content in each.values():
        assert content.startswith(b"%PDF")
        assert len(content) < len(whole)
    for pupil in (lycee.emma, lycee.hugo, lycee.lea):
        others = {lycee.emma, lycee.hugo, lycee.lea} - {pupil}
        assert names(each[pupil.pk], pupil.sort_name)
        assert not any(names(each[pupil.pk], other.sort_name) for other in others)


def test_the_pdf_names_the_pupil_in_its_outline(lycee):
    cards = division_cards(division=lycee.division, period=lycee.period, pupil_ids=[lycee.hugo.pk])

    content = report_cards.cards_pdf(cards)

    # WeasyPrint writes the headings as the PDF's outline (bookmarks).
    assert content.startswith(b"%PDF")
    assert names(content, "LAMBERT Hugo")
    assert not names(content, "ROCHE Emma")


def test_issuing_keeps_one_pdf_per_pupil_and_marks_the_earlier_replaced(lycee):
    first = report_cards.report_cards_issue(
        actor=lycee.direction, division=lycee.division, period=lycee.period
    )
    again = report_cards.report_cards_issue(
        actor=lycee.direction, division=lycee.division, period=lycee.period
    )

    assert len(first) == len(again) == 3
    assert ReportCard.objects.filter(replaced=True).count() == 3
    current = ReportCard.objects.filter(replaced=False)
    assert {card.pupil_id for card in current} == {lycee.emma.pk, lycee.hugo.pk, lycee.lea.pk}
    for card in current:
        with card.document.open("rb") as document:
            assert document.read(4) == b"%PDF"


def test_only_the_direction_issues_report_cards(lycee):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        report_cards.report_cards_issue(
            actor=lycee.head, division=lycee.division, period=lycee.period
        )
    assert not ReportCard.objects.exists()
