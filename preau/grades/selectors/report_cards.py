"""What a report card (bulletin) says, for every pupil of a division and a period: per
subject the pupil's average, the class figures, the teachers and their appraisal; the
general average and its class figures; the head teacher's and the conseil de classe's
appraisals; the half-days of absence (of which unjustified) and the lateness of the
period.

The averages are the class book's (`book.class_book`, the engine's), the attendance
figures those of the attendance reports (`attendance.reports`: the same half-days the
vie scolaire and the L131-8 list count). The whole division costs a fixed number of
queries: the book's eight, the appraisals, the head teachers, the seal, and the
attendance reports' eleven.

Which divisions a staff member prepares the conseil de classe of, or reads the report
cards of, is decided here too: the pages and the access explainer ask the same.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from preau.attendance import reports
from preau.core.access import StaffScope
from preau.core.models import Establishment, GradingPeriod, Person
from preau.grades import engine
from preau.grades.access import is_direction, reads_report_cards
from preau.grades.models import Appraisal, AppraisalKind, GradesPolicy, PeriodSeal
from preau.grades.selectors.book import ClassBook, class_book
from preau.structure.models import Division, TeachingService
from preau.structure.selectors import divisions_with_counts


@dataclass(frozen=True)
class Absences:
    """A pupil's attendance over the period, as the attendance reports count it."""

    half_days: int = 0
    unjustified_half_days: int = 0
    lateness: int = 0


@dataclass(frozen=True)
class PartLine:
    """A sub-subject's average inside a subject line (écrit, oral)."""

    label: str
    coefficient: Fraction
    average: Fraction | None


@dataclass(frozen=True)
class SubjectLine:
    service: TeachingService
    label: str
    teachers: list[str]
    coefficient: Fraction
    average: Fraction | None
    figures: engine.Figures
    parts: list[PartLine] = field(default_factory=list)
    appraisal: Appraisal | None = None


@dataclass(frozen=True)
class PupilCard:
    pupil: Person
    lines: list[SubjectLine]
    general: Fraction | None
    absences: Absences
    head_teacher: Appraisal | None = None
    council: Appraisal | None = None

    def line(self, service_id: int) -> SubjectLine | None:
        return next((line for line in self.lines if line.service.pk == service_id), None)


@dataclass
class DivisionCards:
    establishment: Establishment
    division: Division
    period: GradingPeriod
    policy: GradesPolicy
    head_teachers: list[Person]
    sealed: bool
    book: ClassBook
    cards: list[PupilCard]

    @property
    def rounding(self) -> engine.Rounding:
        return self.policy.rounding

    @property
    def services(self) -> list[TeachingService]:
        return self.book.services

    @property
    def general_figures(self) -> engine.Figures:
        return self.book.results.general

    def card(self, pupil_id: int) -> PupilCard | None:
        return next((card for card in self.cards if card.pupil.pk == pupil_id), None)


def subject_label(service: TeachingService) -> str:
    """The subject, with the group when the service is a group's ("Espagnol — LV2 B")."""
    if service.group_id:
        return f"{service.subject.label} — {service.group.name}"
    return service.subject.label


def period_absences(
    establishment: Establishment, period: GradingPeriod, pupil_ids: list[int]
) -> dict[int, Absences]:
    """Each pupil's half-days and lateness over the period, counted by the attendance
    reports as the monthly figures are (eleven queries)."""
    counted = reports.range_figures(establishment, period.start_date, period.end_date, pupil_ids)
    figures = {}
    for pupil_id in pupil_ids:
        month = counted.get(pupil_id)
        figures[pupil_id] = (
            Absences(
                half_days=month.half_days,
                unjustified_half_days=month.unjustified_half_days,
                lateness=month.lateness,
            )
            if month is not None
            else Absences()
        )
    return figures


def division_cards(
    *,
    division: Division,
    period: GradingPeriod,
    pupil_ids: list[int] | None = None,
    policy: GradesPolicy | None = None,
    with_absences: bool = True,
) -> DivisionCards:
    """The report cards of the division's pupils (`pupil_ids`: only those, the class
    figures still over the whole class) for `period`. Every evaluation counts,
    published or not: a report card is the period's whole record."""
    establishment = Establishment.objects.get(pk=division.establishment_id)
    book = class_book(division=division, period=period, policy=policy)
    pupils = book.pupils
    if pupil_ids is not None:
        wanted = set(pupil_ids)
        pupils = [pupil for pupil in pupils if pupil.pk in wanted]
    ids = [pupil.pk for pupil in pupils]
    subject_appraisals: dict[tuple[int, int], Appraisal] = {}
    own: dict[tuple[int, str], Appraisal] = {}
    for appraisal in Appraisal.objects.filter(period=period, pupil_id__in=ids):
        if appraisal.kind == AppraisalKind.SUBJECT:
            subject_appraisals[(appraisal.pupil_id, appraisal.service_id)] = appraisal
        else:
            own[(appraisal.pupil_id, appraisal.kind)] = appraisal
    head_teachers = list(division.head_teachers.order_by("last_name", "first_name"))
    sealed = PeriodSeal.objects.filter(division=division, period=period).exists()
    absences = (
        period_absences(establishment, period, ids) if with_absences else defaultdict(Absences)
    )
    labels = {
        service.pk: {sub.pk: sub.label for sub in book.sub_subjects.get(service.pk, [])}
        for service in book.services
    }
    cards = []
    for pupil in pupils:
        results = book.results.pupils[pupil.pk]
        lines = []
        for service in book.services:
            if not book.follows(pupil.pk, service):
                continue
            average = results.subjects[service.pk]
            parts = [
                PartLine(labels[service.pk].get(part.key, ""), part.coefficient, part.average.value)
                for part in average.parts
                if part.key is not None
            ]
            lines.append(
                SubjectLine(
                    service=service,
                    label=subject_label(service),
                    teachers=[t.formal_name for t in service.teachers.all()],
                    coefficient=book.coefficients[service.pk],
                    average=average.value,
                    figures=book.results.subjects[service.pk],
                    parts=parts,
                    appraisal=subject_appraisals.get((pupil.pk, service.pk)),
                )
            )
        cards.append(
            PupilCard(
                pupil=pupil,
                lines=lines,
                general=results.general.value,
                absences=absences[pupil.pk],
                head_teacher=own.get((pupil.pk, AppraisalKind.HEAD_TEACHER)),
                council=own.get((pupil.pk, AppraisalKind.COUNCIL)),
            )
        )
    return DivisionCards(
        establishment=establishment,
        division=division,
        period=period,
        policy=book.policy,
        head_teachers=head_teachers,
        sealed=sealed,
        book=book,
        cards=cards,
    )


# -- Who sees which division -------------------------------------------------------------


def _heads(division: Division, person_id: int) -> bool:
    return any(person.pk == person_id for person in division.head_teachers.all())


def council_divisions(scope: StaffScope, day: date) -> list[Division]:
    """The direction: every division of the year; a teacher: those they are head
    teacher of. Two queries."""
    divisions = divisions_with_counts(establishment_id=scope.establishment_id, day=day)
    if is_direction(scope):
        return divisions
    return [division for division in divisions if _heads(division, scope.person_id)]


def report_card_divisions(scope: StaffScope, day: date) -> list[Division]:
    """Readers of report cards: every division; a teacher: those they head."""
    divisions = divisions_with_counts(establishment_id=scope.establishment_id, day=day)
    if reads_report_cards(scope):
        return divisions
    return [division for division in divisions if _heads(division, scope.person_id)]
