"""The staff home pages: a teacher's sessions of the day with their roll calls and
cahier de textes, grade books and head-teacher divisions; the vie scolaire's and the
direction's day (absences, roll calls not taken, alerts) beside the establishment's
figures. A fixed number of queries whatever the size of the establishment."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from preau.attendance import reports
from preau.attendance.models import (
    AbsenceKind,
    AbsenceState,
    AttendancePolicy,
    Mark,
    RollCall,
    RollCallEntry,
)
from preau.core import calendar
from preau.core.models import RoleKind
from preau.portal.selectors.staff import LATEST_ABSENCES
from tests.conftest import log_in
from tests.factories import (
    DivisionFactory,
    OccurrenceFactory,
    PersonFactory,
    SubjectFactory,
    TeachingServiceFactory,
    pupil_in,
    staff_account,
)
from tests.portal.test_home_support import CANCELLED, School, at, stop_clock

pytestmark = pytest.mark.django_db

HOME = reverse("portal:home")

# Every signed-in page starts with five queries, and a teacher's spaces read their
# head-teacher divisions (6). Then the establishment 1, the head-teacher divisions 1,
# the services and their teachers 2, the sessions 4, where moved ones went 1, the roll
# calls 1, the unread messages 1.
TEACHER_HOME_QUERIES = 17
# Five, then the establishment 1; the desk's day: counts 1, the latest absences and
# their pupils' divisions 2, the grace delay 1, the roll calls not taken 4; the
# establishment's figures 6 (school year, roles, guardian accounts, period, closures,
# divisions), the unread messages 1. The alerts come from the cache: none.
DIRECTION_HOME_QUERIES = 21
# Once every ALERTS_MINUTES per establishment: the L131-8 list and the dropout watch
# (attendance.reports: about twelve queries each) and the threshold.
ALERTS_QUERIES = 26


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    return stop_clock(monkeypatch)


def page(client, path=HOME) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


# -- A teacher's day -----------------------------------------------------------------------


class TeacherDay:
    """Mme Schmitt, at 10:20, teaches 4B maths at 08:00 (roll call taken: Emma absent),
    at 10:00 (now, not taken yet), at 13:00 (cancelled) and at 14:00 (to come); a
    colleague teaches 4B at 09:00; she also teaches in a lycée at 11:00."""

    def __init__(self, extra: int = 0):
        self.school = School("Collège des Tilleuls", "4B")
        school = self.school
        self.account = staff_account(school.establishment, RoleKind.TEACHER, last_name="Schmitt")
        self.person = self.account.person
        AttendancePolicy.objects.create(establishment=school.establishment)
        self.emma = pupil_in(school.division, first_name="Emma")
        self.service = school.service
        self.service.teachers.add(self.person)
        day = school.today
        self.taken = school.session(day, 8, teachers=[self.person])
        self.now = school.session(day, 10, teachers=[self.person])
        self.cancelled = school.session(day, 13, teachers=[self.person], status=CANCELLED)
        self.later = school.session(day, 14, teachers=[self.person])
        school.session(day, 9, teachers=[PersonFactory()], subject=self.other_subject("Anglais"))
        lycee = DivisionFactory(name="2de1")
        OccurrenceFactory(
            school_year=lycee.school_year,
            hour=11,
            teachers=[self.person],
            divisions=[lycee],
            subject=SubjectFactory(establishment=lycee.establishment, label="Statistiques"),
        )
        roll_call = RollCall.objects.create(
            occurrence=self.taken,
            establishment=school.establishment,
            taken_by=self.person,
            taken_at=at(day, 8, 5),
            updated_at=at(day, 8, 5),
        )
        RollCallEntry.objects.create(
            roll_call=roll_call, pupil=self.emma, mark=Mark.ABSENT, entered_at=at(day, 8, 5)
        )
        for n in range(extra):
            division = DivisionFactory(school_year=school.year, name=f"5e{n}")
            service = TeachingServiceFactory(
                division=division, subject=school.maths, teachers=[self.person]
            )
            school.session(
                day,
                15 + n % 3,
                minute=n,
                teachers=[self.person],
                audience={"divisions": [service.division]},
            )

    def other_subject(self, label: str):
        return SubjectFactory(establishment=self.school.establishment, label=label)


def sessions_of(content: str) -> list[str]:
    start = content.index('<ol class="plain teacher-sessions">')
    return content[start : content.index("</ol>", start)].split('<li class="card teacher-session')[
        1:
    ]


def test_a_teacher_sees_her_sessions_in_order_with_each_roll_call_state(client, clock):
    day = TeacherDay()
    log_in(client, day.account)
    content = page(client)
    sessions = sessions_of(content)
    assert [s[s.index("day-session__time") :].split(">")[1][:5] for s in sessions] == [
        "08:00",
        "10:00",
        "13:00",
        "14:00",
    ]
    taken, now, cancelled, later = sessions
    assert "Appel fait" in taken
    assert "Appel fait à 08:05 : 1 absent." in taken
    assert f'href="{reverse("attendance:roll_call_take", args=[day.taken.pk])}"' in taken
    assert "en cours" in now
    assert "Appel à faire" in now
    assert f'href="{reverse("attendance:roll_call_take", args=[day.now.pk])}"' in now
    assert "Pas d'appel" in cancelled
    assert "Annulé" in cancelled
    assert "attendance:roll_call_take" not in cancelled
    assert reverse("attendance:roll_call_take", args=[day.cancelled.pk]) not in cancelled
    assert "Appel à faire" in later
    # The colleague's session and the lycée's are not hers here.
    assert "Anglais" not in content
    assert "Statistiques" not in content
    # The phone's one-tap roll call and the day's list stay.
    assert f'href="{reverse("attendance:roll_call_now")}"' in content
    assert f'href="{reverse("attendance:roll_call")}"' in content


def test_each_session_links_to_its_cahier_de_textes(client, clock):
    day = TeacherDay()
    log_in(client, day.account)
    content = page(client)
    for occurrence in (day.taken, day.now, day.cancelled, day.later):
        assert f'href="{reverse("homework:session", args=[occurrence.pk])}"' in content


def test_a_teacher_reaches_each_grade_book_in_one_click(client, clock):
    day = TeacherDay()
    day.school.division.head_teachers.add(day.person)
    log_in(client, day.account)
    content = page(client)
    assert f'href="{reverse("grades:entry_service", args=[day.service.pk])}"' in content
    assert f'href="{reverse("grades:entry")}"' in content
    assert f'href="{reverse("structure:division", args=[day.school.division.pk])}"' in content
    # The grade book opens on the grid of the current period.
    response = client.get(reverse("grades:entry_service", args=[day.service.pk]), follow=True)
    assert response.status_code == 200
    grid = reverse("grades:entry_grid", args=[day.service.pk, day.school.period.pk])
    assert response.redirect_chain == [(grid, 302)]


@pytest.mark.parametrize("extra", [0, 12])
def test_the_teacher_home_costs_the_same_whatever_the_sessions(
    client, clock, django_assert_num_queries, extra
):
    day = TeacherDay(extra=extra)
    log_in(client, day.account)
    page(client)
    with django_assert_num_queries(TEACHER_HOME_QUERIES):
        content = page(client)
    assert len(sessions_of(content)) == 4 + extra


# -- The vie scolaire's and the direction's day -------------------------------------------


class DeskDay:
    """A collège at 10:20: 4B at 08:00 (roll call taken) and at 09:00 (not taken: Mme
    Klein), at 10:10 (started, within the grace delay) ; absences today (Emma absent,
    Hugo late, one voided), a justification of last week to examine, and Léo absent
    four mornings this month."""

    def __init__(self, pupils: int = 3):
        self.school = School("Collège des Tilleuls", "4B")
        school = self.school
        AttendancePolicy.objects.create(establishment=school.establishment)
        day = school.today
        self.emma = pupil_in(school.division, first_name="Emma", last_name="Martin")
        self.hugo = pupil_in(school.division, first_name="Hugo", last_name="Bernard")
        self.leo = pupil_in(school.division, first_name="Léo", last_name="Durand")
        others = [pupil_in(school.division) for _ in range(pupils)]
        taken = school.session(day, 8)
        RollCall.objects.create(
            occurrence=taken,
            establishment=school.establishment,
            taken_at=at(day, 8, 2),
            updated_at=at(day, 8, 2),
        )
        klein = PersonFactory(civility="MME", last_name="Klein")
        self.missing = school.session(day, 9, teachers=[klein])
        school.session(day, 10, minute=10)
        school.absence(self.emma, days_ago=0, hour=8)
        school.absence(self.hugo, days_ago=0, hour=9, kind=AbsenceKind.LATENESS, minutes_late=7)
        voided = school.absence(others[0], days_ago=0, hour=9)
        voided.voided_at = timezone.now()
        voided.save()
        school.absence(self.hugo, days_ago=7, hour=14, state=AbsenceState.PENDING)
        for n, other in enumerate(others[1:]):
            school.absence(other, days_ago=20 + n, hour=10)
        # Léo: four mornings of this month missed, not justified.
        rules = school.establishment.school_calendar_rules()
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        mornings = [d for d in calendar.school_days(rules, first, last) if d != day][:4]
        for morning in mornings:
            school.session(morning, 8)
            school.session(morning, 9)
            school.absence(self.leo, days_ago=(day - morning).days, hour=8)
            school.absence(self.leo, days_ago=(day - morning).days, hour=9)
        # Another establishment's absences are not counted.
        elsewhere = School("Lycée de la Seille", "2de1")
        elsewhere.absence(pupil_in(elsewhere.division), days_ago=0)

    def account(self, *kinds):
        return staff_account(self.school.establishment, *kinds, first_name="Claire")


def desk_of(content: str) -> str:
    start = content.index('id="desk-title"')
    return content[start : content.index('id="figures-title"')]


def test_the_cpe_sees_the_days_absences_roll_calls_not_taken_and_alerts(client, clock):
    day = DeskDay()
    log_in(client, day.account(RoleKind.CPE))
    desk = desk_of(page(client))
    figures = desk[: desk.index("Dernières saisies")]
    assert (
        '<span class="figure__value">1</span> <span class="figure__label">absence</span>' in figures
    )
    assert (
        '<span class="figure__value">1</span> <span class="figure__label">retard</span>' in figures
    )
    assert "élèves concernés" in figures
    # The latest entries, newest first, with a link to each.
    assert desk.index("BERNARD Hugo") < desk.index("MARTIN Emma")
    assert f'href="{reverse("attendance:desk")}"' in desk
    # The roll call not taken: Mme Klein's at 09:00, not the one started at 10:10.
    assert f'href="{reverse("attendance:roll_call_take", args=[day.missing.pk])}"' in desk
    assert "09:00 Mathématiques" in desk
    assert "10:10" not in desk
    assert "1 séance commencée depuis plus de 15 min sans appel" in desk
    # Alerts: the justifications to examine, the L131-8 list and the dropout watch, as the
    # legal pages count them.
    assert "<strong>1</strong> justification à examiner" in desk
    establishment = day.school.establishment
    month = day.school.today.replace(day=1)
    l131_8 = len(reports.l131_8(establishment, month))
    dropout = len(reports.dropout_watch(establishment, as_of=day.school.today))
    assert l131_8 >= 1
    assert f"<strong>{l131_8}</strong> élève" in desk
    assert f"<strong>{dropout}</strong> élève" in desk
    assert f"mois={month:%Y-%m}" in desk
    assert f'href="{reverse("attendance:dropout")}"' in desk


def test_the_latest_entries_are_limited(client, clock):
    day = DeskDay()
    for n in range(LATEST_ABSENCES + 2):
        day.school.absence(pupil_in(day.school.division), days_ago=0, hour=11 + n % 3)
    log_in(client, day.account(RoleKind.CPE))
    desk = desk_of(page(client))
    latest = desk[desk.index('class="plain desk-latest"') :]
    latest = latest[: latest.index("</ul>")]
    assert latest.count("<li>") == LATEST_ABSENCES


def test_the_secretariat_has_the_day_but_not_the_legal_alerts_and_a_teacher_neither(client, clock):
    day = DeskDay()
    log_in(client, day.account(RoleKind.SECRETARIAT))
    desk = desk_of(page(client))
    assert "justification à examiner" in desk
    assert "seuil de signalement" not in desk
    assert reverse("attendance:dropout") not in desk
    client.logout()
    log_in(client, day.account(RoleKind.TEACHER))
    assert 'id="desk-title"' not in page(client)


def test_the_alerts_are_computed_once_for_a_while_the_day_is_live(
    client, clock, django_assert_num_queries
):
    day = DeskDay()
    log_in(client, day.account(RoleKind.DIRECTION))
    with django_assert_num_queries(DIRECTION_HOME_QUERIES + ALERTS_QUERIES):
        page(client)
    day.school.absence(day.emma, days_ago=0, hour=11)
    with django_assert_num_queries(DIRECTION_HOME_QUERIES):
        desk = desk_of(page(client))
    # The counts of the day are live; the alerts say when they were computed.
    assert (
        '<span class="figure__value">2</span> <span class="figure__label">absences</span>' in desk
    )
    assert "calculés à 10:20" in desk


@pytest.mark.parametrize("pupils", [3, 40])
def test_the_direction_home_costs_the_same_whatever_the_size(
    client, clock, django_assert_num_queries, pupils
):
    day = DeskDay(pupils=pupils)
    log_in(client, day.account(RoleKind.DIRECTION))
    with django_assert_num_queries(DIRECTION_HOME_QUERIES + ALERTS_QUERIES):
        page(client)
    with django_assert_num_queries(DIRECTION_HOME_QUERIES):
        content = page(client)
    assert f'<span class="figure__value">{pupils + 3}</span>' in content
