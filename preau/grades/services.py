"""Every write of grades: evaluations, marks, sub-subjects and coefficients, sealed
periods, appraisals, settings.

Rules kept here, whoever calls (the grid, the API, the demo, commands):
- only a service's teachers enter its marks; the direction corrects any of its
  establishment, and is the only one to change a mark once the division's period is
  sealed (the change is flagged in the trail);
- every mark change is a `MarkChange` row (who, when, before, after), never deleted;
  evaluations and appraisals are audited;
- two teachers of a co-taught service typing at once never overwrite each other
  unseen: each change names the version it started from (`expected_version`, 0 for
  an empty cell) and fails with `StaleMark`, carrying what is there now, otherwise.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.audit.services import audit_record
from preau.core.models import GradingPeriod, Person
from preau.core.permissions import actor_person_id as _person_id
from preau.core.permissions import directs
from preau.core.permissions import is_system as _system
from preau.grades import engine
from preau.grades.access import policy_of
from preau.grades.models import (
    Appraisal,
    AppraisalKind,
    Evaluation,
    EvaluationKind,
    GradesPolicy,
    Mark,
    MarkChange,
    PeriodSeal,
    SubjectCoefficient,
    SubSubject,
)
from preau.grades.selectors.audience import (
    division_pupils,
    service_divisions,
    service_pupil_ids,
)
from preau.structure.models import Division, TeachingService

# -- Permissions ------------------------------------------------------------------------


def may_enter(actor, service: TeachingService) -> bool:
    """A service's teachers, and the direction of its establishment."""
    if _system(actor):
        return True
    if service.teachers.filter(pk=_person_id(actor)).exists():
        return True
    return directs(actor, service.establishment_id)


def require_entry(actor, service: TeachingService) -> None:
    if not may_enter(actor, service):
        raise PermissionDenied(
            _("Seuls les enseignants du service et la direction saisissent ses notes.")
        )


def sealed_divisions(evaluation: Evaluation) -> bool:
    """Whether one of the divisions the evaluation's service draws on has sealed the
    period."""
    return period_sealed(evaluation.service, evaluation.period_id)


def period_sealed(service: TeachingService, period_id: int) -> bool:
    """Whether one of the divisions `service` draws on has sealed the period."""
    return PeriodSeal.objects.filter(
        period_id=period_id, division__in=service_divisions(service)
    ).exists()


# -- Evaluations ------------------------------------------------------------------------

EVALUATION_FIELDS = (
    "title",
    "date",
    "scale",
    "coefficient",
    "bring_to_20",
    "kind",
    "sub_subject",
    "published_on",
    "period",
)


def _evaluation_snapshot(evaluation: Evaluation) -> dict:
    return {
        "title": evaluation.title,
        "date": evaluation.date.isoformat(),
        "scale": str(evaluation.scale),
        "coefficient": str(evaluation.coefficient),
        "bring_to_20": evaluation.bring_to_20,
        "kind": evaluation.kind,
        "sub_subject": evaluation.sub_subject_id,
        "published_on": evaluation.published_on.isoformat(),
        "period": evaluation.period_id,
    }


def _check_evaluation(evaluation: Evaluation) -> None:
    """The rules of grades.md on an evaluation's fields, with the field at fault."""
    errors = {}
    scale = Decimal(evaluation.scale)
    if not Decimal(0) < scale <= Decimal(100):
        errors["scale"] = _("Le barème est un nombre supérieur à 0 et au plus 100.")
    if not Decimal(0) <= Decimal(evaluation.coefficient) <= Decimal(99):
        errors["coefficient"] = _("Le coefficient va de 0 à 99.")
    if evaluation.kind not in EvaluationKind.values:
        errors["kind"] = _("Type de devoir inconnu.")
    period = evaluation.period
    if period.school_year_id != evaluation.service.school_year_id:
        errors["period"] = _("La période n'est pas de l'année scolaire du service.")
    if evaluation.sub_subject_id and evaluation.sub_subject.service_id != evaluation.service_id:
        errors["sub_subject"] = _("Cette sous-matière n'est pas de ce service.")
    if errors:
        raise ValidationError(errors)


def evaluation_create(
    *, actor, service: TeachingService, period: GradingPeriod, **fields
) -> Evaluation:
    """A new evaluation of `service` in `period` (fields: title, date, scale,
    coefficient, bring_to_20, kind, sub_subject, published_on — the date when
    omitted)."""
    require_entry(actor, service)
    unknown = set(fields) - set(EVALUATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if period_sealed(service, period.pk) and not directs(actor, service.establishment_id):
        raise PermissionDenied(
            _("La période est close : seule la direction peut y ajouter un devoir.")
        )
    fields.setdefault("published_on", fields.get("date"))
    evaluation = Evaluation(
        establishment_id=service.establishment_id,
        service=service,
        period=period,
        created_by_id=_person_id(actor),
        **fields,
    )
    _check_evaluation(evaluation)
    with transaction.atomic():
        evaluation.save()
        audit_record(
            actor=actor,
            action="grades.evaluation_create",
            target=evaluation,
            establishment=service.establishment,
            after=_evaluation_snapshot(evaluation),
        )
    return evaluation


@transaction.atomic
def evaluation_update(*, actor, evaluation: Evaluation, **changes) -> Evaluation:
    """Changes an evaluation's fields; in a sealed period only the direction may."""
    current = (
        Evaluation.objects.select_for_update()
        .select_related("service", "period")
        .get(pk=evaluation.pk)
    )
    require_entry(actor, current.service)
    if sealed_divisions(current) and not directs(actor, current.establishment_id):
        raise PermissionDenied(
            _("La période est close : seule la direction peut modifier ce devoir.")
        )
    unknown = set(changes) - set(EVALUATION_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    before = _evaluation_snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    _check_evaluation(current)
    if (
        "scale" in changes
        and Mark.objects.filter(evaluation=current, value__gt=Decimal(current.scale)).exists()
    ):
        raise ValidationError({"scale": _("Des notes dépassent ce barème : corrigez-les d'abord.")})
    if (
        "period" in changes
        and sealed_divisions(current)
        and not directs(actor, current.establishment_id)
    ):
        raise PermissionDenied(
            _("La période est close : seule la direction peut y placer ce devoir.")
        )
    current.save()
    audit_record(
        actor=actor,
        action="grades.evaluation_update",
        target=current,
        establishment=current.establishment,
        before=before,
        after=_evaluation_snapshot(current),
    )
    return current


@transaction.atomic
def evaluation_delete(*, actor, evaluation: Evaluation) -> None:
    """Only an evaluation with no mark may go (marks are never lost); in a sealed
    period only the direction may remove one."""
    require_entry(actor, evaluation.service)
    if sealed_divisions(evaluation) and not directs(actor, evaluation.establishment_id):
        raise PermissionDenied(
            _("La période est close : seule la direction peut supprimer ce devoir.")
        )
    if Mark.objects.filter(evaluation=evaluation).exists():
        raise ValidationError(
            _("Ce devoir a des notes : effacez-les d'abord (elles restent dans l'historique).")
        )
    audit_record(
        actor=actor,
        action="grades.evaluation_delete",
        target=evaluation,
        establishment=evaluation.establishment,
        before=_evaluation_snapshot(evaluation),
    )
    evaluation.delete()


# -- Marks ------------------------------------------------------------------------------


class StaleMark(Exception):
    """The cell changed since it was read: nothing was written; `current` is what is
    there now ("" for empty) and `version` its version (0 for empty)."""

    def __init__(self, current: str, version: int):
        super().__init__(
            _("Cette note vient d'être modifiée par un collègue (%(current)s) : vérifiez-la.")
            % {"current": current or _("vide")}
        )
        self.current = current
        self.version = version


@dataclass(frozen=True)
class Cell:
    """What a grid cell holds after a change."""

    pupil_id: int
    text: str
    version: int
    error: str = ""
    # On a conflict, what the colleague typed (the cell shows it).
    conflict: bool = False


@dataclass(frozen=True)
class Change:
    pupil_id: int
    text: str
    # The version the typist started from: 0 for an empty cell, None to force.
    expected_version: int | None = None


def marks_set(
    *, actor, evaluation: Evaluation, changes: Sequence[Change], source: str = "grid"
) -> list[Cell]:
    """Applies typed cells to an evaluation in one transaction. Each cell stands on its
    own: an invalid entry or a conflict is answered in its cell with the reason, and
    the others are kept. A pupil outside the evaluation's audience is refused. The
    writes are bulk: a fixed number of queries whatever the number of cells (a pasted
    column of 30 costs what one cell does)."""
    service = evaluation.service
    require_entry(actor, service)
    direction = directs(actor, evaluation.establishment_id)
    after_seal = sealed_divisions(evaluation)
    if after_seal and not direction:
        raise PermissionDenied(
            _("La période est close pour cette classe : seule la direction peut corriger une note.")
        )
    scale = engine.Fraction(evaluation.scale)
    allowed = service_pupil_ids(service, evaluation.period)
    person_id = _person_id(actor)
    cells: list[Cell] = []
    with transaction.atomic():
        stored = {
            mark.pupil_id: mark
            for mark in Mark.objects.select_for_update().filter(
                evaluation=evaluation, pupil_id__in=[change.pupil_id for change in changes]
            )
        }
        # What each touched cell holds as the batch goes (text, version); the same
        # pupil may come twice in a batch.
        state = {pupil: (mark.text, mark.version) for pupil, mark in stored.items()}
        trail: list[MarkChange] = []
        for change in changes:
            current_text, current_version = state.get(change.pupil_id, ("", 0))
            if change.pupil_id not in allowed and change.pupil_id not in stored:
                cells.append(
                    Cell(change.pupil_id, "", 0, error=_("Cet élève ne suit pas ce service."))
                )
                continue
            try:
                parsed = engine.parse_mark(change.text, scale)
            except engine.MarkError as error:
                cells.append(Cell(change.pupil_id, current_text, current_version, error=str(error)))
                continue
            new_text = parsed.text if parsed else ""
            stale = (
                change.expected_version is not None and change.expected_version != current_version
            )
            if stale and new_text != current_text:
                cells.append(_conflict(change.pupil_id, current_text, current_version))
                continue
            if new_text == current_text:
                cells.append(Cell(change.pupil_id, current_text, current_version))
                continue
            version = current_version + 1 if new_text else 0
            state[change.pupil_id] = (new_text, version)
            trail.append(
                MarkChange(
                    evaluation=evaluation,
                    pupil_id=change.pupil_id,
                    before=current_text,
                    after=new_text,
                    actor_id=person_id,
                    after_seal=after_seal,
                    source=source,
                )
            )
            cells.append(Cell(change.pupil_id, new_text, version))
        lost = _write_marks(evaluation, stored, state, person_id)
        if lost:
            # A colleague created these marks meanwhile: theirs stand, ours are refused.
            trail = [row for row in trail if row.pupil_id not in lost]
            cells = [
                _conflict(cell.pupil_id, *lost[cell.pupil_id])
                if cell.pupil_id in lost and not cell.error
                else cell
                for cell in cells
            ]
        MarkChange.objects.bulk_create(trail)
    return cells


def _conflict(pupil_id: int, text: str, version: int) -> Cell:
    return Cell(pupil_id, text, version, error=str(StaleMark(text, version)), conflict=True)


def _write_marks(
    evaluation: Evaluation, stored: dict[int, Mark], state: dict, person_id: int | None
) -> dict[int, tuple[str, int]]:
    """Writes the final state of the touched cells in bulk (one query each for the
    deletions, updates and creations, one to check the creations); returns the cells a
    colleague created first, with what they hold."""
    to_delete, to_update, to_create = [], [], []
    for pupil_id, (text, version) in state.items():
        mark = stored.get(pupil_id)
        if mark is not None and mark.version == version and mark.text == text:
            continue
        if not text:
            if mark is not None:
                to_delete.append(mark.pk)
            continue
        code = text if text in engine.CODES else ""
        value = None if code else Decimal(text)
        if mark is None:
            to_create.append(
                Mark(
                    evaluation=evaluation,
                    pupil_id=pupil_id,
                    value=value,
                    code=code,
                    version=version,
                    updated_by_id=person_id,
                )
            )
        else:
            mark.value, mark.code, mark.version = value, code, version
            mark.updated_by_id = person_id
            mark.updated_at = timezone.now()
            to_update.append(mark)
    if to_delete:
        Mark.objects.filter(pk__in=to_delete).delete()
    if to_update:
        Mark.objects.bulk_update(
            to_update, ["value", "code", "version", "updated_by", "updated_at"]
        )
    lost: dict[int, tuple[str, int]] = {}
    if to_create:
        Mark.objects.bulk_create(to_create, ignore_conflicts=True)
        wanted = {mark.pupil_id: mark for mark in to_create}
        for mark in Mark.objects.filter(evaluation=evaluation, pupil_id__in=list(wanted)):
            if mark.text != wanted[mark.pupil_id].text:
                lost[mark.pupil_id] = (mark.text, mark.version)
    return lost


def mark_set(
    *,
    actor,
    evaluation: Evaluation,
    pupil: Person,
    text: str,
    expected_version: int | None = None,
    source: str = "grid",
) -> Cell:
    """One cell (see `marks_set`)."""
    (cell,) = marks_set(
        actor=actor,
        evaluation=evaluation,
        changes=[Change(pupil.pk, text, expected_version)],
        source=source,
    )
    return cell


# -- Sub-subjects and coefficients -------------------------------------------------------


@transaction.atomic
def sub_subject_create(
    *, actor, service: TeachingService, code: str, label: str, coefficient: Decimal = Decimal(1)
) -> SubSubject:
    require_entry(actor, service)
    sub = SubSubject(
        service=service, code=code.strip().upper(), label=label.strip(), coefficient=coefficient
    )
    sub.full_clean()
    sub.save()
    audit_record(
        actor=actor,
        action="grades.sub_subject_create",
        target=sub,
        establishment=service.establishment,
        after={"code": sub.code, "label": sub.label, "coefficient": str(sub.coefficient)},
    )
    return sub


@transaction.atomic
def subject_coefficient_set(
    *,
    actor,
    subject_id: int,
    coefficient: Decimal,
    division: Division | None = None,
    level: str = "",
    school_year_id: int | None = None,
    establishment_id: int | None = None,
    period: GradingPeriod | None = None,
) -> SubjectCoefficient:
    """Sets a subject's coefficient for a division, or for a level, in one period or
    (period None) every period. The direction sets them."""
    if division is not None:
        establishment_id, school_year_id = division.establishment_id, division.school_year_id
    if not directs(actor, establishment_id):
        raise PermissionDenied(_("Seule la direction fixe les coefficients des matières."))
    where = {
        "subject_id": subject_id,
        "division": division,
        "level": "" if division is not None else level,
        "period": period,
        "school_year_id": school_year_id,
    }
    # Validated before anything is written (an out-of-range coefficient is a
    # ValidationError, not a failed insert).
    row = SubjectCoefficient.objects.select_for_update().filter(**where).first()
    before = None if row is None else {"coefficient": str(row.coefficient)}
    if row is None:
        row = SubjectCoefficient(establishment_id=establishment_id, **where)
    row.coefficient = coefficient
    row.full_clean()
    row.save()
    audit_record(
        actor=actor,
        action="grades.subject_coefficient_set",
        target=row,
        establishment=row.establishment,
        before=before,
        after={"coefficient": str(coefficient)},
    )
    return row


# -- Sealing ----------------------------------------------------------------------------


@transaction.atomic
def period_seal(*, actor, division: Division, period: GradingPeriod) -> PeriodSeal:
    if not directs(actor, division.establishment_id):
        raise PermissionDenied(_("Seule la direction clôt une période."))
    seal, _created = PeriodSeal.objects.get_or_create(
        division=division, period=period, defaults={"sealed_by_id": _person_id(actor)}
    )
    audit_record(
        actor=actor, action="grades.period_seal", target=seal, establishment=division.establishment
    )
    return seal


@transaction.atomic
def period_unseal(*, actor, division: Division, period: GradingPeriod) -> None:
    if not directs(actor, division.establishment_id):
        raise PermissionDenied(_("Seule la direction rouvre une période."))
    for seal in PeriodSeal.objects.filter(division=division, period=period):
        audit_record(
            actor=actor,
            action="grades.period_unseal",
            target=seal,
            establishment=division.establishment,
        )
        seal.delete()


# -- Appraisals -------------------------------------------------------------------------


class StaleAppraisal(Exception):
    def __init__(self, appraisal: Appraisal):
        super().__init__(
            _("Cette appréciation vient d'être modifiée par quelqu'un d'autre : rechargez-la.")
        )
        self.appraisal = appraisal


def may_write_appraisal(
    actor, *, kind: str, division: Division, service: TeachingService | None
) -> bool:
    """A service's teachers write its appraisals; the head teachers of the division
    write theirs and the conseil de classe's (the direction too)."""
    if _system(actor):
        return True
    if directs(actor, division.establishment_id):
        return True
    person_id = _person_id(actor)
    if kind == AppraisalKind.SUBJECT:
        return service is not None and service.teachers.filter(pk=person_id).exists()
    return division.head_teachers.filter(pk=person_id).exists()


@transaction.atomic
def appraisal_set(
    *,
    actor,
    period: GradingPeriod,
    pupil: Person,
    division: Division,
    kind: str,
    text: str,
    service: TeachingService | None = None,
    expected_version: int | None = None,
    policy: GradesPolicy | None = None,
) -> Appraisal | None:
    """Writes (or, with an empty text, clears) an appraisal; its length is bounded by
    the establishment's setting. Every change is audited with the text before."""
    if kind not in AppraisalKind.values or (kind == AppraisalKind.SUBJECT) != (service is not None):
        raise ValidationError(
            _("Une appréciation de matière nomme son service ; les autres n'en nomment pas.")
        )
    if not may_write_appraisal(actor, kind=kind, division=division, service=service):
        raise PermissionDenied(_("Vous ne pouvez pas écrire cette appréciation."))
    # The seal and the head teachers checked are those of the pupil's own division.
    if (
        not division_pupils(division, period.start_date, period.end_date)
        .filter(pk=pupil.pk)
        .exists()
        or (service is not None and not service_divisions(service).filter(pk=division.pk).exists())
        or (service is not None and pupil.pk not in service_pupil_ids(service, period))
    ):
        raise PermissionDenied(_("Cet élève n'est pas de cette classe pour ce service."))
    if PeriodSeal.objects.filter(division=division, period=period).exists() and not directs(
        actor, division.establishment_id
    ):
        raise PermissionDenied(_("La période est close pour cette classe."))
    text = text.strip()
    limit = (policy or policy_of(division.establishment_id)).appraisal_max_length
    if len(text) > limit:
        raise ValidationError(
            {
                "text": _("%(count)d caractères : la limite est %(limit)d.")
                % {"count": len(text), "limit": limit}
            }
        )
    current = (
        Appraisal.objects.select_for_update()
        .filter(period=period, pupil=pupil, kind=kind, service=service)
        .first()
    )
    if expected_version is not None and (current.version if current else 0) != expected_version:
        raise StaleAppraisal(current)
    before = {"text": current.text} if current else None
    if not text:
        if current is not None:
            audit_record(
                actor=actor,
                action="grades.appraisal_clear",
                target=current,
                establishment=division.establishment,
                before=before,
            )
            current.delete()
        return None
    if current is None:
        current = Appraisal(period=period, pupil=pupil, kind=kind, service=service, version=0)
    current.text = text
    current.version += 1
    current.author_id = _person_id(actor)
    current.save()
    audit_record(
        actor=actor,
        action="grades.appraisal_set",
        target=current,
        establishment=division.establishment,
        before=before,
        after={"text": text},
    )
    return current


# -- Settings ---------------------------------------------------------------------------


@transaction.atomic
def policy_update(*, actor, establishment_id: int, **fields) -> GradesPolicy:
    if not directs(actor, establishment_id):
        raise PermissionDenied(_("Seule la direction règle les notes."))
    policy, _created = GradesPolicy.objects.select_for_update().get_or_create(
        establishment_id=establishment_id
    )
    before = {name: str(getattr(policy, name)) for name in fields}
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    audit_record(
        actor=actor,
        action="grades.policy_update",
        target=policy,
        establishment=policy.establishment,
        before=before,
        after={name: str(value) for name, value in fields.items()},
    )
    return policy
