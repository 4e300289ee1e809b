"""The division's table as CSV (French spreadsheets: BOM, semicolons, decimal commas)
and XLSX (numbers as numbers, rounded by the policy, one sheet per table); who may
download them; the bins of a distribution."""

import csv
import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils.http import urlencode
from openpyxl import load_workbook

from preau.grades import exports
from preau.grades.models import GradesPolicy
from preau.grades.selectors.book import class_book
from preau.grades.selectors.results import distribution
from tests.conftest import log_in
from tests.factories import GroupFactory, SubjectFactory, group_service, pupil_in
from tests.grades.test_results_school import ResultsSchool

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    school = ResultsSchool()
    school.worked_case()
    return school


def export_url(kind: str, **params) -> str:
    return f"{reverse(f'grades:results_{kind}')}?{urlencode(params)}"


def test_the_csv_opens_in_a_french_spreadsheet(client, school):
    log_in(client, school.roux)

    response = client.get(export_url("csv", classe=school.a3.pk, periode=school.t1.pk))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="resultats-3A-trimestre-1.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nom", "Prénom", "Français", "Maths", "Moyenne générale"]
    by_name = {row[1]: row for row in rows[1:4]}
    assert by_name["Alice"] == ["Arnaud", "Alice", "9,00", "10,67", "10,25"]
    assert by_name["Bruno"] == ["Bernard", "Bruno", "14,00", "5,33", "7,50"]
    assert by_name["Chloé"] == ["Clément", "Chloé", "11,00", "16,00", "14,75"]
    assert rows[4] == ["Moyenne de la classe", "", "11,33", "10,67", "10,83"]
    assert rows[5] == ["Moyenne la plus basse", "", "9,00", "5,33", "7,50"]
    assert rows[6] == ["Moyenne la plus haute", "", "14,00", "16,00", "14,75"]
    assert len(rows) == 7


def test_the_xlsx_holds_numbers_rounded_by_the_policy(client, school):
    GradesPolicy.objects.create(establishment=school.establishment, rounding_step="0.1")
    log_in(client, school.direction)

    response = client.get(export_url("xlsx", classe=school.a3.pk, periode=school.t1.pk))

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="resultats-3A-trimestre-1.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Élèves", "Matières"]
    pupils = workbook["Élèves"]
    assert [cell.value for cell in pupils[1]] == [
        "Nom",
        "Prénom",
        "Français",
        "Maths",
        "Moyenne générale",
    ]
    assert [cell.value for cell in pupils[2]] == ["Arnaud", "Alice", 9, 10.7, 10.3]
    assert pupils["D3"].value == 5.3
    assert pupils["D3"].number_format == "0.0"
    assert isinstance(pupils["E4"].value, float)
    assert pupils["E4"].value == 14.8
    assert [cell.value for cell in pupils[5]] == ["Moyenne de la classe", None, 11.3, 10.7, 10.8]
    subjects = workbook["Matières"]
    assert next(cell.value for cell in subjects[3]) == "Maths"
    assert [cell.value for cell in subjects[3]][2:] == [3, 3, 10.7, 5.3, 16]
    assert next(cell.value for cell in subjects[4]) == "Moyenne générale"


def test_a_pupil_without_an_average_has_an_empty_cell(school):
    newcomer = pupil_in(school.a3, first_name="Zoé", last_name="Zidane")
    book = class_book(division=school.a3, period=school.t1)

    table = exports.division_table(book)

    row = next(row for row in table.rows if row[0] == "Zidane")
    assert row == ["Zidane", "Zoé", None, None, None]
    text = exports.csv_bytes(table).decode("utf-8-sig")
    assert "Zidane;Zoé;;;\r\n" in text
    assert newcomer.pk in book.results.pupils


def test_exports_are_refused_outside_the_readers_divisions(client, school):
    log_in(client, school.roux)
    assert client.get(export_url("csv", classe=school.b3.pk)).status_code == 404
    assert client.get(export_url("xlsx", classe=school.b3.pk)).status_code == 404

    client.logout()
    log_in(client, school.parent)
    assert client.get(export_url("csv", classe=school.a3.pk)).status_code == 404

    client.logout()
    log_in(client, school.stranger)
    assert client.get(export_url("xlsx", classe=school.a3.pk)).status_code == 404


def test_file_names_keep_the_division_and_drop_accents():
    name = exports.file_name("résultats", "2de 4", "Semestre 1", extension="csv")
    assert name == "resultats-2de-4-semestre-1.csv"


def test_two_services_of_one_subject_get_distinct_columns(school):
    spanish = SubjectFactory(establishment=school.establishment, label="Espagnol")
    group_service(
        GroupFactory(school_year=school.year, name="ESP-1", divisions=[school.a3]),
        school.petit.person,
        subject=spanish,
    )
    group_service(
        GroupFactory(school_year=school.year, name="ESP-2", divisions=[school.a3]),
        school.roux.person,
        subject=spanish,
    )
    book = class_book(division=school.a3, period=school.t1)

    header = exports.division_table(book).header

    assert header[2:6] == ["Espagnol (ESP-1)", "Espagnol (ESP-2)", "Français", "Maths"]


@pytest.mark.parametrize(
    ("values", "counts"),
    [
        ([], [0, 0, 0, 0, 0, 0, 0]),
        ([None, None], [0, 0, 0, 0, 0, 0, 0]),
        ([0, Fraction(399, 100), 4, Decimal("9.99")], [2, 1, 1, 0, 0, 0, 0]),
        ([10, 12, 14, 16, 20], [0, 0, 0, 1, 1, 1, 2]),
        ([Decimal("19.75"), Decimal("15.5"), 8], [0, 0, 1, 0, 0, 1, 1]),
    ],
)
def test_distribution_bins(values, counts):
    bins = distribution(values)

    assert [(b.low, b.high) for b in bins] == [
        (0, 4),
        (4, 8),
        (8, 10),
        (10, 12),
        (12, 14),
        (14, 16),
        (16, 20),
    ]
    assert [b.count for b in bins] == counts
