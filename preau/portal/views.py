from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from preau.attendance.views.common import is_desk
from preau.attendance.views.desk import sees_health
from preau.attendance.views.legal import reads_follow_up
from preau.core.access import refuse
from preau.core.selectors import today
from preau.portal import selectors
from preau.portal.middleware import CHILD_SESSION_KEY, SPACE_SESSION_KEY
from preau.portal.navigation import audiences_for, menu_for
from preau.portal.spaces import FAMILY, PUPIL, REGION, STAFF


@login_required
def home(request):
    """Each space's home page: the family's (a card per child, whatever their
    establishment), the pupil's (their own card), the staff's (a teacher's day, the
    desk's day, the establishment's figures), the region's."""
    space = request.space
    day = today()
    if space is None:
        return render(request, "portal/home_empty.html", status=200)
    if space.kind == FAMILY:
        cards = selectors.day_cards(
            selectors.child_readers(request.person_spaces.children),
            guardian_id=request.user.person_id,
            day=day,
        )
        return render(request, "portal/home_family.html", {"cards": cards, "day": day})
    if space.kind == PUPIL:
        person = request.user.person
        reader = selectors.own_reader(person, space.establishment_id, space.establishment_name, day)
        (card,) = selectors.day_cards([reader], guardian_id=None, day=day)
        services = selectors.pupil_services(person.pk, card.division, day) if card.division else []
        return render(
            request, "portal/home_pupil.html", {"card": card, "services": services, "day": day}
        )
    if space.kind == REGION:
        return render(request, "portal/home_region.html", {"day": day})
    assert space.kind == STAFF
    scope = space.staff_scope(request.user.person_id)
    establishment = selectors.space_establishment(space)
    now = timezone.now()
    context = {"day": day, "scope": scope}
    if scope.teaches:
        context["teacher"] = selectors.teacher_home(request.user.person_id, establishment, day, now)
    if is_desk(scope):
        context["desk"] = selectors.desk_home(
            establishment,
            day,
            now,
            sees_confidential=sees_health(scope),
            reads_follow_up=reads_follow_up(scope),
        )
    if scope.sees_whole_establishment:
        context["figures"] = selectors.establishment_figures(establishment, day)
    with timezone.override(ZoneInfo(establishment.timezone)):
        return render(request, "portal/home_staff.html", context)


def _back(request):
    target = request.POST.get("next") or reverse("portal:home")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:home")
    return HttpResponseRedirect(target)


@require_POST
@login_required
def switch_space(request):
    """Enter another space (establishment, family, pupil); unknown keys are ignored."""
    key = request.POST.get("space", "")
    if request.person_spaces.find(key) is not None:
        request.session[SPACE_SESSION_KEY] = key
        # Each space opens on its home page: the page just left may not exist there.
        return HttpResponseRedirect(reverse("portal:home"))
    return _back(request)


@require_POST
@login_required
def switch_child(request):
    """Follow another child in the family space; stays on the same page."""
    try:
        wanted = int(request.POST.get("child", ""))
    except ValueError:
        wanted = None
    if any(child.id == wanted for child in request.person_spaces.children):
        request.session[CHILD_SESSION_KEY] = wanted
        family = next(s for s in request.person_spaces.spaces if s.kind == FAMILY)
        request.session[SPACE_SESSION_KEY] = family.key
    return _without_child_parameter(_back(request))


def _without_child_parameter(response: HttpResponseRedirect) -> HttpResponseRedirect:
    """A page reached by a link carrying `?enfant=` (the home page's cards, e-mails)
    would follow that child again: the switcher's return address drops it."""
    parts = urlsplit(response["Location"])
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "enfant"]
    response["Location"] = urlunsplit(parts._replace(query=urlencode(query)))
    return response


@login_required
def upcoming(request, *, title: str, summary: str):
    """A section of the final navigation whose capability comes with a later release.
    Only those whose menu leads here may open it; for anybody else it does not exist."""
    space = request.space
    menu = (
        menu_for(audiences_for(kind=space.kind, roles=space.roles, head_teacher=space.head_teacher))
        if space is not None
        else ()
    )
    view_name = request.resolver_match.view_name
    if not any(link.url_name == view_name for section in menu for link in section.links):
        raise refuse(request, "page", request.path)
    return render(request, "portal/upcoming.html", {"title": title, "summary": summary})


def about(request):
    return render(request, "portal/about.html")


def csrf_failure(request, reason=""):
    """A form sent after its page expired: say so in French, lose nothing silently."""
    return render(request, "403_csrf.html", status=403)
