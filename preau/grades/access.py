"""Who may see and change grades (access.md), decided here for pages, API, exports
and report cards alike.

Families and pupils (`family_grades_access`, pure; `grades_access` for a person's
`portal.access.PupilLink`, as the API and the access explainer ask):
- the pupil sees their own marks from each evaluation's publication date;
- each legal guardian (level 1), both alike, from the publication date plus the
  establishment's parent delay, unless the pupil, of age, objected (then neither marks
  nor report cards; absences stay visible, attendance decides those);
- persons in charge and contacts (levels 2 and 3) only when the establishment enables
  it (`GradesPolicy.contacts_see_grades`, off by default), like guardians otherwise.

Staff (`staff_may_read_service`, `staff_may_enter`): a teacher reads and enters the
marks of their own services, reads those of the divisions they are head teacher of;
the direction reads and corrects everything in its establishment (even in a sealed
period, logged); the vie scolaire and the secretariat read report cards only.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from preau.core.access import StaffScope
from preau.core.models import Establishment, RoleKind
from preau.grades.models import GradesPolicy
from preau.portal.access import PupilLink, objected_for

# A reader's link to the pupil, named as `portal.access.PupilLink`'s kinds.
OWN = "own"
LEGAL = "legal"
CONTACT = "contact"

DIRECTION_ROLES = frozenset({RoleKind.DIRECTION})
# Who reads every report card of the establishment.
REPORT_CARD_READERS = frozenset(
    {RoleKind.DIRECTION, RoleKind.SECRETARIAT, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT}
)


@dataclass(frozen=True)
class GradesAccess:
    may_see: bool
    # Days after an evaluation's publication date before this reader sees its marks.
    delay_days: int = 0
    # Why the reader sees nothing, in words for the page ("" when they see).
    why_not: str = ""

    def cutoff(self, day: date) -> date:
        """Evaluations published on or before this day are visible on `day`."""
        return day - timedelta(days=self.delay_days)

    def visible(self, published_on: date, day: date) -> bool:
        return self.may_see and published_on <= self.cutoff(day)


def family_grades_access(*, link: str, objection: bool, policy: GradesPolicy) -> GradesAccess:
    """What a reader linked to a pupil by `link` (OWN, LEGAL or CONTACT) sees of the
    pupil's marks and report cards; `objection`: the pupil, of age, objected to this
    reader seeing them."""
    if link == OWN:
        return GradesAccess(True)
    if objection:
        return GradesAccess(
            False,
            why_not=_(
                "L'élève, majeur, s'est opposé à ce que ses notes et bulletins vous soient "
                "communiqués. Ses absences restent visibles."
            ),
        )
    if link == CONTACT and not policy.contacts_see_grades:
        return GradesAccess(
            False,
            why_not=_(
                "L'établissement ne communique les notes qu'aux responsables légaux et à l'élève."
            ),
        )
    return GradesAccess(True, delay_days=policy.parent_delay_days)


def policy_of(establishment_id: int) -> GradesPolicy:
    """The establishment's settings (one query); the defaults when never saved,
    without writing anything on a read."""
    establishment = Establishment.objects.select_related("grades_policy").get(pk=establishment_id)
    try:
        return establishment.grades_policy
    except GradesPolicy.DoesNotExist:
        return GradesPolicy(establishment=establishment)


def grades_access(
    link: PupilLink, person_id: int, pupil_id: int
) -> tuple[GradesAccess, GradesPolicy]:
    """What a person linked to the pupil as the pupil or one of their family (`link`)
    sees of the pupil's marks and report cards, with the establishment's settings (two
    queries). The API's grades and the access explainer ask it."""
    policy = policy_of(link.establishment_id)
    objection = link.kind != OWN and objected_for(person_id, pupil_id)
    return family_grades_access(link=link.kind, objection=objection, policy=policy), policy


def is_direction(scope: StaffScope) -> bool:
    return bool(scope.roles & DIRECTION_ROLES)


def reads_report_cards(scope: StaffScope) -> bool:
    return bool(scope.roles & REPORT_CARD_READERS)
