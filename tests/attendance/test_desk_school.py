"""The collège the desk tests talk about (no test here: the other test_desk* modules
use it).

4A and 4B, each with a full day of courses on two school days, `day` and `next_day`:
four courses from 8:00 to 12:00 and three from 13:30 to 16:30 (attendance.md's worked
cases). Emma Roche and Hugo Berger are in 4B, Léa Dumas in 4A; a teacher teaches 4B;
the vie scolaire, the direction and the secretariat; a parent of Emma; and a lycée next
door with its own CPE and pupil, who must never see or be seen."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.http import urlencode

from preau.attendance import services
from preau.attendance.models import AbsenceKind, AbsenceReason, AbsenceSource
from preau.core import calendar
from preau.core.models import RoleKind
from preau.core.selectors import today
from tests.factories import (
    DivisionFactory,
    OccurrenceFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    guardian_account,
    pupil_in,
    staff_account,
)

PARIS = ZoneInfo("Europe/Paris")
MORNING = [(8, 0), (9, 0), (10, 0), (11, 0)]
AFTERNOON = [(13, 30), (14, 30), (15, 30)]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def school_days_ahead(establishment, count: int) -> list[date]:
    """The next `count` school days a week from now on (no weekend, holiday or public
    holiday), so that the courses placed on them are scheduled time."""
    rules = establishment.calendar_rules()
    start = today() + timedelta(days=7)
    days = calendar.school_days(rules, start, start + timedelta(days=60))
    return days[:count]


class DeskSchool:
    def __init__(self):
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.a4 = DivisionFactory(school_year=self.year, name="4A")
        self.b4 = DivisionFactory(school_year=self.year, name="4B")
        self.cpe = staff_account(self.establishment, RoleKind.CPE, last_name="Martin")
        self.aed = staff_account(self.establishment, RoleKind.EDUCATION_ASSISTANT)
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER, last_name="Schmitt")
        division_service(self.b4, self.teacher.person)

        self.emma = pupil_in(self.b4, account=True, first_name="Emma", last_name="Roche")
        self.hugo = pupil_in(self.b4, first_name="Hugo", last_name="Berger")
        self.lea = pupil_in(self.a4, first_name="Léa", last_name="Dumas")
        self.parent = guardian_account(self.emma)

        self.lycee = DivisionFactory(name="2nde 1")
        self.stranger = pupil_in(self.lycee, first_name="Emma", last_name="Rochette")
        self.other_cpe = staff_account(self.lycee.establishment, RoleKind.CPE)

        services.reasons_ensure(self.establishment)
        self.illness = self.reason("MAL")
        self.transport = self.reason("TRANSP")
        self.alarm = self.reason("PANNE")
        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.sport = SubjectFactory(establishment=self.establishment, label="EPS")

        self.day, self.next_day = school_days_ahead(self.establishment, 2)
        self.courses = {}
        for division in (self.a4, self.b4):
            for day in (self.day, self.next_day):
                for hour, minute in MORNING + AFTERNOON:
                    self.courses[(division.name, day, hour)] = OccurrenceFactory(
                        school_year=self.year,
                        date=day,
                        hour=hour,
                        minute=minute,
                        subject=self.maths,
                        teachers=[self.teacher.person],
                        divisions=[division],
                    )

    def reason(self, code: str) -> AbsenceReason:
        return AbsenceReason.objects.get(establishment=self.establishment, code=code)

    def absence(self, pupil, start, end, **fields):
        """An absence entered by the office (the system, for the test's setting)."""
        fields.setdefault("source", AbsenceSource.DESK)
        return services.absence_create(
            actor=None,
            establishment=self.establishment,
            pupil=pupil,
            start=start,
            end=end,
            notify=False,
            **fields,
        )

    def lateness(self, pupil, start, minutes: int, **fields):
        return self.absence(
            pupil,
            start,
            start + timedelta(minutes=minutes),
            kind=AbsenceKind.LATENESS,
            minutes_late=minutes,
            **fields,
        )

    def pending(self, pupil, start, end, reason=None):
        """An absence a family justified online, waiting for the desk."""
        absence = self.absence(pupil, start, end)
        return services.absence_justify(
            actor=None, absence=absence, reason=reason or self.illness, comment="Fièvre"
        )


def desk_url(school: DeskSchool, **params) -> str:
    params.setdefault("jour", school.day.isoformat())
    return f"{reverse('attendance:desk')}?{urlencode(params)}"
