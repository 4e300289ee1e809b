"""Who is calling: `GET /api/v1/me`, and the divisions of an establishment."""

from ninja import Router

from preau.api.schemas import DivisionOut, MeOut
from preau.core.access import refuse
from preau.core.models import ResponsibilityLevel
from preau.core.selectors import today
from preau.portal.spaces import STAFF
from preau.structure.models import Level
from preau.structure.selectors import current_divisions, divisions_for_scope

router = Router(tags=["personnes et structures"])


@router.get("/me", response=MeOut, summary="La personne connectée, ses rôles et ses enfants")
def me(request):
    person = request.auth.person
    if person is None:
        # An account attached to nobody (the technical admin): nothing to show, logged.
        raise refuse(request, "person of account", request.auth.pk)
    day = today()
    spaces = request.person_spaces
    roles = [
        {"role": role, "establishment": {"uai": space.uai, "name": space.establishment_name}}
        for space in spaces.spaces
        if space.establishment_id is not None
        for role in sorted(space.roles)
    ]
    roles += [
        {"role": "region_admin", "establishment": None}
        for space in spaces.spaces
        if space.kind == "region"
    ]
    # Legal guardian of a child in an establishment, or contact (levels 2 and 3) there.
    family_roles: dict[str, tuple[str, str]] = {}
    for child in spaces.children:
        role = "guardian" if child.level == ResponsibilityLevel.LEGAL else "contact"
        if family_roles.get(child.uai, ("contact",))[0] == "contact":
            family_roles[child.uai] = (role, child.establishment_name)
    roles += [
        {"role": role, "establishment": {"uai": uai, "name": name}}
        for uai, (role, name) in family_roles.items()
    ]
    placements = current_divisions([child.id for child in spaces.children], day)
    return {
        "id": person.pk,
        "display_name": person.display_name,
        "roles": roles,
        "children": [
            {
                "id": child.id,
                "display_name": child.display_name,
                "establishment": {"uai": child.uai, "name": child.establishment_name},
                "division": placements[child.id].name if child.id in placements else None,
            }
            for child in spaces.children
        ],
    }


@router.get(
    "/establishments/{uai}/divisions",
    response=list[DivisionOut],
    summary="Les divisions que la personne voit dans l'établissement",
)
def divisions(request, uai: str):
    space = request.person_spaces.find(f"staff:{uai.upper()}")
    if space is None or space.kind != STAFF:
        raise refuse(request, "establishment", uai)
    return [
        {
            "id": division.pk,
            "name": division.name,
            "level": str(Level(division.level).label),
            "pupil_count": division.pupil_count,
        }
        for division in divisions_for_scope(space.staff_scope(request.auth.person_id), today())
    ]
