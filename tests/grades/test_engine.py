"""The pure engine against grades.md: the worked cases, the sub-subject rule, the
general average, class figures, rounding, typed marks, and properties of an average
checked with hypothesis."""

from decimal import Decimal
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preau.grades import engine
from preau.grades.engine import (
    Evaluation,
    Kind,
    Line,
    Mark,
    MarkError,
    Rounding,
    RoundingMode,
    average,
    compute,
    decimal_text,
    evaluation_figures,
    exact_text,
    general_average,
    parse_mark,
    subject_average,
)

_ids = iter(range(10**9))


def ev(scale=20, coefficient=1, bring=True, kind=Kind.NORMAL, sub=None, id=None):
    return Evaluation(
        id=next(_ids) if id is None else id,
        scale=F(scale),
        coefficient=F(coefficient),
        bring_to_20=bring,
        kind=Kind(kind),
        subsubject=sub,
    )


def m(text, scale=20):
    return parse_mark(text, F(scale))


# -- The worked cases of grades.md --------------------------------------------------------

WORKED_CASES = [
    # (marks as (text, scale, coefficient, ramené, kind), expected average)
    (
        [("18", 20, 1, True, "normal"), ("3", 10, 1, True, "normal"), ("1", 5, 1, True, "normal")],
        F(28, 3),
    ),
    (
        [
            ("18", 20, 1, False, "normal"),
            ("3", 10, 1, False, "normal"),
            ("1", 5, 1, False, "normal"),
        ],
        F(88, 7),
    ),
    (
        [
            ("12", 20, 1, True, "normal"),
            ("16", 20, 1, True, "normal"),
            ("17", 20, 1, True, "bonus"),
        ],
        F(35, 2),
    ),
    (
        [("12", 20, 1, True, "normal"), ("16", 20, 1, True, "normal"), ("8", 20, 1, True, "bonus")],
        F(14),
    ),
    (
        [
            ("10", 20, 1, True, "normal"),
            ("16", 20, 1, True, "optional"),
            ("12", 20, 1, True, "optional"),
        ],
        F(13),
    ),
    (
        [
            ("15", 20, 2, True, "normal"),
            ("ABS", 20, 1, True, "normal"),
            ("ABS0", 20, 1, True, "normal"),
        ],
        F(10),
    ),
    ([("14", 20, 0, True, "normal")], None),
]


@pytest.mark.parametrize(("rows", "expected"), WORKED_CASES)
def test_worked_cases(rows, expected):
    entries = [
        (ev(scale, coefficient, bring, kind), m(text, scale))
        for text, scale, coefficient, bring, kind in rows
    ]
    result = average(entries)
    assert result.value == expected
    assert subject_average(entries).value == expected
    # Whatever the order of the rows.
    assert average(list(reversed(entries))).value == expected


def test_worked_cases_show_their_steps():
    # The optional case: 16 kept (raises 10 to 13), 12 dropped (does not raise 13).
    normal, high, low = ev(), ev(kind="optional"), ev(kind="optional")
    result = average([(normal, m("10")), (low, m("12")), (high, m("16"))])
    outcomes = [(step.evaluation, step.outcome, step.before) for step in result.steps]
    assert outcomes == [
        (normal, engine.COUNTED, None),
        (high, engine.OPTIONAL_KEPT, F(10)),
        (low, engine.OPTIONAL_DROPPED, F(13)),
    ]
    assert (result.numerator, result.denominator) == (F(26), F(2))
    # The codes case: ABS not counted, ABS0 counted zero.
    heavy, absent, zero = ev(coefficient=2), ev(), ev()
    result = average([(heavy, m("15")), (absent, m("ABS")), (zero, m("ABS0"))])
    assert [step.outcome for step in result.steps] == [
        engine.COUNTED,
        engine.NOT_COUNTED,
        engine.COUNTED,
    ]
    # The bonus cases.
    result = average([(ev(), m("12")), (ev(), m("16")), (ev(kind="bonus"), m("17"))])
    assert result.steps[-1].outcome == engine.BONUS_POINTS
    assert result.steps[-1].points == 7
    result = average([(ev(), m("12")), (ev(), m("16")), (ev(kind="bonus"), m("8"))])
    assert result.steps[-1].outcome == engine.BONUS_NONE
    # Coefficient 0.
    assert [s.outcome for s in average([(ev(coefficient=0), m("14"))]).steps] == [engine.NO_WEIGHT]


def test_a_bonus_alone_or_only_codes_give_no_average_not_zero():
    assert average([(ev(kind="bonus"), m("18"))]).value is None
    assert average([(ev(kind="bonus"), m("18"))]).steps[0].outcome == engine.NO_BASE
    assert average([(ev(), m("ABS")), (ev(), m("NN"))]).value is None
    assert average([]).value is None
    assert average([(ev(), m("ABS0"))]).value == 0


def test_with_no_normal_mark_the_highest_optional_starts_the_average():
    result = average([(ev(kind="optional"), m("9")), (ev(kind="optional"), m("14"))])
    assert result.value == 14


def test_an_optional_equal_to_the_average_is_not_kept():
    result = average([(ev(), m("12")), (ev(kind="optional"), m("12"))])
    assert result.value == 12
    assert result.denominator == 1


def test_the_average_is_capped_at_20():
    result = average([(ev(), m("19")), (ev(kind="bonus", coefficient=3), m("20"))])
    assert result.value == 20
    assert result.capped
    assert result.uncapped == F(49)


def test_not_ramene_weighs_by_the_scale():
    # 30/40 (weight 2) and 10/20 (weight 1): (2·15 + 10)/3.
    forty = ev(scale=40, bring=False)
    assert forty.weight == 2
    assert average([(forty, m("30", 40)), (ev(), m("10"))]).value == F(40, 3)
    # Ramené, the same marks weigh alike.
    assert average([(ev(scale=40), m("30", 40)), (ev(), m("10"))]).value == F(25, 2)


# -- Sub-subjects --------------------------------------------------------------------------


def test_a_subject_averages_its_sub_subjects_with_their_coefficients():
    subs = {"ECRIT": F(2), "ORAL": F(1)}
    entries = [
        (ev(sub="ECRIT"), m("12")),
        (ev(sub="ECRIT"), m("16")),  # written: 14
        (ev(sub="ORAL"), m("8")),  # oral: 8
    ]
    result = subject_average(entries, subs)
    assert result.value == F(2 * 14 + 8, 3)
    assert [(p.key, p.coefficient, p.average.value) for p in result.parts] == [
        ("ECRIT", 2, 14),
        ("ORAL", 1, 8),
    ]


def test_sub_subjects_without_an_average_are_left_out():
    subs = {"ECRIT": F(2), "ORAL": F(1)}
    entries = [(ev(sub="ECRIT"), m("12")), (ev(sub="ORAL"), m("ABS"))]
    result = subject_average(entries, subs)
    assert result.value == 12
    # Nothing at all: no average.
    assert subject_average([(ev(sub="ORAL"), m("DISP"))], subs).value is None
    assert subject_average([], subs).value is None


def test_a_sub_subject_of_coefficient_zero_is_shown_not_counted():
    subs = {"ECRIT": F(1), "ORAL": F(0)}
    result = subject_average([(ev(sub="ECRIT"), m("12")), (ev(sub="ORAL"), m("4"))], subs)
    assert result.value == 12
    assert [part.counted for part in result.parts] == [True, False]


def test_marks_without_a_sub_subject_form_a_part_of_coefficient_one():
    subs = {"ECRIT": F(3)}
    result = subject_average([(ev(sub="ECRIT"), m("10")), (ev(), m("18"))], subs)
    assert result.value == F(3 * 10 + 18, 4)


def test_sub_subject_averages_are_not_rounded_before_weighting():
    subs = {"A": F(1), "B": F(1)}
    # A: (10 + 10 + 11)/3 = 31/3, B: 10 → (31/3 + 10)/2 = 61/6.
    entries = [(ev(sub="A"), m("10")), (ev(sub="A"), m("10")), (ev(sub="A"), m("11"))]
    result = subject_average([*entries, (ev(sub="B"), m("10"))], subs)
    assert result.value == F(61, 6)


# -- General average -----------------------------------------------------------------------


def test_general_average_weights_subjects_and_leaves_out_coefficient_zero_and_no_average():
    result = general_average(
        [
            Line("FR", F(3), F(12)),
            Line("MATH", F(2), F(31, 3)),
            Line("EPS", F(0), F(18)),  # shown, not counted
            Line("LATIN", F(1), None),  # no average: left out
        ]
    )
    assert result.value == (3 * 12 + 2 * F(31, 3)) / 5
    assert len(result.lines) == 4
    assert [line.counted for line in result.lines] == [True, True, False, False]
    assert (result.numerator, result.denominator) == (3 * 12 + 2 * F(31, 3), 5)


def test_general_average_with_nothing_counted_is_none():
    assert general_average([Line("EPS", F(0), F(18)), Line("FR", F(2), None)]).value is None
    assert general_average([]).value is None


def test_general_average_uses_unrounded_subject_averages():
    subjects = [
        engine.Subject("A", F(1), evaluations=[ev(id="a1"), ev(id="a2"), ev(id="a3")]),
        engine.Subject("B", F(1), evaluations=[ev(id="b1")]),
    ]
    marks = {
        "a1": {"p": m("10")},
        "a2": {"p": m("10")},
        "a3": {"p": m("10.25")},
        "b1": {"p": m("10")},
    }
    result = compute(subjects, marks)
    a = F(3025, 300)
    assert result.pupils["p"].subjects["A"].value == a
    assert result.pupils["p"].general.value == (a + 10) / 2


# -- Class figures --------------------------------------------------------------------------


def test_evaluation_figures_count_zero_codes_and_not_the_others():
    figures = evaluation_figures(
        [m("12", 40), m("30", 40), m("ABS0", 40), m("ABS", 40), m("DISP", 40), m("NR0", 40)]
    )
    # On the evaluation's scale (/40): 12, 30, 0, 0.
    assert figures == engine.Figures(F(42, 4), F(0), F(30), 4)


def test_evaluation_figures_of_nothing_counted():
    assert evaluation_figures([m("ABS"), m("NN")]) == engine.Figures(None, None, None, 0)
    assert evaluation_figures([]).count == 0


def test_compute_gives_pupil_subject_and_class_figures():
    e1, e2 = ev(id="e1"), ev(id="e2", scale=10)
    other = ev(id="h1")
    subjects = [
        engine.Subject("MATH", F(2), evaluations=[e1, e2]),
        engine.Subject("HIST", F(1), evaluations=[other]),
    ]
    marks = {
        "e1": {"ann": m("12"), "bob": m("ABS"), "cat": m("ABS0")},
        "e2": {"ann": m("8", 10), "bob": m("5", 10)},
        "h1": {"ann": m("10"), "cat": m("14")},
    }
    result = compute(subjects, marks, pupils=["ann", "bob", "cat", "dan"])
    ann = result.pupils["ann"]
    assert ann.subjects["MATH"].value == 14  # (12 + 16)/2
    assert ann.subjects["HIST"].value == 10
    assert ann.general.value == F(2 * 14 + 10, 3)
    assert result.pupils["bob"].subjects["MATH"].value == 10
    assert result.pupils["bob"].subjects["HIST"].value is None
    assert result.pupils["bob"].general.value == 10
    assert result.pupils["cat"].subjects["MATH"].value == 0
    # A pupil of the class with nothing: there, with no average.
    assert result.pupils["dan"].general.value is None
    assert result.evaluations["e1"] == engine.Figures(F(6), F(0), F(12), 2)
    assert result.evaluations["e2"] == engine.Figures(F(13, 2), F(5), F(8), 2)
    assert result.subjects["MATH"] == engine.Figures(F(8), F(0), F(14), 3)
    assert result.subjects["HIST"] == engine.Figures(F(12), F(10), F(14), 2)
    cat_general = F(2 * 0 + 14, 3)
    bob_general = F(10)
    assert result.general == engine.Figures(
        (ann.general.value + bob_general + cat_general) / 3, cat_general, ann.general.value, 3
    )


def test_compute_of_an_evaluation_with_no_marks():
    result = compute([engine.Subject("X", evaluations=[ev(id="x")])], {}, pupils=["p"])
    assert result.evaluations["x"].count == 0
    assert result.subjects["X"].count == 0
    assert result.pupils["p"].subjects["X"].value is None


# -- Rounding ----------------------------------------------------------------------------------

ROUNDING_CASES = [
    # value, step, mode, expected text
    (F(12345, 1000), "0.01", "nearest", "12.35"),  # half up
    (F(12344, 1000), "0.01", "nearest", "12.34"),
    (F(12341, 1000), "0.01", "up", "12.35"),
    (F(1234, 100), "0.01", "up", "12.34"),  # already on a step
    (F(28, 3), "0.01", "nearest", "9.33"),
    (F(28, 3), "0.01", "up", "9.34"),
    (F(88, 7), "0.01", "nearest", "12.57"),
    (F(1225, 100), "0.1", "nearest", "12.3"),  # 12.25 → 12.3
    (F(1224, 100), "0.1", "nearest", "12.2"),
    (F(1221, 100), "0.1", "up", "12.3"),
    (F(12), "0.1", "nearest", "12.0"),
    (F(925, 100), "0.5", "up", "9.5"),
    (F(925, 100), "0.5", "nearest", "9.5"),  # 9.25 is half-way between 9 and 9.5
    (F(924, 100), "0.5", "nearest", "9.0"),
    (F(975, 100), "0.5", "nearest", "10.0"),
    (F(9), "0.5", "up", "9.0"),
    (F(901, 100), "0.5", "up", "9.5"),
    (F(25, 2), "1", "nearest", "13"),  # 12.5 → 13
    (F(1249, 100), "1", "nearest", "12"),
    (F(1201, 100), "1", "up", "13"),
    (F(12), "1", "up", "12"),
    (F(0), "0.01", "nearest", "0.00"),
    (F(20), "0.5", "up", "20.0"),
    (F(1, 3), "0.01", "up", "0.34"),
]


@pytest.mark.parametrize(("value", "step", "mode", "expected"), ROUNDING_CASES)
def test_rounding(value, step, mode, expected):
    rounding = Rounding(Decimal(step), RoundingMode(mode))
    assert str(rounding.apply(value)) == expected
    assert rounding.text(value) == expected.replace(".", ",")


def test_rounding_defaults_and_no_average():
    rounding = Rounding()
    assert (rounding.step, rounding.mode) == (Decimal("0.01"), RoundingMode.NEAREST)
    assert rounding.text(None) == "—"
    assert rounding.text(F(31, 2)) == "15,50"
    with pytest.raises(ValueError, match="step"):
        Rounding(Decimal(0))


# -- Typed marks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("15,5", 20, Mark(value=F(31, 2))),
        ("15.5", 20, Mark(value=F(31, 2))),
        (" 15,25 ", 20, Mark(value=F(61, 4))),
        ("15.75", 20, Mark(value=F(63, 4))),
        ("0", 20, Mark(value=F(0))),
        ("20", 20, Mark(value=F(20))),
        ("40", 40, Mark(value=F(40))),
        ("7,5", 10, Mark(value=F(15, 2))),
        ("abs", 20, Mark(code="ABS")),
        ("Abs0", 20, Mark(code="ABS0")),
        ("disp", 20, Mark(code="DISP")),
        ("nn", 20, Mark(code="NN")),
        ("Inap", 20, Mark(code="INAP")),
        ("nr", 20, Mark(code="NR")),
        ("nR0", 20, Mark(code="NR0")),
        ("", 20, None),
        ("   ", 20, None),
        (None, 20, None),
    ],
)
def test_parse_mark(text, scale, expected):
    assert parse_mark(text, F(scale)) == expected


@pytest.mark.parametrize(
    ("text", "scale", "reason"),
    [
        ("21", 20, "dépasse le barème (sur 20)"),
        ("20,25", 20, "dépasse le barème"),
        ("10,5", 10, "dépasse le barème (sur 10)"),
        ("-1", 20, "ne peut pas être négative"),
        ("-0,5", 20, "ne peut pas être négative"),
        ("15,3", 20, "au quart de point"),
        ("12.125", 20, "au quart de point"),
        ("douze", 20, "ni une note ni un code"),
        ("ABSX", 20, "ni une note ni un code"),
        ("NaN", 20, "ni une note ni un code"),
        ("inf", 20, "ni une note ni un code"),
        ("12,5,1", 20, "ni une note ni un code"),
    ],
)
def test_parse_mark_refuses_with_a_reason(text, scale, reason):
    with pytest.raises(MarkError) as caught:
        parse_mark(text, F(scale))
    assert reason in str(caught.value)
    assert text.strip() in str(caught.value)


def test_mark_values_and_codes():
    assert Mark(code="ABS").counted is None
    assert Mark(code="NR0").counted == 0
    assert Mark(value=F(31, 2)).counted == F(31, 2)
    assert Mark(value=F(31, 2)).text == "15.5"
    assert Mark(code="DISP").text == "DISP"
    with pytest.raises(ValueError, match="a value or a code"):
        Mark()
    with pytest.raises(ValueError, match="a value or a code"):
        Mark(value=F(1), code="ABS")
    with pytest.raises(ValueError, match="unknown code"):
        Mark(code="XYZ")


def test_evaluation_bounds():
    with pytest.raises(ValueError, match="scale"):
        ev(scale=0)
    with pytest.raises(ValueError, match="scale"):
        ev(scale=101)
    with pytest.raises(ValueError, match="coefficient"):
        ev(coefficient=100)
    with pytest.raises(ValueError, match="coefficient"):
        ev(coefficient=-1)
    assert ev(scale=100, coefficient=99).weight == 99
    assert ev(scale=10, coefficient=F(1, 2), bring=False).weight == F(1, 4)


@pytest.mark.parametrize(
    ("value", "decimal", "exact"),
    [
        (F(31, 2), "15.5", "15.500000"),
        (F(14), "14", "14.000000"),
        (F(0), "0", "0.000000"),
        (F(20), "20", "20.000000"),
        (F(1, 8), "0.125", "0.125000"),
        (F(1, 10**7), "0.0000001", "0.0000001"),
        (F(28, 3), "28/3", "28/3"),
        (F(88, 7), "88/7", "88/7"),
    ],
)
def test_decimal_and_exact_text(value, decimal, exact):
    assert decimal_text(value) == decimal
    assert exact_text(value) == exact
    # Both read back exactly.
    assert F(decimal) == value
    assert F(exact) == value


def test_decimal_text_of_none():
    assert decimal_text(None) == ""


# -- Properties ------------------------------------------------------------------------------

quarter_marks = st.integers(min_value=0, max_value=400).map(lambda q: F(q, 4))
scales = st.sampled_from([F(5), F(10), F(20), F(40), F(100), F(25, 2)])
coefficients = st.sampled_from([F(1, 2), F(1), F(2), F(3), F(5, 2), F(7)])


@st.composite
def normal_entry(draw, *, bring=None):
    scale = draw(scales)
    value = F(draw(st.integers(min_value=0, max_value=int(scale * 4))), 4)
    evaluation = ev(
        scale=scale,
        coefficient=draw(coefficients),
        bring=draw(st.booleans()) if bring is None else bring,
    )
    return evaluation, Mark(value=value)


@st.composite
def coded_entry(draw, *, counted=None):
    codes = [c for c, zero in engine.CODES.items() if counted is None or zero == counted]
    return ev(coefficient=draw(coefficients)), Mark(code=draw(st.sampled_from(codes)))


@st.composite
def entry_of(draw, kind):
    evaluation, mark = draw(normal_entry())
    return (
        Evaluation(
            evaluation.id, evaluation.scale, evaluation.coefficient, evaluation.bring_to_20, kind
        ),
        mark,
    )


normals = st.lists(st.one_of(normal_entry(), coded_entry(counted=True)), min_size=1, max_size=8)
zero_weight = st.builds(lambda e: (ev(coefficient=0, scale=e[0].scale), e[1]), normal_entry())
# Normal marks, codes, bonuses and coefficients 0: no optional mark, whose keeping is
# decided against the average of the normal marks before it (grades.md, step 2).
without_optional = st.lists(
    st.one_of(normal_entry(), coded_entry(), entry_of(Kind.BONUS), zero_weight), max_size=10
)
mixed = st.lists(
    st.one_of(
        normal_entry(),
        coded_entry(),
        entry_of(Kind.OPTIONAL),
        entry_of(Kind.BONUS),
        zero_weight,
    ),
    max_size=10,
)


def x_of(entry):
    evaluation, mark = entry
    return evaluation.on_20(mark.counted)


@given(without_optional, st.sampled_from([F(1, 2), F(1), F(3), F(99)]), scales)
def test_adding_a_normal_mark_equal_to_the_average_changes_nothing(entries, weight, scale):
    before = average(entries)
    if before.value is None or before.capped:
        return
    addition = Evaluation("added", scale, weight)
    after = average([*entries, (addition, Mark(value=before.value * scale / 20))])
    assert after.value == before.value


@given(mixed, entry_of(Kind.BONUS))
def test_a_bonus_never_lowers_the_average(entries, bonus):
    before = average(entries).value
    after = average([*entries, bonus]).value
    if before is None:
        assert after is None
    else:
        assert after >= before


@given(
    st.lists(st.one_of(normal_entry(), coded_entry(), entry_of(Kind.OPTIONAL))),
    entry_of(Kind.OPTIONAL),
)
def test_an_optional_mark_never_lowers_the_average(entries, optional):
    before = average(entries).value
    after = average([*entries, optional]).value
    assert after is not None
    if before is not None:
        assert after >= before


@given(normals)
def test_the_average_of_normal_marks_lies_between_the_lowest_and_highest(entries):
    result = average(entries).value
    xs = [x_of(entry) for entry in entries]
    assert min(xs) <= result <= max(xs)


@given(mixed, st.randoms(use_true_random=False))
def test_the_order_of_the_marks_does_not_matter(entries, random):
    shuffled = list(entries)
    random.shuffle(shuffled)
    assert average(shuffled).value == average(entries).value


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=80).map(lambda q: F(q, 4)),
            coefficients,
            st.sampled_from(list(Kind)),
        ),
        max_size=8,
    )
)
def test_ramene_on_a_scale_of_20_is_the_same_as_not_ramene(rows):
    ramene = [(ev(20, c, True, kind), Mark(value=v)) for v, c, kind in rows]
    not_ramene = [(ev(20, c, False, kind), Mark(value=v)) for v, c, kind in rows]
    assert average(ramene).value == average(not_ramene).value


@given(mixed)
def test_the_result_is_at_most_20_and_at_least_0(entries):
    value = average(entries).value
    assert value is None or 0 <= value <= 20


@given(mixed, st.lists(coded_entry(counted=False), min_size=1, max_size=4))
def test_codes_not_counted_change_nothing(entries, codes):
    assert average([*entries, *codes]).value == average(entries).value


@given(mixed, st.sampled_from([F(1, 4), F(1, 2), F(2), F(3), F(7, 3)]))
def test_scaling_every_coefficient_changes_nothing(entries, k):
    scaled = [
        (Evaluation(e.id, e.scale, e.coefficient * k, e.bring_to_20, e.kind), mk)
        for e, mk in entries
    ]
    assert average(scaled).value == average(entries).value


@given(
    st.lists(
        st.tuples(
            st.sampled_from([F(0), F(1), F(2), F(1, 2)]),
            st.none() | quarter_marks.filter(lambda v: v <= 20),
        ),
        max_size=8,
    ),
    st.sampled_from([F(1, 2), F(2), F(5)]),
)
def test_general_average_is_unchanged_by_scaling_the_subject_coefficients(rows, k):
    lines = [Line(i, c, v) for i, (c, v) in enumerate(rows)]
    scaled = [Line(i, c * k, v) for i, (c, v) in enumerate(rows)]
    assert general_average(lines).value == general_average(scaled).value
    counted = [line.value for line in lines if line.counted]
    value = general_average(lines).value
    if counted:
        assert min(counted) <= value <= max(counted)
    else:
        assert value is None
