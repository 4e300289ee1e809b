"""Who sees a pupil's absences and lateness, and their health reasons, for a person's
link to the pupil (`portal.access.PupilLink`): the API's absences and the access
explainer ask it. The rules themselves are the pages' own: `selectors.family.family_access`
for the pupil and their family, `visibility.sees_health_reasons` for the staff."""

from datetime import date

from preau.attendance.selectors.family import family_access, policy_of
from preau.attendance.visibility import sees_health_reasons
from preau.core.models import Person
from preau.portal.access import OWN, PupilLink


def absences_access(link: PupilLink, pupil_id: int, day: date) -> tuple[bool, bool]:
    """(may see, reads health reasons) of a person linked to the pupil by `link`: the
    pupil and their family as `family_access` decides, staff who may see the pupil with
    health reasons by their roles."""
    if link.family:
        policy = policy_of(link.establishment_id)
        adult = link.kind == OWN and Person.objects.get(pk=pupil_id).is_adult_on(day)
        # The links are named as attendance names them (own, legal, contact).
        access = family_access(link=link.kind, adult=adult, policy=policy)
        return access.may_see, access.sees_confidential
    return True, sees_health_reasons(link.scope.roles)
