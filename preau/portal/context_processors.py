from django.conf import settings

from preau.portal.navigation import audiences_for, menu_for, section_of


def shell(request):
    """What the page shell needs: the menu of the active space, the section the page
    belongs to, the switchers."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"source_url": settings.PREAU_SOURCE_URL}
    space = request.space
    menu = ()
    if space is not None:
        menu = menu_for(
            audiences_for(kind=space.kind, roles=space.roles, head_teacher=space.head_teacher)
        )
    match = getattr(request, "resolver_match", None)
    return {
        "menu": menu,
        "current_section": section_of(menu, match.view_name if match else None),
        "current_view": match.view_name if match else "",
        "space": space,
        "spaces": request.person_spaces.spaces,
        "children": request.person_spaces.children if space and space.kind == "family" else (),
        "child": request.child,
        "source_url": settings.PREAU_SOURCE_URL,
    }
