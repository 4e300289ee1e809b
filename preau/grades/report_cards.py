"""Report cards (bulletins) as documents: the texts of a card rounded as the
establishment chose, the HTML and the PDF (WeasyPrint, as the attendance documents),
and issuing them — one PDF per pupil, kept under the media folder, never served
publicly (`views.councils.report_card_document` checks who asks).

A division's cards are laid out once: the PDF of the division is that layout, and
each pupil's PDF is the pages of their card, cut from it by the anchor at the top of
each card (`eleve-<id>`), so that issuing thirty cards costs one layout.
"""

import logging
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.attendance.documents import file_name
from preau.audit.services import audit_record
from preau.core.models import GradingPeriod
from preau.grades import engine, notices
from preau.grades.models import ReportCard
from preau.grades.selectors.report_cards import DivisionCards, PupilCard, division_cards
from preau.grades.services import directs
from preau.structure.models import Division

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF = "application/pdf"
TEMPLATE = "grades/report_cards/pdf/cards.html"


# -- Texts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiguresText:
    mean: str
    low: str
    high: str


@dataclass(frozen=True)
class LineText:
    label: str
    teachers: str
    coefficient: str
    average: str
    figures: FiguresText
    parts: list[tuple[str, str]]
    appraisal: str


def figures_text(figures: engine.Figures, rounding: engine.Rounding) -> FiguresText:
    return FiguresText(
        rounding.text(figures.mean), rounding.text(figures.low), rounding.text(figures.high)
    )


def coefficient_text(value: Fraction) -> str:
    return engine.decimal_text(value).replace(".", ",")


def lines_text(cards: DivisionCards, card: PupilCard) -> list[LineText]:
    rounding = cards.rounding
    return [
        LineText(
            label=line.label,
            teachers=", ".join(line.teachers),
            coefficient=coefficient_text(line.coefficient),
            average=rounding.text(line.average),
            figures=figures_text(line.figures, rounding),
            parts=[(part.label, rounding.text(part.average)) for part in line.parts],
            appraisal=line.appraisal.text if line.appraisal else "",
        )
        for line in card.lines
    ]


def card_context(cards: DivisionCards, card: PupilCard) -> dict:
    return {
        "card": card,
        "pupil": card.pupil,
        "lines": lines_text(cards, card),
        "general": cards.rounding.text(card.general),
        "general_figures": figures_text(cards.general_figures, cards.rounding),
    }


# -- Documents ---------------------------------------------------------------------------


def cards_html(cards: DivisionCards) -> str:
    """The division's cards, one after the other, each starting a page."""
    return render_to_string(
        TEMPLATE,
        {
            "cards": cards,
            "establishment": cards.establishment,
            "division": cards.division,
            "period": cards.period,
            "school_year": cards.period.school_year,
            "head_teachers": ", ".join(p.formal_name for p in cards.head_teachers),
            "items": [card_context(cards, card) for card in cards.cards],
            "today": timezone.localdate(),
        },
    )


def _layout(html: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=None).render()


def cards_pdf(cards: DivisionCards) -> bytes:
    """One PDF: every card of `cards` (one pupil or the whole division)."""
    return _layout(cards_html(cards)).write_pdf()


def split_pdfs(cards: DivisionCards) -> dict[int, bytes]:
    """Pupil id → the PDF of their card alone, from one layout of the division."""
    document = _layout(cards_html(cards))
    # A card's anchor is listed on every page the card spans: the first one starts it.
    starts: list[tuple[int, int]] = []
    seen: set[int] = set()
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("eleve-"):
                pupil_id = int(anchor.removeprefix("eleve-"))
                if pupil_id not in seen:
                    seen.add(pupil_id)
                    starts.append((index, pupil_id))
    pdfs = {}
    for number, (index, pupil_id) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(document.pages)
        pdfs[pupil_id] = document.copy(document.pages[index:end]).write_pdf()
    return pdfs


def download_name(cards: DivisionCards, card: PupilCard | None = None) -> str:
    parts = ["bulletin", cards.period.label, cards.division.name]
    if card is not None:
        parts += [card.pupil.last_name, card.pupil.first_name]
    return file_name(*parts, extension="pdf")


# -- Issuing ----------------------------------------------------------------------------


def report_cards_issue(*, actor, division: Division, period: GradingPeriod) -> list[ReportCard]:
    """Issues the period's report cards of the division (direction only): one PDF per
    pupil, kept; the cards issued before for the same pupils and period are marked
    replaced (they stay, as sent). The pupils and their guardians who may see report
    cards find them in their space."""
    if not directs(actor, division.establishment_id):
        raise PermissionDenied(_("Seule la direction publie les bulletins."))
    cards = division_cards(division=division, period=period)
    pdfs = split_pdfs(cards)
    person_id = getattr(actor, "person_id", None)
    issued = []
    with transaction.atomic():
        ReportCard.objects.filter(
            period=period, division=division, pupil_id__in=list(pdfs), replaced=False
        ).update(replaced=True)
        for card in cards.cards:
            content = pdfs.get(card.pupil.pk)
            if content is None:
                continue
            report_card = ReportCard(
                establishment_id=division.establishment_id,
                period=period,
                division=division,
                pupil=card.pupil,
                issued_by_id=person_id,
            )
            report_card.document.save(download_name(cards, card), ContentFile(content), save=False)
            report_card.save()
            issued.append(report_card)
        notices.create_notices(issued)
        notices.schedule()
        audit_record(
            actor=actor,
            action="grades.report_cards_issue",
            target=division,
            establishment=cards.establishment,
            after={"period": period.pk, "pupils": [card.pupil_id for card in issued]},
        )
    return issued
