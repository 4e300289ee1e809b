"""Tables of results for spreadsheets: a division's averages for a period, as CSV (what
French spreadsheets open: UTF-8 with a byte-order mark, semicolons, decimal commas) and
as XLSX (numbers as numbers, rounded by the establishment's policy, one sheet per
table).

The tables are built from a `ClassBook` (selectors/book.py): every figure is the
engine's, rounded only here, for the file. Report cards and other exports reuse
`Table`, `csv_bytes` and `xlsx_bytes`.
"""

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from preau.grades import engine
from preau.grades.selectors.book import ClassBook
from preau.structure.models import TeachingService

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell: text, a whole number, a rounded number (Decimal) or nothing.
Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Table:
    """One table of a file: a header row, then rows of cells. `title` names its sheet."""

    title: str
    header: list[str]
    rows: list[list[Cell]]
    # Decimals of the rounded numbers (the number format of an XLSX sheet).
    places: int = 2


def column_labels(services: Sequence[TeachingService]) -> dict[int, str]:
    """A column name per service: the subject, with its group when another service of
    the book has the subject (two language groups; a division has one service per
    subject)."""
    counts = Counter(service.subject.label for service in services)
    return {
        service.pk: service.subject.label
        if counts[service.subject.label] == 1
        else f"{service.subject.label} ({service.audience_name})"
        for service in services
    }


def places_of(rounding: engine.Rounding) -> int:
    return max(0, -rounding.step.normalize().as_tuple().exponent)


def rounded(rounding: engine.Rounding, value: Fraction | None) -> Decimal | None:
    return None if value is None else rounding.apply(value)


def division_table(book: ClassBook) -> Table:
    """One row per pupil (name, each subject average, general average), then the class
    figures: mean, lowest and highest."""
    rounding = book.rounding
    labels = column_labels(book.services)
    header = [
        _("Nom"),
        _("Prénom"),
        *(labels[service.pk] for service in book.services),
        _("Moyenne générale"),
    ]
    rows: list[list[Cell]] = []
    for pupil in book.pupils:
        results = book.results.pupils[pupil.pk]
        rows.append(
            [
                pupil.last_name,
                pupil.first_name,
                *(
                    rounded(rounding, results.subjects[service.pk].value)
                    for service in book.services
                ),
                rounded(rounding, results.general.value),
            ]
        )
    figures = [book.results.subjects[service.pk] for service in book.services]
    figures.append(book.results.general)
    for label, attribute in (
        (_("Moyenne de la classe"), "mean"),
        (_("Moyenne la plus basse"), "low"),
        (_("Moyenne la plus haute"), "high"),
    ):
        rows.append([label, "", *(rounded(rounding, getattr(item, attribute)) for item in figures)])
    return Table(_("Élèves"), header, rows, places_of(rounding))


def subjects_table(book: ClassBook) -> Table:
    """One row per subject: teachers, coefficient, pupils with an average, class mean,
    lowest and highest; then the general average."""
    rounding = book.rounding
    labels = column_labels(book.services)
    header = [
        _("Matière"),
        _("Enseignants"),
        _("Coefficient"),
        _("Élèves ayant une moyenne"),
        _("Moyenne de la classe"),
        _("Moyenne la plus basse"),
        _("Moyenne la plus haute"),
    ]
    rows: list[list[Cell]] = []
    for service in book.services:
        figures = book.results.subjects[service.pk]
        rows.append(
            [
                labels[service.pk],
                ", ".join(teacher.display_name for teacher in service.teachers.all()),
                # Coefficients are decimals as typed (DecimalField): written exactly.
                Decimal(engine.decimal_text(book.coefficients[service.pk])),
                figures.count,
                rounded(rounding, figures.mean),
                rounded(rounding, figures.low),
                rounded(rounding, figures.high),
            ]
        )
    general = book.results.general
    rows.append(
        [
            _("Moyenne générale"),
            "",
            None,
            general.count,
            rounded(rounding, general.mean),
            rounded(rounding, general.low),
            rounded(rounding, general.high),
        ]
    )
    return Table(_("Matières"), header, rows, places_of(rounding))


# A text cell starting with one of these is a formula to a spreadsheet: it is written
# behind an apostrophe, which spreadsheets show as text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    return _csv_text(str(value))


def csv_bytes(table: Table) -> bytes:
    """The table as French spreadsheets open it: UTF-8 with a BOM (Excel then reads the
    accents), semicolons, decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_text(str(value)) for value in table.header])
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


# Characters a sheet name may not hold (Excel's rule), and its longest length.
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
_SHEET_LENGTH = 31


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table: a bold header row, numbers as numbers with
    the policy's decimals, empty cells for "no average"."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        title = table.title.translate(_SHEET_FORBIDDEN)[:_SHEET_LENGTH] or "Feuille"
        base, number = title, 2
        while title in used:
            suffix = f" ({number})"
            title = base[: _SHEET_LENGTH - len(suffix)] + suffix
            number += 1
        used.add(title)
        sheet = workbook.create_sheet(title)
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            if cell.data_type == "f":
                cell.data_type = "s"
        number_format = "0." + "0" * table.places if table.places else "0"
        for row in table.rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = number_format
                elif isinstance(cell.value, str) and cell.data_type == "f":
                    # openpyxl takes any text starting with "=" for a formula: a name
                    # or a label stays the text it is.
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for index, heading in enumerate(table.header, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, len(str(heading)) + 2))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def file_name(prefix: str, division: str, period: str, *, extension: str) -> str:
    """ "resultats-3A-trimestre-1.csv": no spaces nor accents; the division's name keeps
    its case (3A), the rest is lower case."""

    def ascii_part(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        safe = "".join(c if c.isalnum() else "-" for c in plain)
        return "-".join(piece for piece in safe.split("-") if piece)

    parts = [ascii_part(prefix).lower(), ascii_part(division), ascii_part(period).lower()]
    return "-".join(part for part in parts if part) + f".{extension}"
