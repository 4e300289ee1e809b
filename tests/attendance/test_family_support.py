"""The family the family-page and notice tests talk about (no test here).

Emma Roche, 12, is in 4B of a collège. Her parents are separated, each with their own
account and e-mail address: both are legal guardians. Her grandmother looks after her
after school (level 2, "personne en charge"). Another parent follows Hugo, in the same
division. Léa, 18, is in 1re at the same collège's lycée side with her own account.
The week before this one, Emma missed maths on Monday at 08:00 and was 10 minutes late
for French at 10:00.
"""

from datetime import date, timedelta

from preau.attendance import services
from preau.attendance.models import AbsenceKind, AbsenceSource
from preau.core.models import RoleKind
from preau.core.selectors import today
from tests.factories import (
    DivisionFactory,
    OccurrenceFactory,
    PersonFactory,
    SchoolYearFactory,
    SubjectFactory,
    division_service,
    guardian_account,
    pupil_in,
    staff_account,
)


def last_monday() -> date:
    day = today() - timedelta(days=7)
    return day - timedelta(days=day.weekday())


def years_ago(years: int, days: int = 0) -> date:
    day = today()
    return day.replace(year=day.year - years) - timedelta(days=days)


class Family:
    def __init__(self):
        # Persons and accounts numbered apart: a page taking one id for the other fails.
        PersonFactory.create_batch(3)
        self.year = SchoolYearFactory()
        self.establishment = self.year.establishment
        self.establishment.phone = "03 87 00 00 00"
        self.establishment.save()
        self.monday = last_monday()
        self.b4 = DivisionFactory(school_year=self.year, name="4B")
        self.t1 = DivisionFactory(school_year=self.year, name="1re 2")
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER)
        division_service(self.b4, self.teacher.person)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)

        self.emma = pupil_in(
            self.b4, account=True, first_name="Emma", last_name="Roche", birth_date=years_ago(12)
        )
        self.mother = guardian_account(self.emma)
        self.father = guardian_account(self.emma)
        self.mother.person.first_name, self.mother.person.civility = "Claire", "MME"
        self.mother.person.save()
        self.grandmother = guardian_account(self.emma, level=2)
        self.hugo = pupil_in(self.b4, first_name="Hugo", birth_date=years_ago(12))
        self.other_parent = guardian_account(self.hugo)
        self.lea = pupil_in(
            self.t1, account=True, first_name="Léa", last_name="Martin", birth_date=years_ago(18)
        )
        self.lea_mother = guardian_account(self.lea)

        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.french = SubjectFactory(establishment=self.establishment, label="Français")
        self.reasons = {r.code: r for r in services.reasons_ensure(self.establishment)}

        self.maths_monday = self.session(self.monday, 8, self.maths)
        self.french_monday = self.session(self.monday, 10, self.french)
        self.absent = self.absence(self.emma, self.maths_monday)
        self.late = self.absence(self.emma, self.french_monday, minutes_late=10)

    def account(self, name: str):
        """The account of the person the test names ("mother", "emma", "cpe")."""
        who = getattr(self, name)
        return who.account if hasattr(who, "birth_date") else who

    def session(self, day: date, hour: int, subject, division=None):
        return OccurrenceFactory(
            school_year=self.year,
            date=day,
            hour=hour,
            subject=subject,
            teachers=[self.teacher.person],
            divisions=[division or self.b4],
        )

    def absence(self, pupil, occurrence, *, minutes_late: int | None = None, **fields):
        """An absence (or a lateness) as the roll call records it, without notices."""
        if minutes_late:
            fields.update(
                kind=AbsenceKind.LATENESS,
                minutes_late=minutes_late,
                end=occurrence.start + timedelta(minutes=minutes_late),
            )
        return services.absence_create(
            actor=None,
            establishment=self.establishment,
            pupil=pupil,
            start=fields.pop("start", occurrence.start),
            end=fields.pop("end", occurrence.end),
            occurrence=occurrence,
            source=AbsenceSource.ROLL_CALL,
            notify=False,
            **fields,
        )

    def period(self, pupil, start, end, **fields):
        """An absence the vie scolaire entered over a period (no occurrence)."""
        return services.absence_create(
            actor=None,
            establishment=self.establishment,
            pupil=pupil,
            start=start,
            end=end,
            notify=False,
            **fields,
        )
