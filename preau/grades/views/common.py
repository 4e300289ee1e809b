"""What the grades pages share: who a family page is about and what the reader may
see of them, the active establishment, rendering in its zone."""

from dataclasses import dataclass

from django.utils.http import urlencode

from preau.core.access import refuse
from preau.core.http import as_int, render_page  # noqa: F401 - the views' helpers
from preau.core.models import Establishment, GradingPeriod, Guardianship, ResponsibilityLevel
from preau.core.selectors import today
from preau.grades.access import CONTACT, LEGAL, OWN, GradesAccess, family_grades_access, policy_of
from preau.grades.models import GradesPolicy
from preau.grades.selectors.book import division_periods, period_on
from preau.portal.spaces import FAMILY, PUPIL
from preau.structure.models import Division


@dataclass(frozen=True)
class Reader:
    """The pupil a family or pupil page is about, and what the reader sees of them."""

    pupil_id: int
    name: str
    establishment_id: int
    own: bool
    access: GradesAccess
    policy: GradesPolicy


def reader_of(request) -> Reader | None:
    """The signed-in pupil (pupil space) or the guardian's active child (family space,
    never an id from the URL); None for a family space with no child; a logged 404 for
    any other space. Two queries."""
    space = request.space
    if space is not None and space.kind == PUPIL:
        person = request.user.person
        policy = policy_of(space.establishment_id)
        access = family_grades_access(link=OWN, objection=False, policy=policy)
        return Reader(person.pk, person.display_name, space.establishment_id, True, access, policy)
    if space is not None and space.kind == FAMILY:
        child = request.child
        if child is None:
            return None
        policy = policy_of(child.establishment_id)
        objection = Guardianship.objects.filter(
            guardian_id=request.user.person_id,
            pupil_id=child.id,
            adult_objection_at__isnull=False,
        ).exists()
        link = LEGAL if child.level == ResponsibilityLevel.LEGAL else CONTACT
        access = family_grades_access(link=link, objection=objection, policy=policy)
        return Reader(child.id, child.display_name, child.establishment_id, False, access, policy)
    raise refuse(request, "page", request.path)


def establishment_of(establishment_id: int) -> Establishment:
    return Establishment.objects.get(pk=establishment_id)


@dataclass(frozen=True)
class Choice:
    """The division and period a staff page is about, among those the reader may see;
    `key` is the query parameter naming the division."""

    divisions: list[Division]
    division: Division | None
    periods: list[GradingPeriod]
    period: GradingPeriod | None
    key: str = "division"

    @property
    def query(self) -> str:
        return urlencode(self.hidden)

    @property
    def hidden(self) -> list[tuple[str, int]]:
        """The choice as the hidden fields of a form."""
        if self.division is None or self.period is None:
            return []
        return [(self.key, self.division.pk), ("periode", self.period.pk)]


def choose(request, params, divisions: list[Division], *, key: str = "division") -> Choice:
    """The division (`key`) and period (`periode`) of `params` among those the person
    may see: the first division and the current period by default; a division or a
    period named but not theirs is a logged 404."""
    wanted = params.get(key)
    if not divisions:
        if wanted:
            raise refuse(request, "division", wanted)
        return Choice([], None, [], None, key)
    if wanted:
        division = next((d for d in divisions if d.pk == as_int(wanted)), None)
        if division is None:
            raise refuse(request, "division", wanted)
    else:
        division = divisions[0]
    periods = division_periods(division)
    wanted = params.get("periode")
    if wanted:
        period = next((p for p in periods if p.pk == as_int(wanted)), None)
        if period is None:
            raise refuse(request, "period", wanted)
    else:
        period = period_on(periods, today())
    return Choice(divisions, division, periods, period, key)
