"""`manage.py grades_calc`: the worked cases, the example of interfaces.md and
held-out style documents (values computed by hand here), read from a file or from
standard input; errors name the element at fault and exit non-zero."""

import io
import json
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def run(document, tmp_path, *, name="input.json") -> dict:
    """The command's JSON output for `document`, read from a file."""
    path = tmp_path / name
    path.write_text(
        document if isinstance(document, str) else json.dumps(document), encoding="utf-8"
    )
    out = io.StringIO()
    call_command("grades_calc", str(path), stdout=out)
    return json.loads(out.getvalue())


def run_stdin(document, monkeypatch) -> dict:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(document)))
    out = io.StringIO()
    call_command("grades_calc", stdout=out)
    return json.loads(out.getvalue())


def exact(text: str | None) -> F | None:
    """An `exact` (or figure) string read back: a decimal with at least 6 decimals, or
    N/D."""
    if text is None:
        return None
    if "/" not in text:
        _whole, dot, decimals = text.partition(".")
        assert dot, text
        assert len(decimals) >= 6, text
    return F(text)


def one_subject(evaluations, **subject) -> dict:
    return {"subjects": [{"code": "S", "evaluations": evaluations, **subject}]}


# -- The worked cases of grades.md ------------------------------------------------------------


def _ev(i, mark, scale=20, coefficient=1, ramene=True, kind="normal"):
    return {
        "id": f"e{i}",
        "scale": scale,
        "coefficient": coefficient,
        "ramener_sur_20": ramene,
        "kind": kind,
        "marks": {"p": mark},
    }


def row(mark, scale=20, coefficient=1, ramene=True, kind="normal"):
    return (mark, scale, coefficient, ramene, kind)


WORKED = [
    ([row("18"), row("3", 10), row("1", 5)], F(28, 3), "9.33"),
    (
        [row("18", ramene=False), row("3", 10, ramene=False), row("1", 5, ramene=False)],
        F(88, 7),
        "12.57",
    ),
    ([row("12"), row("16"), row("17", kind="bonus")], F(35, 2), "17.5"),
    ([row("12"), row("16"), row("8", kind="bonus")], F(14), "14"),
    ([row("10"), row("16", kind="optional"), row("12", kind="optional")], F(13), "13"),
    ([row("15", coefficient=2), row("ABS"), row("ABS0")], F(10), "10"),
    ([row("14", coefficient=0)], None, None),
]


@pytest.mark.parametrize(("rows", "expected", "rounded"), WORKED)
def test_worked_cases_from_a_file(rows, expected, rounded, tmp_path):
    document = one_subject([_ev(i, *row) for i, row in enumerate(rows)])
    result = run(document, tmp_path)
    subject = result["pupils"]["p"]["subjects"]["S"]
    assert exact(subject["exact"]) == expected
    assert subject["average"] == rounded
    assert exact(result["pupils"]["p"]["general"]["exact"]) == expected


@pytest.mark.parametrize(("rows", "expected", "rounded"), WORKED)
def test_worked_cases_from_standard_input_with_numbers(rows, expected, rounded, monkeypatch):
    # Numbers as JSON numbers where they are numbers.
    evaluations = []
    for i, (mark, scale, coefficient, ramene, kind) in enumerate(rows):
        value = int(mark) if mark.isdigit() else mark
        evaluations.append(_ev(i, value, scale, coefficient, ramene, kind))
    result = run_stdin(one_subject(evaluations), monkeypatch)
    assert exact(result["pupils"]["p"]["subjects"]["S"]["exact"]) == expected


def test_the_example_of_interfaces_md(tmp_path):
    document = {
        "rounding": {"step": "0.01", "mode": "nearest"},
        "subjects": [
            {
                "code": "ANG",
                "coefficient": 2,
                "subsubjects": [
                    {"code": "ECRIT", "coefficient": 2},
                    {"code": "ORAL", "coefficient": 1},
                ],
                "evaluations": [
                    {
                        "id": "e1",
                        "subsubject": "ECRIT",
                        "scale": 20,
                        "coefficient": 1,
                        "ramener_sur_20": True,
                        "kind": "normal",
                        "marks": {"p1": "15.5", "p2": "ABS", "p3": "ABS0"},
                    }
                ],
            }
        ],
    }
    result = run(document, tmp_path)
    assert set(result) == {"pupils", "evaluations", "subjects"}
    assert result["pupils"]["p1"] == {
        "subjects": {"ANG": {"average": "15.5", "exact": "15.500000"}},
        "general": {"average": "15.5", "exact": "15.500000"},
    }
    # ABS only: no average, which is null (not 0).
    assert result["pupils"]["p2"] == {
        "subjects": {"ANG": {"average": None, "exact": None}},
        "general": {"average": None, "exact": None},
    }
    assert result["pupils"]["p3"]["subjects"]["ANG"] == {"average": "0", "exact": "0.000000"}
    assert result["evaluations"] == {
        "e1": {"mean": "7.750000", "min": "0.000000", "max": "15.500000", "count": 2}
    }
    assert result["subjects"] == {
        "ANG": {"mean": "7.750000", "min": "0.000000", "max": "15.500000", "count": 2}
    }


def test_a_value_with_no_finite_decimal_writing_is_exact_as_a_fraction(tmp_path):
    result = run(one_subject([_ev(0, "10"), _ev(1, "10"), _ev(2, "11")]), tmp_path)
    assert result["pupils"]["p"]["subjects"]["S"] == {"average": "10.33", "exact": "31/3"}
    assert result["subjects"]["S"]["mean"] == "31/3"


def test_an_evaluation_without_counted_marks_has_null_figures(tmp_path):
    result = run(one_subject([_ev(0, "ABS"), {"id": "empty"}]), tmp_path)
    assert result["evaluations"]["e0"] == {"mean": None, "min": None, "max": None, "count": 0}
    assert result["evaluations"]["empty"]["count"] == 0
    assert result["subjects"]["S"] == {"mean": None, "min": None, "max": None, "count": 0}


def test_defaults_scale_20_coefficient_1_ramene_normal(tmp_path):
    document = {"subjects": [{"code": "S", "evaluations": [{"id": "a", "marks": {"p": "12,5"}}]}]}
    assert run(document, tmp_path)["pupils"]["p"]["subjects"]["S"]["exact"] == "12.500000"


@pytest.mark.parametrize(
    ("step", "mode", "expected"),
    [
        ("0.01", "nearest", "12.35"),
        ("0.01", "up", "12.35"),
        ("0.1", "nearest", "12.3"),
        ("0.1", "up", "12.4"),
        ("0.5", "nearest", "12.5"),
        ("0.5", "up", "12.5"),
        ("1", "nearest", "12"),
        ("1", "up", "13"),
        (0.5, "up", "12.5"),
        (1, "up", "13"),
    ],
)
def test_rounding_of_the_average(step, mode, expected, tmp_path):
    # 12 (coefficient 0.31) and 12.5 (coefficient 0.69): exactly 12.345.
    document = {
        "rounding": {"step": step, "mode": mode},
        **one_subject([_ev(0, "12", coefficient="0.31"), _ev(1, "12.5", coefficient="0.69")]),
    }
    result = run(document, tmp_path)
    assert result["pupils"]["p"]["subjects"]["S"]["exact"] == "12.345000"
    assert result["pupils"]["p"]["subjects"]["S"]["average"] == expected


# -- Held-out style documents ---------------------------------------------------------------------


def test_several_subjects_with_sub_subjects_scales_optional_and_bonus(tmp_path, monkeypatch):
    document = {
        "rounding": {"step": "0.5", "mode": "up"},
        "subjects": [
            {
                "code": "FR",
                "coefficient": 3,
                "evaluations": [
                    {"id": "f1", "scale": 20, "coefficient": 2,
                     "marks": {"p1": "14", "p2": "9,5", "p3": "ABS"}},
                    # Out of 40, not ramené: weight 2.
                    {"id": "f2", "scale": 40, "coefficient": 1, "ramener_sur_20": False,
                     "marks": {"p1": "30", "p2": "NR0", "p3": "20"}},
                    {"id": "f3", "kind": "optional",
                     "marks": {"p1": "18", "p2": "8", "p3": "12"}},
                    # Out of 10 (ramené): x = 14, 8, 18.
                    {"id": "f4", "kind": "bonus", "scale": "10",
                     "marks": {"p1": "7", "p2": "4", "p3": "9"}},
                ],
            },
            {
                "code": "MATH",
                "coefficient": "2",
                "subsubjects": [
                    {"code": "CALC", "coefficient": 2},
                    {"code": "GEO", "coefficient": 1},
                ],
                "evaluations": [
                    {"id": "m1", "subsubject": "CALC", "scale": 10,
                     "marks": {"p1": "8", "p2": "5", "p3": "DISP"}},
                    {"id": "m2", "subsubject": "CALC", "coefficient": 3,
                     "marks": {"p1": "12", "p2": "11", "p3": "15"}},
                    {"id": "m3", "subsubject": "GEO", "scale": 40, "ramener_sur_20": False,
                     "marks": {"p1": "20", "p2": "ABS", "p3": "36"}},
                    {"id": "m4", "subsubject": "GEO",
                     "marks": {"p1": "16", "p2": "nn", "p3": "INAP"}},
                ],
            },
            {
                "code": "EPS",
                "coefficient": 0,
                "evaluations": [{"id": "s1", "marks": {"p1": "18", "p2": "12"}}],
            },
        ],
    }  # fmt: skip
    # FR. p1: normal (2·14 + 2·15)/4 = 14.5; optional 18 raises → 76/5; bonus +4 → 80/5.
    #     p2: normal (2·9.5 + 2·0)/4 = 4.75; optional 8 raises → 27/5; bonus 8 → nothing.
    #     p3: normal (2·10)/2 = 10; optional 12 raises → 32/3; bonus 18 → +8 → 40/3.
    fr = {"p1": F(16), "p2": F(27, 5), "p3": F(40, 3)}
    # MATH. p1: CALC (16 + 3·12)/4 = 13, GEO (2·10 + 16)/3 = 12 → (2·13 + 12)/3.
    #       p2: CALC (10 + 3·11)/4 = 43/4, GEO nothing → 43/4.
    #       p3: CALC 15, GEO 18 → (2·15 + 18)/3 = 16.
    math = {"p1": F(38, 3), "p2": F(43, 4), "p3": F(16)}
    eps = {"p1": F(18), "p2": F(12), "p3": None}
    general = {p: (3 * fr[p] + 2 * math[p]) / 5 for p in fr}
    assert general == {"p1": F(44, 3), "p2": F(377, 50), "p3": F(72, 5)}

    for result in (run(document, tmp_path), run_stdin(document, monkeypatch)):
        pupils = result["pupils"]
        for pupil in ("p1", "p2", "p3"):
            subjects = pupils[pupil]["subjects"]
            assert exact(subjects["FR"]["exact"]) == fr[pupil]
            assert exact(subjects["MATH"]["exact"]) == math[pupil]
            assert exact(subjects["EPS"]["exact"]) == eps[pupil]
            assert exact(pupils[pupil]["general"]["exact"]) == general[pupil]
        # Rounded to the half point above.
        assert [pupils[p]["subjects"]["FR"]["average"] for p in ("p1", "p2", "p3")] == [
            "16",
            "5.5",
            "13.5",
        ]
        assert [pupils[p]["subjects"]["MATH"]["average"] for p in ("p1", "p2", "p3")] == [
            "13",
            "11",
            "16",
        ]
        assert pupils["p3"]["subjects"]["EPS"] == {"average": None, "exact": None}
        assert [pupils[p]["general"]["average"] for p in ("p1", "p2", "p3")] == [
            "15",
            "8",
            "14.5",
        ]
        figures = result["evaluations"]
        assert figures["f1"] == {
            "mean": "11.750000", "min": "9.500000", "max": "14.000000", "count": 2
        }  # fmt: skip
        # On its own scale (/40), NR0 counted zero.
        assert {k: exact(v) if k != "count" else v for k, v in figures["f2"].items()} == {
            "mean": F(50, 3), "min": F(0), "max": F(30), "count": 3
        }  # fmt: skip
        assert figures["m3"] == {
            "mean": "28.000000", "min": "20.000000", "max": "36.000000", "count": 2
        }  # fmt: skip
        assert figures["m4"]["count"] == 1
        assert exact(figures["f4"]["mean"]) == F(20, 3)
        subjects = result["subjects"]
        assert exact(subjects["FR"]["mean"]) == sum(fr.values()) / 3
        assert exact(subjects["FR"]["min"]) == F(27, 5)
        assert exact(subjects["FR"]["max"]) == F(16)
        assert subjects["FR"]["count"] == 3
        assert exact(subjects["MATH"]["mean"]) == sum(math.values()) / 3
        assert subjects["EPS"] == {
            "mean": "15.000000", "min": "12.000000", "max": "18.000000", "count": 2
        }  # fmt: skip


def test_scale_10_not_ramene_with_optional_and_bonus_and_the_cap(tmp_path):
    document = one_subject(
        [
            # Out of 10, not ramené, coefficient 2: weight 1.
            {"id": "a", "scale": 10, "coefficient": 2, "ramener_sur_20": False,
             "marks": {"p1": "7.5", "p2": "10"}},
            {"id": "b", "marks": {"p1": "11", "p2": "20"}},
            # Optional out of 10, not ramené, coefficient 1: weight 1/2.
            {"id": "c", "kind": "optional", "scale": 10, "ramener_sur_20": False,
             "marks": {"p1": "9", "p2": "10", "p3": "ABS"}},
            {"id": "d", "kind": "optional", "marks": {"p1": "13", "p2": "20", "p3": "8"}},
            {"id": "e", "kind": "bonus", "coefficient": 2,
             "marks": {"p1": "15", "p2": "20", "p3": "12", "p4": "19"}},
        ]
    )  # fmt: skip
    # p1: normal (15 + 11)/2 = 13; optional 18 (w 1/2) raises → 35/2.5 = 14; optional 13
    #     does not raise 14; bonus 2·(15 − 10) = 10 → 45/2.5 = 18.
    # p2: normal 20; optional 20 does not raise 20; bonus +20 → 30, capped at 20.
    # p3: no normal: optional 8 starts; bonus 2·2 → 12.
    # p4: a bonus alone: no average.
    result = run(document, tmp_path)
    averages = {p: result["pupils"][p]["subjects"]["S"] for p in ("p1", "p2", "p3", "p4")}
    assert averages == {
        "p1": {"average": "18", "exact": "18.000000"},
        "p2": {"average": "20", "exact": "20.000000"},
        "p3": {"average": "12", "exact": "12.000000"},
        "p4": {"average": None, "exact": None},
    }
    assert result["pupils"]["p4"]["general"] == {"average": None, "exact": None}
    assert result["subjects"]["S"]["count"] == 3
    assert exact(result["subjects"]["S"]["mean"]) == F(50, 3)
    assert result["evaluations"]["e"]["count"] == 4


def test_scale_40_not_ramene_weighs_twice(tmp_path):
    document = one_subject(
        [
            {"id": "a", "scale": 40, "ramener_sur_20": False, "marks": {"p": "30"}},
            {"id": "b", "marks": {"p": "9"}},
            {"id": "c", "scale": "12.5", "coefficient": "0.5", "marks": {"p": "10"}},
        ]
    )
    # (2·15 + 1·9 + 0.5·16) / 3.5 = 47/3.5
    result = run(document, tmp_path)
    assert exact(result["pupils"]["p"]["subjects"]["S"]["exact"]) == F(94, 7)
    assert result["pupils"]["p"]["subjects"]["S"]["average"] == "13.43"


def test_subject_coefficients_and_a_subject_without_average(tmp_path):
    document = {
        "subjects": [
            {"code": "A", "coefficient": "1.5", "evaluations": [{"id": "a", "marks": {"p": "10"}}]},
            {"code": "B", "coefficient": 4, "evaluations": [{"id": "b", "marks": {"p": "ABS"}}]},
            {"code": "C", "coefficient": 0.5, "evaluations": [{"id": "c", "marks": {"p": "16"}}]},
        ]
    }
    result = run(document, tmp_path)
    # (1.5·10 + 0.5·16)/2 = 11.5; B left out.
    assert result["pupils"]["p"]["general"] == {"average": "11.5", "exact": "11.500000"}


def test_marks_without_a_sub_subject_in_a_subject_that_has_some(tmp_path):
    document = {
        "subjects": [
            {
                "code": "S",
                "subsubjects": [{"code": "O", "coefficient": 3}],
                "evaluations": [
                    {"id": "a", "subsubject": "O", "marks": {"p": "10"}},
                    {"id": "b", "marks": {"p": "18"}},
                ],
            }
        ]
    }
    # The marks without a sub-subject form a part of coefficient 1: (3·10 + 18)/4.
    result = run(document, tmp_path)
    assert result["pupils"]["p"]["subjects"]["S"]["exact"] == "12.000000"


# -- Errors --------------------------------------------------------------------------------------


def fails(document, tmp_path) -> str:
    with pytest.raises(CommandError) as caught:
        run(document, tmp_path)
    assert caught.value.returncode != 0
    return str(caught.value)


@pytest.mark.parametrize(
    ("evaluation", "where", "why"),
    [
        ({"scale": 0}, "subjects[0].evaluations[0].scale", "above 0"),
        ({"scale": 150}, "subjects[0].evaluations[0].scale", "at most 100"),
        ({"scale": "vingt"}, "subjects[0].evaluations[0].scale", "not a number"),
        ({"coefficient": 100}, "subjects[0].evaluations[0].coefficient", "between 0 and 99"),
        ({"coefficient": -1}, "subjects[0].evaluations[0].coefficient", "between 0 and 99"),
        ({"kind": "bonus+"}, "subjects[0].evaluations[0].kind", "normal, optional or bonus"),
        ({"kind": ["normal"]}, "subjects[0].evaluations[0].kind", "normal, optional or bonus"),
        ({"subsubject": "ORAL"}, "subjects[0].evaluations[0].subsubject", "'ORAL'"),
        ({"ramener_sur_20": "oui"}, "subjects[0].evaluations[0].ramener_sur_20", "true or false"),
        ({"marks": {"p1": "21"}}, "subjects[0].evaluations[0].marks.p1", "dépasse le barème"),
        ({"marks": {"p1": "XYZ"}}, "subjects[0].evaluations[0].marks.p1", "ni une note"),
        ({"marks": {"p1": True}}, "subjects[0].evaluations[0].marks.p1", "not a number"),
        ({"marks": ["15"]}, "subjects[0].evaluations[0].marks", "pupil → mark"),
    ],
)
def test_errors_name_the_element(evaluation, where, why, tmp_path):
    message = fails(one_subject([{"id": "e1", "marks": {"p1": "12"}} | evaluation]), tmp_path)
    assert where in message
    assert why in message
    assert "input.json" in message


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ([], "the document must be a JSON object"),
        ({}, "subjects: a list is expected"),
        ({"subjects": [{"coefficient": 1}]}, "subjects[0]: an object with a code"),
        ({"subjects": [{"code": "A", "coefficient": 120}]}, "subjects[0].coefficient"),
        ({"subjects": [{"code": "A"}, {"code": "A"}]}, "subjects[1].code"),
        ({"subjects": [{"code": "A", "evaluations": {"id": "e"}}]}, "subjects[0].evaluations"),
        ({"subjects": [{"code": "A", "subsubjects": 3}]}, "subjects[0].subsubjects"),
        (
            {"subjects": [{"code": "A", "subsubjects": [{"code": "O", "coefficient": 100}]}]},
            "subjects[0].subsubjects[0].coefficient",
        ),
        (
            {"subjects": [{"code": "A", "evaluations": [{"marks": {}}]}]},
            "evaluations[0]: an object with an id",
        ),
        (
            {"subjects": [{"code": "A", "evaluations": [{"id": "e"}]},
                          {"code": "B", "evaluations": [{"id": "e"}]}]},
            "subjects[1].evaluations[0].id",
        ),
        ({"rounding": {"step": "0.2"}, "subjects": []}, "rounding.step"),
        ({"rounding": {"step": "x"}, "subjects": []}, "rounding.step"),
        ({"rounding": {"mode": "down"}, "subjects": []}, "rounding.mode"),
        ({"rounding": {"mode": ["up"]}, "subjects": []}, "rounding.mode"),
        ({"rounding": "0.01", "subjects": []}, "rounding"),
    ],
)  # fmt: skip
def test_errors_in_the_document(document, where, tmp_path):
    assert where in fails(document, tmp_path)


def test_bad_json_names_the_line_and_column(tmp_path):
    message = fails('{\n  "subjects": [\n    {"code": "A",}\n  ]\n}', tmp_path)
    assert "line 3, column 18" in message


def test_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"absent\.json"):
        call_command("grades_calc", str(tmp_path / "absent.json"), stdout=io.StringIO())


def test_bad_json_on_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("{"))
    with pytest.raises(CommandError, match=r"<stdin>: line 1, column 2"):
        call_command("grades_calc", stdout=io.StringIO())


def test_the_command_line_exit_codes():
    good = subprocess.run(
        [sys.executable, "manage.py", "grades_calc"],
        input=json.dumps(one_subject([_ev(0, "15.5")])),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["pupils"]["p"]["subjects"]["S"]["average"] == "15.5"
    bad = subprocess.run(
        [sys.executable, "manage.py", "grades_calc"],
        input=json.dumps(one_subject([_ev(0, "15.5", scale=0)])),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode != 0
    assert "subjects[0].evaluations[0].scale" in bad.stderr


def test_marks_computed_elsewhere_need_not_be_quarter_points(tmp_path):
    """grades_calc reads what other software computed: a mark of 12.3 is taken as it
    is (the entry grid, not the calculator, keeps teachers to quarter points)."""
    document = {
        "subjects": [
            {
                "code": "S",
                "evaluations": [
                    {"id": "e1", "marks": {"p": "12.3"}},
                    {"id": "e2", "marks": {"p": 14.1}},
                ],
            }
        ]
    }
    path = tmp_path / "marks.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = io.StringIO()

    call_command("grades_calc", str(path), stdout=out)

    result = json.loads(out.getvalue())
    assert result["pupils"]["p"]["subjects"]["S"] == {"average": "13.2", "exact": "13.200000"}
