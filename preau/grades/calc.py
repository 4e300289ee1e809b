"""`grades_calc`'s JSON (interfaces.md) read into the engine and written back. Pure:
no database. Errors name the element at fault (`subjects[0].evaluations[2].scale`)."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from preau.grades import engine


class CalcError(ValueError):
    pass


def _number(value, where: str) -> Fraction:
    try:
        return engine.to_fraction(value, what=where)
    except engine.MarkError as error:
        raise CalcError(str(error)) from None


def _rounding(data) -> engine.Rounding:
    if data is None:
        return engine.Rounding()
    if not isinstance(data, Mapping):
        raise CalcError("rounding: an object {step, mode} is expected")
    try:
        step = Decimal(str(data.get("step", "0.01")))
    except InvalidOperation:
        raise CalcError(f"rounding.step: {data.get('step')!r} is not a number") from None
    if step not in engine.ROUNDING_STEPS:
        raise CalcError(f"rounding.step: {data.get('step')!r} is not one of 0.01, 0.1, 0.5, 1")
    mode = data.get("mode", "nearest")
    if not isinstance(mode, str) or mode not in {m.value for m in engine.RoundingMode}:
        raise CalcError(f"rounding.mode: {mode!r} is not 'nearest' or 'up'")
    return engine.Rounding(step, engine.RoundingMode(mode))


def read(data) -> tuple[engine.Rounding, list[engine.Subject], dict, list]:
    """The rounding, the subjects, the marks (evaluation → pupil → mark) and the pupils
    in the order they first appear."""
    if not isinstance(data, Mapping):
        raise CalcError("the document must be a JSON object")
    rounding = _rounding(data.get("rounding"))
    subjects_data = data.get("subjects")
    if not isinstance(subjects_data, list):
        raise CalcError("subjects: a list is expected")
    subjects: list[engine.Subject] = []
    marks: dict = {}
    pupils: dict = {}
    seen_subjects: set = set()
    seen_evaluations: set = set()
    for i, subject in enumerate(subjects_data):
        where = f"subjects[{i}]"
        if not isinstance(subject, Mapping) or "code" not in subject:
            raise CalcError(f"{where}: an object with a code is expected")
        code = str(subject["code"])
        if code in seen_subjects:
            raise CalcError(f"{where}.code: {code!r} appears twice")
        seen_subjects.add(code)
        coefficient = _number(subject.get("coefficient", 1), f"{where}.coefficient")
        if not 0 <= coefficient <= engine.MAX_COEFFICIENT:
            raise CalcError(f"{where}.coefficient: must be between 0 and 99")
        subsubjects: dict = {}
        for j, sub in enumerate(_list(subject.get("subsubjects"), f"{where}.subsubjects")):
            if not isinstance(sub, Mapping) or "code" not in sub:
                raise CalcError(f"{where}.subsubjects[{j}]: an object with a code is expected")
            sub_coefficient = _number(
                sub.get("coefficient", 1), f"{where}.subsubjects[{j}].coefficient"
            )
            if not 0 <= sub_coefficient <= engine.MAX_COEFFICIENT:
                raise CalcError(f"{where}.subsubjects[{j}].coefficient: must be between 0 and 99")
            subsubjects[str(sub["code"])] = sub_coefficient
        evaluations = []
        for j, evaluation in enumerate(_list(subject.get("evaluations"), f"{where}.evaluations")):
            at = f"{where}.evaluations[{j}]"
            if not isinstance(evaluation, Mapping) or "id" not in evaluation:
                raise CalcError(f"{at}: an object with an id is expected")
            identifier = str(evaluation["id"])
            if identifier in seen_evaluations:
                raise CalcError(f"{at}.id: {identifier!r} appears twice")
            seen_evaluations.add(identifier)
            scale = _number(evaluation.get("scale", 20), f"{at}.scale")
            if not 0 < scale <= engine.MAX_SCALE:
                raise CalcError(f"{at}.scale: must be above 0 and at most 100")
            eval_coefficient = _number(evaluation.get("coefficient", 1), f"{at}.coefficient")
            if not 0 <= eval_coefficient <= engine.MAX_COEFFICIENT:
                raise CalcError(f"{at}.coefficient: must be between 0 and 99")
            kind = evaluation.get("kind", "normal")
            if not isinstance(kind, str) or kind not in {k.value for k in engine.Kind}:
                raise CalcError(f"{at}.kind: {kind!r} is not normal, optional or bonus")
            bring = evaluation.get("ramener_sur_20", True)
            if not isinstance(bring, bool):
                raise CalcError(f"{at}.ramener_sur_20: true or false is expected")
            sub = evaluation.get("subsubject")
            if sub is not None and (isinstance(sub, Mapping | list) or str(sub) not in subsubjects):
                raise CalcError(f"{at}.subsubject: {sub!r} is not a sub-subject of {code!r}")
            try:
                item = engine.Evaluation(
                    id=identifier,
                    scale=scale,
                    coefficient=eval_coefficient,
                    bring_to_20=bring,
                    kind=engine.Kind(kind),
                    subsubject=None if sub is None else str(sub),
                )
            except ValueError as error:
                raise CalcError(f"{at}: {error}") from None
            given = evaluation.get("marks") or {}
            if not isinstance(given, Mapping):
                raise CalcError(f"{at}.marks: an object pupil → mark is expected")
            by_pupil = {}
            for pupil, raw in given.items():
                text = (
                    raw
                    if isinstance(raw, str)
                    else (None if raw is None else _exact_number_text(raw, f"{at}.marks.{pupil}"))
                )
                try:
                    mark = engine.parse_mark(text, scale, quarter_points=False)
                except engine.MarkError as error:
                    raise CalcError(f"{at}.marks.{pupil}: {error}") from None
                pupils.setdefault(str(pupil), None)
                if mark is not None:
                    by_pupil[str(pupil)] = mark
            marks[identifier] = by_pupil
            evaluations.append(item)
        subjects.append(engine.Subject(code, coefficient, subsubjects, evaluations))
    return rounding, subjects, marks, list(pupils)


def _list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CalcError(f"{where}: a list is expected")
    return value


def _exact_number_text(value, where: str) -> str:
    return engine.decimal_text(_number(value, where))


def exact_json(value: Fraction | None) -> str | None:
    """An unrounded value as `grades_calc` and the API write it (`engine.exact_text`)."""
    return None if value is None else engine.exact_text(value)


def rounded_json(rounding: engine.Rounding, value: Fraction | None) -> str | None:
    # Written like the example of interfaces.md: "15.5", not "15.50".
    return None if value is None else engine.decimal_text(Fraction(rounding.apply(value)))


def average_json(rounding: engine.Rounding, value: Fraction | None) -> dict:
    return {"average": rounded_json(rounding, value), "exact": exact_json(value)}


def figures_json(figures: engine.Figures) -> dict:
    return {
        "mean": exact_json(figures.mean),
        "min": exact_json(figures.low),
        "max": exact_json(figures.high),
        "count": figures.count,
    }


def calculate(data) -> dict:
    """The JSON result of `grades_calc` for its JSON input."""
    rounding, subjects, marks, pupils = read(data)
    results = engine.compute(subjects, marks, pupils=pupils)
    return {
        "pupils": {
            pupil: {
                "subjects": {
                    key: average_json(rounding, average.value)
                    for key, average in result.subjects.items()
                },
                "general": average_json(rounding, result.general.value),
            }
            for pupil, result in results.pupils.items()
        },
        "evaluations": {key: figures_json(f) for key, f in results.evaluations.items()},
        "subjects": {key: figures_json(f) for key, f in results.subjects.items()},
    }
