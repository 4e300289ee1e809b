"""The demo's cahier de textes (`seed_demo --small`): contents and homework around the
reference day, "fait" ticks, a visa, and the demo children's homework due on the
reference day and their next school day — seen through the same selectors as the
pages, seeded on a Tuesday, a Friday and a Sunday."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from preau.accounts.models import Account
from preau.devtools.demo import build_demo
from preau.homework.models import Attachment, Homework, HomeworkDone, SessionContent, Visa
from preau.homework.selectors import homework_due
from preau.timetable.models import NOT_HELD, Occurrence
from preau.timetable.selectors import pupil_occurrences

PARIS = ZoneInfo("Europe/Paris")
MOMENTS = {
    "tuesday": datetime(2026, 11, 24, 10, 40, tzinfo=PARIS),
    "friday": datetime(2027, 2, 5, 10, 40, tzinfo=PARIS),
    "sunday": datetime(2026, 11, 29, 15, 0, tzinfo=PARIS),
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


def test_the_summary_counts_what_was_written(demo, today):
    summary = demo.homework
    assert summary.contents == SessionContent.objects.count() > 100
    assert summary.homework == Homework.objects.count() > 50
    assert summary.done == HomeworkDone.objects.count() > 50
    assert summary.attachments == Attachment.objects.count() > 0
    assert summary.visas == Visa.objects.count() == 1
    assert 0 < summary.seconds < 30


def test_contents_cover_most_sessions_held_up_to_today_and_none_later(demo, today):
    held = Occurrence.objects.filter(
        date__gte=today - timedelta(days=14), date__lte=today, withdrawn_in__isnull=True
    ).exclude(status__in=NOT_HELD)
    with_content = held.filter(session_content__isnull=False).count()
    assert 0.6 < with_content / held.count() < 1
    assert not SessionContent.objects.filter(occurrence__date__gt=today).exists()
    assert not SessionContent.objects.exclude(occurrence__in=held).exists()


def test_homework_is_due_after_it_is_given_within_the_window(demo, today):
    for homework in Homework.objects.select_related("occurrence", "due_occurrence"):
        assert homework.occurrence.date < homework.due_date <= today + timedelta(days=14)
        assert homework.occurrence.date <= today
        assert homework.instructions.startswith(("<p>", "<ul>", "<ol>"))
        if homework.due_occurrence is not None:
            assert homework.due_occurrence.date == homework.due_date
            assert homework.due_occurrence.subject_id == homework.subject_id
    kinds = set(Homework.objects.values_list("kind", flat=True))
    assert {"task", "lesson"} <= kinds


def test_ticks_belong_to_pupils_who_must_do_the_work(demo, today):
    ticks = list(HomeworkDone.objects.select_related("homework")[:200])
    by_pupil: dict[int, set[int]] = {}
    for tick in ticks:
        by_pupil.setdefault(tick.pupil_id, set()).add(tick.homework_id)
        assert tick.done_at >= tick.homework.created_at
    due = homework_due(list(by_pupil), today - timedelta(days=15), today + timedelta(days=15))
    for pupil, homework_ids in by_pupil.items():
        assert homework_ids <= {item.id for item in due[pupil]}


@pytest.mark.parametrize("login", ["eleve", "lyceen"])
def test_demo_children_have_homework_due_today_and_next_school_day(demo, today, login):
    pupil = person(login)
    due = homework_due([pupil], today, today + timedelta(days=14))[pupil]
    days = {item.due_date for item in due}
    with_classes = sorted(
        {o.date for o in pupil_occurrences(pupil, today, today + timedelta(days=14)) if o.is_held}
    )
    # The reference day when the pupil has classes that day (then the next school day),
    # else the next two school days: the first two days with classes from today.
    expected = with_classes[:2]
    if today.weekday() == 6:
        assert today not in with_classes
    else:
        assert expected[0] == today
    assert set(expected) <= days
    first_day = [item for item in due if item.due_date == expected[0]]
    assert any(item.attachments for item in first_day)
    assert not any(item.done for item in due)


def test_the_direction_visa(demo, today):
    visa = Visa.objects.select_related("service__subject", "service__division").get()
    assert visa.service.subject.code == "MATHS"
    assert visa.service.division.enrolments.filter(pupil_id=person("eleve")).exists()
    assert visa.person_id == person("direction")
    assert visa.up_to < today
    assert visa.comment
