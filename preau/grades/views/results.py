"""The analysis of results ("Résultats") for the direction and teachers: a division's
figures for a period per subject and per evaluation with their distributions, the
divisions of its level side by side, its periods one after the other, the pupils in
difficulty; the division's table as CSV and XLSX.

Open to the direction (every division of the establishment) and to teachers (the
divisions they teach or head: selectors.results.analysed_divisions); anybody else, and
any division outside that list, gets a logged 404. Every number comes from the book
(selectors/book.py, hence the engine), rounded by the establishment's policy; charts are
drawn on the server as SVG, each with the same figures in a table.
"""

from dataclasses import dataclass
from fractions import Fraction

from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from preau.core.access import StaffScope, refuse
from preau.core.selectors import today
from preau.grades import engine, exports
from preau.grades.access import policy_of
from preau.grades.models import EvaluationKind
from preau.grades.selectors import results as selectors
from preau.grades.selectors.book import class_book
from preau.grades.views.common import Choice, as_int, choose, render_page
from preau.portal.access import staff_page

results_page = staff_page(selectors.may_analyse)

CLASS = "classe"
COMPARISON = "comparaison"
EVOLUTION = "evolution"
DIFFICULTY = "difficulte"
VIEWS = [
    (CLASS, gettext_lazy("Matières et devoirs")),
    (COMPARISON, gettext_lazy("Comparaison des classes du niveau")),
    (EVOLUTION, gettext_lazy("Évolution sur l'année")),
    (DIFFICULTY, gettext_lazy("Élèves en difficulté")),
]

BRAND = "#1f4e8c"
BRAND_SOFT = "#e6eef8"


def _choice(request, scope: StaffScope) -> Choice:
    """The division asked for (`classe`) among those the reader analyses, or their
    first; the period asked for (`periode`) among the division's, else the current
    one; anything else is a logged 404."""
    return choose(request, request.GET, selectors.analysed_divisions(scope, today()), key="classe")


def _threshold(request) -> tuple[Fraction, str]:
    raw = request.GET.get("seuil", "").strip()
    if not raw:
        return selectors.DEFAULT_THRESHOLD, ""
    try:
        value = engine.to_fraction(raw)
    except engine.MarkError:
        value = None
    if value is None or not 0 <= value <= 20:
        return selectors.DEFAULT_THRESHOLD, _(
            "Seuil illisible (un nombre entre 0 et 20 est attendu) : le seuil est 10."
        )
    return value, ""


# -- Charts drawn on the server --------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    cx: float


@dataclass(frozen=True)
class Histogram:
    """Bars of a distribution: one per bin, the height its count."""

    id: str
    title: str
    description: str
    bars: list[Bar]
    width: int
    height: int
    left: int
    baseline: float
    ticks: list[tuple[float, int]]


def histogram(identifier: str, title: str, bins: list[selectors.Bin]) -> Histogram:
    width, height, left, bottom, top_pad = 272, 150, 22, 24, 16
    top = max([b.count for b in bins] + [1])
    plot = height - bottom - top_pad
    slot = (width - left - 4) / len(bins)
    bars = []
    for index, item in enumerate(bins):
        bar_height = plot * item.count / top
        bars.append(
            Bar(
                label=item.label,
                count=item.count,
                x=round(left + index * slot + slot * 0.12, 1),
                y=round(top_pad + plot - bar_height, 1),
                width=round(slot * 0.76, 1),
                height=round(bar_height, 1),
                cx=round(left + index * slot + slot / 2, 1),
            )
        )
    ticks = sorted({(round(top_pad + plot - plot * n / top, 1), n) for n in (0, top)})
    description = " ; ".join(
        _("%(bin)s : %(count)s") % {"bin": item.label, "count": item.count} for item in bins
    )
    return Histogram(
        id=identifier,
        title=title,
        description=description,
        bars=bars,
        width=width,
        height=height,
        left=left,
        baseline=top_pad + plot,
        ticks=ticks,
    )


@dataclass(frozen=True)
class Line:
    """A small line of class means across periods (the values are in the table)."""

    points: str
    dots: list[tuple[float, float]]
    width: int
    height: int
    # The height of 10/20, drawn as a guide.
    middle: float


def sparkline(values: list[Fraction | None]) -> Line:
    width, height, pad = 120, 36, 4
    step = (width - 2 * pad) / max(1, len(values) - 1)
    dots = [
        (
            round(pad + index * step, 1),
            round(height - pad - (height - 2 * pad) * float(value) / 20, 1),
        )
        for index, value in enumerate(values)
        if value is not None
    ]
    middle = round(height - pad - (height - 2 * pad) / 2, 1)
    return Line(" ".join(f"{x},{y}" for x, y in dots), dots, width, height, middle)


def bar_width(value: Fraction | None, full: int = 100) -> float:
    return 0.0 if value is None else round(float(value) * full / 20, 1)


# -- The page --------------------------------------------------------------------------------


def _url(choice: Choice, view: str, **extra) -> str:
    params = {"classe": choice.division.pk, "periode": choice.period.pk, "vue": view}
    params.update({key: value for key, value in extra.items() if value not in (None, "")})
    return f"{reverse('grades:results')}?{urlencode(params)}"


@dataclass(frozen=True)
class FiguresText:
    """Class figures as the page writes them (policy rounding, French comma)."""

    mean: str
    low: str
    high: str
    count: int


def figures_text(rounding: engine.Rounding, figures: engine.Figures | None) -> FiguresText:
    if figures is None:
        return FiguresText("—", "—", "—", 0)
    return FiguresText(
        rounding.text(figures.mean),
        rounding.text(figures.low),
        rounding.text(figures.high),
        figures.count,
    )


def _number(value: Fraction) -> str:
    return engine.decimal_text(value).replace(".", ",")


def _signed(rounding: engine.Rounding, value: Fraction | None) -> str:
    if value is None:
        return "—"
    text = rounding.text(abs(value))
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return text


def _class_context(request, choice: Choice, policy) -> dict:
    rounding = policy.rounding
    book = class_book(division=choice.division, period=choice.period, policy=policy)
    asked = request.GET.get("matiere")
    service_id = as_int(asked)
    if asked and service_id not in {service.pk for service in book.services}:
        raise refuse(request, "service", asked)
    found = selectors.division_results(book, service_id=service_id)
    subjects = [
        {
            "row": row,
            "coefficient": _number(row.coefficient),
            "figures": figures_text(rounding, row.figures),
            "chart": histogram(f"chart-subject-{row.service.pk}", row.label, row.bins),
            "url": _url(choice, CLASS, matiere=row.service.pk) + "#devoirs",
            "chosen": found.service is not None and row.service.pk == found.service.pk,
        }
        for row in found.subjects
    ]
    kinds = dict(EvaluationKind.choices)
    evaluations = [
        {
            "row": row,
            "scale": _number(engine.Fraction(row.evaluation.scale)),
            "coefficient": _number(engine.Fraction(row.evaluation.coefficient)),
            "kind": kinds.get(row.evaluation.kind, row.evaluation.kind),
            "figures": figures_text(rounding, row.figures),
            "on_20": FiguresText(
                rounding.text(row.mean_20),
                rounding.text(row.low_20),
                rounding.text(row.high_20),
                row.figures.count,
            ),
            "chart": histogram(
                f"chart-evaluation-{row.evaluation.pk}", row.evaluation.title, row.bins
            ),
        }
        for row in found.evaluations
    ]
    return {
        "found": found,
        "subjects": subjects,
        "general": figures_text(rounding, found.general),
        "general_chart": histogram("chart-general", _("Moyenne générale"), found.general_bins),
        "bins": selectors.BINS,
        "evaluations": evaluations,
        "all_subjects_url": _url(choice, CLASS),
    }


def _comparison_context(choice: Choice, policy) -> dict:
    rounding = policy.rounding
    comparison = selectors.level_comparison(
        division=choice.division, period=choice.period, divisions=choice.divisions, policy=policy
    )

    def cell(figures):
        return {
            "text": figures_text(rounding, figures),
            "width": bar_width(figures.mean if figures else None),
        }

    return {
        "comparison": comparison,
        "comparison_rows": [
            {"label": row.label, "cells": [cell(figures) for figures in row.cells]}
            for row in comparison.rows
        ],
        "comparison_general": [cell(figures) for figures in comparison.general],
    }


def _evolution_context(choice: Choice, policy) -> dict:
    rounding = policy.rounding
    found = selectors.evolution(division=choice.division, periods=choice.periods, policy=policy)
    return {
        "evolution": found,
        "evolution_rows": [
            {
                "label": row.label,
                "cells": [rounding.text(mean) for mean in row.means],
                "line": sparkline(row.means),
            }
            for row in found.rows
        ],
        "evolution_general": {
            "cells": [rounding.text(mean) for mean in found.general],
            "line": sparkline(found.general),
        },
    }


def _difficulty_context(request, choice: Choice, policy) -> dict:
    rounding = policy.rounding
    threshold, error = _threshold(request)
    book = class_book(division=choice.division, period=choice.period, policy=policy)
    before = selectors.previous_period(choice.periods, choice.period)
    previous = (
        class_book(division=choice.division, period=before, policy=policy) if before else None
    )
    found = selectors.pupils_in_difficulty(book, previous, threshold=threshold)
    return {
        "difficulties": [
            {
                "item": item,
                "general": rounding.text(item.general),
                "previous": rounding.text(item.previous),
                "change": _signed(rounding, item.change),
                "weak": [f"{label} ({rounding.text(value)})" for label, value in item.weak],
            }
            for item in found
        ],
        "threshold": threshold,
        "threshold_text": _number(threshold),
        "threshold_error": error,
        "previous_period": before,
        "drop": _number(selectors.DROP),
    }


@results_page
def results(request, *, scope):
    """The analysis page: a division and a period, and one of four views."""
    choice = _choice(request, scope)
    view = request.GET.get("vue", CLASS)
    if view not in dict(VIEWS):
        view = CLASS
    context = {"choice": choice, "view": view, "views": VIEWS}
    if choice.division is not None and choice.period is not None:
        policy = policy_of(scope.establishment_id)
        context["rounding"] = policy.rounding
        context["view_links"] = [
            (key, label, _url(choice, key, seuil=request.GET.get("seuil"))) for key, label in VIEWS
        ]
        context["exports"] = {
            "csv": _export_url("grades:results_csv", choice),
            "xlsx": _export_url("grades:results_xlsx", choice),
        }
        if view == CLASS:
            context.update(_class_context(request, choice, policy))
        elif view == COMPARISON:
            context.update(_comparison_context(choice, policy))
        elif view == EVOLUTION:
            context.update(_evolution_context(choice, policy))
        else:
            context.update(_difficulty_context(request, choice, policy))
    return render_page(request, "grades/results/page.html", context)


def _export_url(name: str, choice: Choice) -> str:
    params = {"classe": choice.division.pk, "periode": choice.period.pk}
    return f"{reverse(name)}?{urlencode(params)}"


# -- Exports ---------------------------------------------------------------------------------


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Named pupils' averages: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


def _export_book(request, scope):
    choice = _choice(request, scope)
    if choice.division is None or choice.period is None:
        raise refuse(request, "division", request.GET.get("classe"))
    policy = policy_of(scope.establishment_id)
    return class_book(division=choice.division, period=choice.period, policy=policy)


@results_page
def results_csv(request, *, scope):
    """The division's table (a row per pupil, the class figures last) as CSV."""
    book = _export_book(request, scope)
    name = exports.file_name("resultats", book.division.name, book.period.label, extension="csv")
    return _download(exports.csv_bytes(exports.division_table(book)), exports.CSV, name)


@results_page
def results_xlsx(request, *, scope):
    """The division's table and its subjects' figures, one sheet each."""
    book = _export_book(request, scope)
    name = exports.file_name("resultats", book.division.name, book.period.label, extension="xlsx")
    content = exports.xlsx_bytes([exports.division_table(book), exports.subjects_table(book)])
    return _download(content, exports.XLSX, name)


patterns = [
    path("resultats/", results, name="results"),
    path("resultats/export.csv", results_csv, name="results_csv"),
    path("resultats/export.xlsx", results_xlsx, name="results_xlsx"),
]
