"""The demo's grades (`seed_demo --small`): settings and coefficients, evaluations on
school days of the current period (and the previous one once over), marks within their
scale for the pupils who followed the service, a few codes, optional and bonus marks,
the demo children's cases seen through the engine, the trail of every mark, and the
appraisals of the previous period — seeded in the middle of the first trimester and at
the beginning of the second."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from fractions import Fraction
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction

from preau.accounts.models import Account
from preau.core import calendar
from preau.core.models import Establishment
from preau.devtools.demo import COLLEGE_UAI, LYCEE_UAI, build_demo
from preau.devtools.management.commands import seed_demo
from preau.grades import engine
from preau.grades.models import (
    Appraisal,
    AppraisalKind,
    Evaluation,
    EvaluationKind,
    GradesPolicy,
    Mark,
    MarkChange,
    SubjectCoefficient,
    SubSubject,
)
from preau.grades.selectors.audience import service_pupil_ids
from preau.grades.selectors.book import class_book, division_periods, period_on
from preau.structure.models import Division, Enrolment, TeachingService

PARIS = ZoneInfo("Europe/Paris")
# In the middle of the first trimester (no period over yet), and at the beginning of
# the second trimester, the lycée's second semester just started.
MOMENTS = {
    "november": datetime(2026, 11, 24, 10, 40, tzinfo=PARIS),
    "february": datetime(2027, 2, 2, 10, 40, tzinfo=PARIS),
}


@pytest.fixture(scope="module", params=list(MOMENTS))
def demo(request, django_db_setup, django_db_blocker):
    """The small demo, seeded once per moment and rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = build_demo(small=True, now=MOMENTS[request.param])
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def today(demo, db):
    return demo.now.astimezone(PARIS).date()


def person(login: str) -> int:
    return Account.objects.get(login=login).person_id


def division_of(pupil: int, today) -> Division:
    return (
        Enrolment.objects.filter(pupil_id=pupil, start_date__lte=today)
        .latest("start_date")
        .division
    )


def steps_of(results) -> list[engine.Step]:
    steps = []
    for subject in results.subjects.values():
        if subject.direct is not None:
            steps.extend(subject.direct.steps)
        for part in subject.parts:
            steps.extend(part.average.steps)
    return steps


def test_the_summary_counts_what_was_written(demo, today):
    assert demo.evaluations == Evaluation.objects.count() > 300
    assert demo.marks == Mark.objects.count() > 2000
    assert demo.grades_seconds > 0


def test_seed_demo_prints_evaluations_and_marks(demo, today, monkeypatch):
    monkeypatch.setattr(seed_demo, "demo_exists", lambda: False)
    monkeypatch.setattr(seed_demo, "build_demo", lambda **kwargs: demo)
    out = StringIO()
    call_command("seed_demo", "--small", stdout=out)
    assert f"{demo.evaluations} devoirs, {demo.marks} notes" in out.getvalue()


def test_settings_coefficients_and_sub_subjects(demo, today):
    college = GradesPolicy.objects.get(establishment__uai=COLLEGE_UAI)
    lycee = GradesPolicy.objects.get(establishment__uai=LYCEE_UAI)
    assert (college.parent_delay_days, college.rounding_step) == (0, "0.01")
    assert lycee.parent_delay_days == 2
    rows = SubjectCoefficient.objects.filter(division__isnull=True)
    for establishment in Establishment.objects.filter(uai__in=[COLLEGE_UAI, LYCEE_UAI]):
        levels = set(establishment.divisions.values_list("level", flat=True))
        assert set(rows.filter(establishment=establishment).values_list("level", flat=True)) == (
            levels
        )
    third = {r.subject.code: r.coefficient for r in rows.filter(level="3E")}
    assert third["FRANC"] == third["MATHS"] == 3
    assert third["HIGEO"] == 2
    assert third["EPS"] == 1
    emma_english = TeachingService.objects.get(
        division=division_of(person("eleve"), today), subject__code="AGL1"
    )
    assert {(s.code, s.coefficient) for s in emma_english.sub_subjects.all()} == {
        ("ECR", 2),
        ("ORA", 1),
    }
    # Every evaluation of a service with sub-subjects goes to one of its own.
    with_subs = set(SubSubject.objects.values_list("service_id", flat=True))
    for evaluation in Evaluation.objects.filter(service_id__in=with_subs).select_related(
        "sub_subject"
    ):
        assert evaluation.sub_subject.service_id == evaluation.service_id


def test_every_mark_is_a_valid_entry_within_its_scale(demo, today):
    for mark in Mark.objects.select_related("evaluation"):
        assert (mark.value is None) != (not mark.code)
        if mark.code:
            assert mark.code in engine.CODES
            continue
        assert 0 <= mark.value <= mark.evaluation.scale
        assert (Fraction(mark.value) * 4).denominator == 1
        assert engine.parse_mark(mark.text, Fraction(mark.evaluation.scale)) is not None


def test_evaluations_sit_on_school_days_of_their_period(demo, today):
    rules = {
        e.pk: e.school_calendar_rules()
        for e in Establishment.objects.filter(uai__in=[COLLEGE_UAI, LYCEE_UAI])
    }
    marked = set(Mark.objects.values_list("evaluation_id", flat=True))
    evaluations = list(Evaluation.objects.select_related("period"))
    for evaluation in evaluations:
        assert evaluation.period.start_date <= evaluation.date <= evaluation.period.end_date
        assert calendar.is_school_day(rules[evaluation.establishment_id], evaluation.date)
        assert evaluation.published_on >= evaluation.date
        assert evaluation.published_on <= evaluation.date + timedelta(days=13)
        if evaluation.pk in marked:
            assert evaluation.date < today
        else:
            # Announced for the coming days, or an optional nobody took.
            assert evaluation.date >= today or evaluation.kind == EvaluationKind.OPTIONAL
    assert any(e.date >= today for e in evaluations), "announced evaluations"
    assert any(e.pk in marked and e.published_on > today for e in evaluations), "not yet shown"
    assert {e.scale for e in evaluations} >= {10, 20, 40}
    assert any(not e.bring_to_20 for e in evaluations)
    assert {e.coefficient for e in evaluations} >= {Fraction(1, 2), 1, 2, 3}


def test_marks_go_to_the_pupils_who_follow_the_service(demo, today):
    audiences = {}
    pupils_by_evaluation = defaultdict(set)
    for evaluation_id, pupil_id in Mark.objects.values_list("evaluation_id", "pupil_id"):
        pupils_by_evaluation[evaluation_id].add(pupil_id)
    for evaluation in Evaluation.objects.filter(pk__in=list(pupils_by_evaluation)).select_related(
        "service", "period"
    ):
        key = (evaluation.service_id, evaluation.period_id)
        if key not in audiences:
            audiences[key] = service_pupil_ids(evaluation.service, evaluation.period)
        assert pupils_by_evaluation[evaluation.pk] <= audiences[key]
        if evaluation.kind != EvaluationKind.OPTIONAL:
            # Almost all of the audience (a pupil may have arrived or left since).
            assert len(pupils_by_evaluation[evaluation.pk]) >= len(audiences[key]) - 2


def test_codes_optional_and_bonus_marks_exist(demo, today):
    codes = Counter(
        Mark.objects.exclude(code="").values_list("code", "evaluation__service__subject__code")
    )
    assert 0.01 < sum(codes.values()) / Mark.objects.count() < 0.06
    by_code = Counter()
    for (code, _subject), count in codes.items():
        by_code[code] += count
    assert by_code.most_common(1)[0][0] == "ABS"
    assert {"ABS", "NR"} <= set(by_code)
    assert {subject for (code, subject) in codes if code in ("DISP", "INAP")} <= {"EPS"}
    kinds = Counter(Evaluation.objects.values_list("kind", flat=True))
    assert kinds[EvaluationKind.OPTIONAL] >= 3
    assert kinds[EvaluationKind.BONUS] >= 3
    assert kinds[EvaluationKind.NORMAL] > 10 * (kinds["optional"] + kinds["bonus"])
    # Some absent pupils made the test up: the mark replaced the code, both kept.
    assert MarkChange.objects.filter(before="ABS").exclude(after="").exists()


@pytest.mark.parametrize(("login", "delay"), [("eleve", 0), ("lyceen", 2)])
def test_demo_children_see_optional_bonus_and_code(demo, today, login, delay):
    """What the guardians see (the lycée's parent delay applied): marks in several
    subjects, an optional mark that raised the average, a bonus that added points, an
    absence not counted."""
    pupil = person(login)
    division = division_of(pupil, today)
    outcomes = Counter()
    subjects = set()
    averages = []
    for period in division_periods(division):
        if period.start_date > today:
            continue
        book = class_book(
            division=division, period=period, published_by=today - timedelta(days=delay)
        )
        results = book.results.pupils[pupil]
        for step in steps_of(results):
            outcomes[step.outcome] += 1
        subjects |= {
            service.pk for service in book.services if book.subject_entries(pupil, service.pk)
        }
        averages.append(results.general.value)
    assert any(value is not None for value in averages)
    assert len(subjects) >= 3
    assert outcomes[engine.OPTIONAL_KEPT] >= 1
    assert outcomes[engine.BONUS_POINTS] >= 1
    assert outcomes[engine.NOT_COUNTED] >= 1
    assert outcomes[engine.COUNTED] >= 10


def test_averages_of_emmas_division_are_realistic(demo, today):
    division = division_of(person("eleve"), today)
    period = period_on(division_periods(division), today)
    book = class_book(division=division, period=period)
    if not any(book.marks.values()):  # the period has just begun: the previous one
        periods = division_periods(division)
        period = periods[periods.index(period) - 1]
        book = class_book(division=division, period=period)
    values = [r.general.value for r in book.results.pupils.values()]
    assert all(value is not None and 0 <= value <= 20 for value in values)
    mean = sum(values) / len(values)
    assert 7 <= mean <= 17
    assert book.results.general.count == len(book.pupils)
    assert sum(1 for service in book.services if book.evaluations.get(service.pk)) >= 8


def test_profs_services_have_evaluations(demo, today):
    prof = person("prof")
    services = list(TeachingService.objects.filter(teachers=prof))
    assert len(services) == 5
    for service in services:
        evaluations = Evaluation.objects.filter(service=service)
        assert evaluations.count() >= 3
        assert set(evaluations.values_list("created_by_id", flat=True)) == {prof}
        assert Mark.objects.filter(evaluation__service=service, updated_by_id=prof).exists()


def test_every_mark_has_its_trail(demo, today):
    trail = defaultdict(list)
    for change in MarkChange.objects.order_by("at", "pk"):
        trail[(change.evaluation_id, change.pupil_id)].append(change)
    marks = list(Mark.objects.select_related("evaluation"))
    assert len(trail) == len(marks)
    for mark in marks:
        changes = trail[(mark.evaluation_id, mark.pupil_id)]
        assert len(changes) == mark.version
        assert changes[0].before == ""
        assert changes[-1].after == mark.text
        assert {c.source for c in changes} == {"demo"}
        assert {c.actor_id for c in changes} == {mark.evaluation.created_by_id}
        assert all(c.at < demo.now for c in changes)
        assert changes[0].at.astimezone(PARIS).date() >= mark.evaluation.date


def test_appraisals_of_the_previous_period(demo, today):
    emma = person("eleve")
    division = division_of(emma, today)
    periods = division_periods(division)
    current = period_on(periods, today)
    appraisals = Appraisal.objects.filter(pupil_id=emma)
    if current == periods[0]:
        assert not Appraisal.objects.exists()
        return
    previous = periods[periods.index(current) - 1]
    kinds = Counter(appraisals.filter(period=previous).values_list("kind", flat=True))
    assert kinds[AppraisalKind.HEAD_TEACHER] == 1
    assert kinds[AppraisalKind.SUBJECT] >= 8
    limit = GradesPolicy.objects.get(establishment__uai=COLLEGE_UAI).appraisal_max_length
    for appraisal in Appraisal.objects.select_related("service"):
        assert 0 < len(appraisal.text) <= limit
        if appraisal.kind == AppraisalKind.SUBJECT:
            assert appraisal.author in appraisal.service.teachers.all()
