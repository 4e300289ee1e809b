"""The collège the legal follow-up tests talk about, in March 2026 (2025-2026); no
test here, the other test_legal* modules use it.

4A and 4B have a course at 8:00 and one at 14:00 every school day from 9 to 20 March.
In March:
- Hugo (4B) missed five whole days: 10 unjustified half-days, heavy absenteeism;
- Emma (4A) missed 5 half-days, of which the one of Thursday 12 morning was accepted
  later (today): 4 unjustified, a referral; she was late twice. Her mother and father
  are both legal guardians, at different addresses; her grandmother is a contact;
- Léa (4A) missed 2 unjustified half-days: a letter to the family;
- Tom (4A) missed 1: not listed;
- Zoé (4A) was never absent.
A lycée next door has its own CPE and pupil, who must never see or be seen.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from preau.attendance import services
from preau.attendance.models import AbsenceKind, AbsenceState
from preau.core.models import (
    Civility,
    ExternalId,
    Relationship,
    ResponsibilityLevel,
    RoleKind,
)
from preau.structure.models import Level
from tests.factories import (
    AccountFactory,
    DivisionFactory,
    GuardianshipFactory,
    OccurrenceFactory,
    PersonFactory,
    SchoolYearFactory,
    pupil_in,
    staff_account,
)

PARIS = ZoneInfo("Europe/Paris")
MARCH = date(2026, 3, 1)
DAYS = [date(2026, 3, d) for d in (9, 10, 11, 12, 13, 16, 17, 18, 19, 20)]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


class LegalSchool:
    def __init__(self, *, timetable: bool = True):
        self.year = SchoolYearFactory(
            start_date=date(2025, 9, 1), end_date=date(2026, 7, 3), label="2025-2026"
        )
        self.establishment = self.year.establishment
        self.establishment.address = "12 rue des Écoles"
        self.establishment.postal_code = "57000"
        self.establishment.city = "Metz"
        self.establishment.phone = "03 87 00 00 00"
        self.establishment.email = "ce.0570000@ac-nancy-metz.fr"
        self.establishment.save()
        self.policy = services.policy_for(self.establishment)
        self.reasons = {r.code: r for r in services.reasons_ensure(self.establishment)}
        self.a4 = DivisionFactory(school_year=self.year, name="4A", level=Level.QUATRIEME)
        self.b4 = DivisionFactory(school_year=self.year, name="4B", level=Level.QUATRIEME)

        self.cpe = staff_account(self.establishment, RoleKind.CPE, last_name="Mercier")
        self.cpe.person.civility = Civility.MRS
        self.cpe.person.save()
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION, last_name="Duval")
        self.aed = staff_account(self.establishment, RoleKind.EDUCATION_ASSISTANT)
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)
        self.teacher = staff_account(self.establishment, RoleKind.TEACHER)
        self.head_teacher = staff_account(self.establishment, RoleKind.TEACHER)
        self.a4.head_teachers.add(self.head_teacher.person)

        self.hugo = pupil_in(self.b4, first_name="Hugo", last_name="Bernard")
        self.emma = pupil_in(self.a4, first_name="Emma", last_name="Roche")
        self.lea = pupil_in(self.a4, first_name="Léa", last_name="Petit")
        self.tom = pupil_in(self.a4, first_name="Tom", last_name="Garnier")
        self.zoe = pupil_in(self.a4, first_name="Zoé", last_name="Lambert")
        ExternalId.objects.create(person=self.emma, source="ine", value="123456789AB")
        self.emma.birth_date = date(2012, 5, 14)
        self.emma.save()

        self.mother = PersonFactory(
            civility=Civility.MRS,
            first_name="Claire",
            last_name="Roche",
            address_line1="3 allée des Tilleuls",
            postal_code="57050",
            city="Le Ban-Saint-Martin",
        )
        self.father = PersonFactory(
            civility=Civility.MR,
            first_name="Paul",
            last_name="Roche",
            address_line1="48 avenue Foch",
            postal_code="54000",
            city="Nancy",
        )
        self.grandmother = PersonFactory(first_name="Jeanne", last_name="Vautrin")
        GuardianshipFactory(guardian=self.mother, pupil=self.emma, relationship=Relationship.MOTHER)
        GuardianshipFactory(guardian=self.father, pupil=self.emma, relationship=Relationship.FATHER)
        GuardianshipFactory(
            guardian=self.grandmother,
            pupil=self.emma,
            level=ResponsibilityLevel.CONTACT,
            relationship=Relationship.ASCENDANT,
        )
        self.parent = AccountFactory(person=self.mother)

        self.other_year = SchoolYearFactory(
            start_date=self.year.start_date, end_date=self.year.end_date, label="2025-2026"
        )
        other_division = DivisionFactory(school_year=self.other_year, name="2nde 1")
        self.other_cpe = staff_account(self.other_year.establishment, RoleKind.CPE)
        self.stranger = pupil_in(other_division, first_name="Lucas", last_name="Lambert")

        if timetable:
            for day in DAYS:
                self.courses(day)
            self.absences()

    def courses(self, day: date, divisions=None):
        for division in divisions or (self.a4, self.b4):
            for hour in (8, 14):
                OccurrenceFactory(
                    school_year=self.year, date=day, hour=hour, minutes=55, divisions=[division]
                )

    def absent(self, pupil, day: date, *, morning=True, afternoon=True, state=None, kind=None):
        start = local(day, 8 if morning else 13)
        end = local(day, 12 if not afternoon else 17)
        return services.absence_create(
            actor=self.cpe,
            establishment=self.establishment,
            pupil=pupil,
            start=start,
            end=end,
            kind=kind or AbsenceKind.ABSENCE,
            state=state or AbsenceState.UNJUSTIFIED,
            notify=False,
            at=local(day, 18),
        )

    def late(self, pupil, day: date, minutes: int = 10):
        return services.absence_create(
            actor=self.cpe,
            establishment=self.establishment,
            pupil=pupil,
            start=local(day, 8),
            end=local(day, 8) + timedelta(minutes=minutes),
            kind=AbsenceKind.LATENESS,
            minutes_late=minutes,
            notify=False,
            at=local(day, 18),
        )

    def absences(self):
        for day in DAYS[:5]:
            self.absent(self.hugo, day)
        self.absent(self.emma, DAYS[0])  # Monday 9: morning and afternoon
        self.absent(self.emma, DAYS[1], afternoon=False)  # Tuesday 10 morning
        self.absent(self.emma, DAYS[2], morning=False)  # Wednesday 11 afternoon
        self.accepted = self.absent(self.emma, DAYS[3], afternoon=False)  # Thursday 12
        services.absence_decide(
            actor=self.cpe,
            absence=self.accepted,
            expected_version=None,
            accept=True,
            reason=self.reasons["FAM"],
        )
        self.late(self.emma, DAYS[5])
        self.late(self.emma, DAYS[6])
        self.absent(self.lea, DAYS[4])
        self.absent(self.tom, DAYS[4], afternoon=False)
