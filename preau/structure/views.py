from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import render

from preau.accounts.models import Account
from preau.core.access import refuse
from preau.core.models import STAFF_ROLES, Guardianship, Role, RoleKind
from preau.core.selectors import today
from preau.portal.access import staff_page
from preau.structure.models import Division
from preau.structure.selectors import (
    current_divisions,
    division_services,
    divisions_for_scope,
    pupils_in_division,
    teacher_services,
    visible_pupils,
)

PAGE_SIZE = 50


@staff_page(lambda scope: scope.teaches)
def my_services(request, *, scope):
    services = teacher_services(
        person_id=scope.person_id, establishment_id=scope.establishment_id, day=today()
    )
    return render(request, "structure/my_services.html", {"services": services})


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def divisions(request, *, scope):
    return render(
        request, "structure/divisions.html", {"divisions": divisions_for_scope(scope, today())}
    )


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def division_detail(request, division_id: int, *, scope):
    day = today()
    division = (
        Division.objects.filter(pk=division_id, establishment_id=scope.establishment_id)
        .prefetch_related("head_teachers", "class_parts")
        .first()
    )
    visible = visible_pupils(scope, day)
    if division is None:
        raise refuse(request, "division", division_id)
    pupils = list(pupils_in_division(division, day).filter(pk__in=visible.values("pk")))
    if not pupils and not scope.sees_whole_establishment:
        raise refuse(request, "division", division_id)
    return render(
        request,
        "structure/division.html",
        {
            "division": division,
            "pupils": pupils,
            "services": division_services(division),
        },
    )


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def pupils(request, *, scope):
    day = today()
    query = request.GET.get("q", "").strip()
    found = visible_pupils(scope, day).order_by("last_name", "first_name")
    for word in query.split():
        found = found.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    placements = current_divisions([pupil.pk for pupil in page.object_list], day)
    rows = [(pupil, placements.get(pupil.pk)) for pupil in page.object_list]
    return render(request, "structure/pupils.html", {"page": page, "rows": rows, "query": query})


@staff_page(lambda scope: scope.sees_whole_establishment or scope.teaches)
def pupil_detail(request, pupil_id: int, *, scope):
    day = today()
    pupil = visible_pupils(scope, day).filter(pk=pupil_id).first()
    if pupil is None:
        raise refuse(request, "pupil", pupil_id)
    links = list(
        Guardianship.objects.filter(pupil=pupil)
        .select_related("guardian")
        .prefetch_related(
            Prefetch("guardian__account", queryset=Account.objects.only("activated_at", "person"))
        )
        .order_by("level", "guardian__last_name")
    )
    return render(
        request,
        "structure/pupil.html",
        {
            "pupil": pupil,
            "division": current_divisions([pupil.pk], day).get(pupil.pk),
            "links": links,
            "show_contacts": scope.sees_whole_establishment,
            "external_ids": pupil.external_ids.all() if scope.administers else (),
            "adult": pupil.is_adult_on(day),
        },
    )


@staff_page(lambda scope: scope.sees_whole_establishment)
def staff(request, *, scope):
    roles = (
        Role.objects.current(today())
        .filter(establishment_id=scope.establishment_id, kind__in=STAFF_ROLES)
        .select_related("person")
        .order_by("person__last_name", "person__first_name")
    )
    by_kind: dict[str, list[Role]] = {kind: [] for kind in RoleKind.values if kind in STAFF_ROLES}
    for role in roles:
        by_kind[role.kind].append(role)
    groups = [(RoleKind(kind).label, members) for kind, members in by_kind.items() if members]
    return render(request, "structure/staff.html", {"groups": groups})
