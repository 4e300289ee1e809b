"""Every page of the cahier de textes runs a fixed number of queries, whatever the
amount of homework, attachments, contents and ticks (checked with little and much)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from preau.homework import services
from preau.homework.models import HomeworkDone
from tests.conftest import log_in
from tests.factories import pupil_in
from tests.homework.support import School

pytestmark = pytest.mark.django_db


def filled(size: int) -> tuple[School, dict]:
    school = School()
    for _ in range(size):
        pupil_in(school.division)
    last = None
    for n in range(size):
        last = school.give(estimated_minutes=10 + n)
        school.attach(last)
        HomeworkDone.objects.create(homework=last, pupil=school.emma)
        school.give(occurrence=school.other_session, due_date=school.day + timedelta(days=3))
        extra = school.occurrence(school.day - timedelta(days=n + 1), hour=11)
        services.content_set(actor=school.teacher, occurrence_id=extra.pk, body="<p>Vu</p>")
        school.give(occurrence=extra, due_date=school.day + timedelta(days=1))
    services.content_set(actor=school.teacher, occurrence_id=school.session.pk, body="<p>x</p>")
    services.visa_create(actor=school.direction, service_id=school.service.pk, up_to=school.day)
    return school, {"homework": last}


PAGES = [
    # (who, page, queries)
    ("emma", "todo", 16),
    ("emma", "content", 18),
    ("mother", "todo", 16),
    ("mother", "content", 18),
    ("grandmother", "todo", 17),
    ("teacher", "content", 11),
    ("teacher", "workload", 17),
    ("teacher", "session", 29),
    ("teacher", "edit", 23),
    ("teacher", "attachment", 8),
    ("emma", "attachment", 12),
    ("direction", "workload", 16),
    ("direction", "review", 14),
    ("direction", "review_service", 14),
    ("direction", "settings", 6),
]


def address(school: School, extra: dict, page: str) -> str:
    if page == "session":
        return reverse("homework:session", args=[school.session.pk])
    if page == "edit":
        return reverse("homework:edit", args=[extra["homework"].pk])
    if page == "attachment":
        return reverse("homework:attachment", args=[extra["homework"].attachments.get().pk])
    if page == "review_service":
        return reverse("homework:review_service", args=[school.service.pk])
    return reverse(f"homework:{page}")


@pytest.mark.parametrize("size", [1, 8])
@pytest.mark.parametrize(("who", "page", "queries"), PAGES)
def test_fixed_queries(client, django_assert_num_queries, size, who, page, queries):
    school, extra = filled(size)
    account = getattr(school, who)
    log_in(client, getattr(account, "account", account))
    target = address(school, extra, page)
    with django_assert_num_queries(queries):
        response = client.get(target)
    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 8])
def test_ticking_runs_a_fixed_number_of_queries(client, django_assert_num_queries, size):
    school, extra = filled(size)
    log_in(client, school.emma.account)
    target = reverse("homework:done", args=[extra["homework"].pk])
    with django_assert_num_queries(19):
        response = client.post(target, {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "checked" not in response.content.decode()
