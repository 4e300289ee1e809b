"""A small school for the cahier de textes tests: Emma's 4B and the 4C, a maths
teacher of both, with sessions today and in the coming days."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from preau.core.models import RoleKind
from preau.core.selectors import today
from preau.homework import services
from tests.factories import (
    DivisionFactory,
    OccurrenceFactory,
    SubjectFactory,
    division_service,
    guardian_account,
    pupil_in,
    staff_account,
)


class School:
    def __init__(self):
        self.division = DivisionFactory(name="4B")
        self.year = self.division.school_year
        self.establishment = self.division.establishment
        self.other_division = DivisionFactory(name="4C", school_year=self.year)
        self.maths = SubjectFactory(establishment=self.establishment, label="Mathématiques")
        self.french = SubjectFactory(establishment=self.establishment, label="Français")
        self.teacher = staff_account(self.establishment, last_name="Petit", first_name="Anne")
        self.colleague = staff_account(self.establishment, last_name="Grand")
        self.stranger = staff_account(self.establishment, last_name="Autre")
        self.service = division_service(
            self.division, self.teacher.person, self.colleague.person, subject=self.maths
        )
        self.other_service = division_service(
            self.other_division, self.teacher.person, subject=self.maths
        )
        self.direction = staff_account(self.establishment, RoleKind.DIRECTION)
        self.cpe = staff_account(self.establishment, RoleKind.CPE)
        self.secretariat = staff_account(self.establishment, RoleKind.SECRETARIAT)
        self.elsewhere = staff_account(DivisionFactory().establishment, RoleKind.DIRECTION)
        self.emma = pupil_in(self.division, account=True, first_name="Emma")
        self.lucas = pupil_in(self.division, account=True, first_name="Lucas")
        self.zoe = pupil_in(self.other_division, account=True, first_name="Zoé")
        self.mother = guardian_account(self.emma)
        self.grandmother = guardian_account(self.emma, level=2)
        self.zoe_mother = guardian_account(self.zoe)
        self.day = today()
        self.session = self.occurrence(self.day, hour=8)
        self.next_session = self.occurrence(self.day + timedelta(days=2), hour=10)
        self.later_session = self.occurrence(self.day + timedelta(days=7), hour=10)
        self.other_session = self.occurrence(
            self.day + timedelta(days=1), hour=9, division=self.other_division
        )

    def occurrence(self, day, *, hour=8, division=None, subject=None, teachers=None):
        return OccurrenceFactory(
            school_year=self.year,
            date=day,
            hour=hour,
            subject=subject or self.maths,
            teachers=teachers or [self.teacher.person],
            divisions=[division or self.division],
        )

    def give(self, occurrence=None, **fields):
        """A homework given by the teacher through the service (due for the next
        session unless told)."""
        occurrence = occurrence or self.session
        fields.setdefault("instructions", "<p>Exercices 1 à 3 page 45</p>")
        if "due_date" not in fields and "due_occurrence_id" not in fields:
            fields["due_occurrence_id"] = self.next_session.pk
        return services.homework_create(actor=self.teacher, occurrence_id=occurrence.pk, **fields)

    def attach(self, homework, name="exercices.pdf", data=b"%PDF-1.4 fiche"):
        return services.attachment_add(
            actor=self.teacher,
            upload=SimpleUploadedFile(name, data, content_type="application/pdf"),
            homework_id=homework.pk,
        )
