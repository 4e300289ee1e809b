"""The families and schools the home page tests talk about (no test here).

A `School` is an establishment with its school year and a period, one division with its
head teacher and a maths teacher; its `today` and `next_day` are the days a card shows
(today and the next school day of its calendar, whatever day the tests run on).
`Family(size)` is Sophie, legal guardian of `size` children, alternately in a collège
and a lycée; each child has, on both days, sessions, homework due, marks and absences
(`extra` adds as many more of each: the page must cost the same).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from preau.attendance import services as attendance_services
from preau.attendance.models import AbsenceKind, AbsenceSource, AbsenceState
from preau.core.models import ResponsibilityLevel
from preau.core.selectors import today
from preau.homework.models import Homework
from preau.portal.selectors.cards import next_school_day
from preau.structure.models import Level
from preau.timetable.models import OccurrenceStatus
from tests.factories import (
    DivisionFactory,
    EvaluationFactory,
    OccurrenceFactory,
    PersonFactory,
    RoomFactory,
    SchoolYearFactory,
    SubjectFactory,
    TeachingServiceFactory,
    grading_period,
    guardian_account,
    mark,
    pupil_in,
)

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


class Clock:
    """Time standing still at 10:20 today (Paris)."""

    def __init__(self):
        self.day = timezone.localdate()
        self.moment = at(self.day, 10, 20)


def stop_clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.moment)
    return clock


class School:
    def __init__(self, name: str, division: str = "4B", level: str = Level.QUATRIEME):
        self.year = SchoolYearFactory(establishment__name=name)
        self.establishment = self.year.establishment
        self.division = DivisionFactory(school_year=self.year, name=division, level=level)
        self.head = PersonFactory(civility="MME", last_name=f"Principale{division}")
        self.division.head_teachers.add(self.head)
        self.teacher = PersonFactory(civility="M", last_name="Klein")
        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.service = TeachingServiceFactory(
            division=self.division, subject=self.maths, teachers=[self.teacher]
        )
        self.period = grading_period(self.year)
        self.today = today()
        self.next_day = next_school_day(self.establishment.school_calendar_rules(), self.today)

    def session(self, day: date, hour: int, *, audience=None, **fields):
        """A maths session of the division (or of `audience`: {"pupils": [...]})."""
        audience = audience or {"divisions": [self.division]}
        fields.setdefault("subject", self.maths)
        fields.setdefault("teachers", [self.teacher])
        return OccurrenceFactory(school_year=self.year, date=day, hour=hour, **audience, **fields)

    def evaluation(self, *, days_ago: int = 7, published_days_ago: int | None = None, **fields):
        day = self.today - timedelta(days=days_ago)
        published = (
            self.today - timedelta(days=published_days_ago)
            if published_days_ago is not None
            else day
        )
        return EvaluationFactory(
            service=self.service, period=self.period, date=day, published_on=published, **fields
        )

    def absence(self, pupil, *, days_ago: int = 3, hour: int = 8, **fields):
        day = self.today - timedelta(days=days_ago)
        if fields.get("kind") == AbsenceKind.LATENESS:
            fields.setdefault("minutes_late", 10)
            end = at(day, hour, fields["minutes_late"])
        else:
            end = at(day, hour, 55)
        return attendance_services.absence_create(
            actor=None,
            establishment=self.establishment,
            pupil=pupil,
            start=at(day, hour),
            end=end,
            source=AbsenceSource.DESK,
            notify=False,
            **fields,
        )

    def homework(self, occurrence, due: date, **fields) -> Homework:
        return Homework.objects.create(
            establishment=self.establishment,
            occurrence=occurrence,
            subject=occurrence.subject,
            author=self.teacher,
            instructions=fields.pop("instructions", "<p>Exercices 1 à 3 page 42</p>"),
            due_date=due,
            **fields,
        )


def fill(school: School, pupil, *, extra: int = 0, tag: str = "") -> None:
    """A child's days: a session today and on the next school day (with homework due
    then), a mark, an absence to justify and one being examined; `extra` more of each."""
    for n in range(1 + extra):
        today_session = school.session(school.today, 8 + n % 8, minute=n // 8)
        school.session(school.next_day, 8 + n % 8, minute=n // 8)
        school.homework(today_session, school.next_day, instructions=f"<p>Exercice {tag}{n}</p>")
        mark(school.evaluation(title=f"Contrôle {tag}{n}", days_ago=7 + n), pupil, "15,5")
        school.absence(pupil, days_ago=3 + n)
        school.absence(pupil, days_ago=3 + n, hour=14, state=AbsenceState.PENDING)


class Family:
    """Sophie Lambert, legal guardian of `size` children: the first, third… in the
    collège, the second, fourth… in the lycée."""

    def __init__(self, size: int = 2, *, extra: int = 0):
        self.college = School("Collège des Tilleuls", "4B")
        self.lycee = School("Lycée de la Seille", "1re 2", Level.PREMIERE)
        names = ["Emma", "Lucas", "Chloé", "Hugo", "Léa"]
        self.children = []
        for n in range(size):
            school = self.schools[n % 2]
            child = pupil_in(
                school.division, account=True, first_name=names[n % 5], last_name="Lambert"
            )
            fill(school, child, extra=extra, tag=names[n % 5])
            self.children.append(child)
        self.account = guardian_account(*self.children)
        self.person = self.account.person
        self.person.first_name = "Sophie"
        self.person.save()

    @property
    def schools(self) -> tuple[School, School]:
        return (self.college, self.lycee)

    def school_of(self, n: int) -> School:
        return self.schools[n % 2]

    def contact(self, *children) -> object:
        """An account of a level-2 person in charge of the children (a grandmother)."""
        return guardian_account(*children, level=ResponsibilityLevel.IN_CHARGE)


def room(school: School, name: str):
    return RoomFactory(establishment=school.establishment, name=name)


SCHEDULED = OccurrenceStatus.SCHEDULED
CANCELLED = OccurrenceStatus.CANCELLED
MOVED = OccurrenceStatus.MOVED
REPLACED = OccurrenceStatus.REPLACED
ROOM_CHANGED = OccurrenceStatus.ROOM_CHANGED
EXCEPTIONAL = OccurrenceStatus.EXCEPTIONAL
TEACHER_ABSENT = OccurrenceStatus.TEACHER_ABSENT
