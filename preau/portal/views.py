from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from preau.attendance.views.common import is_desk
from preau.attendance.views.desk import sees_health
from preau.attendance.views.legal import reads_follow_up
from preau.core.access import refuse
from preau.core.models import Establishment
from preau.core.selectors import today
from preau.messaging.selectors import unread_summary
from preau.portal import explainer, selectors
from preau.portal.access import staff_page
from preau.portal.middleware import CHILD_SESSION_KEY, SPACE_SESSION_KEY
from preau.portal.spaces import FAMILY, PUPIL, REGION, STAFF
from preau.structure.selectors import visible_pupils


@login_required
def home(request):
    """Each space's home page: the family's (a card per child, whatever their
    establishment), the pupil's (their own card), the staff's (a teacher's day, the
    desk's day, the establishment's figures), the region's."""
    space = request.space
    day = today()
    if space is None:
        return render(request, "portal/home_empty.html", status=200)
    if space.kind == REGION:
        return render(request, "portal/home_region.html", {"day": day})
    # Unread messages: a line on every home page, and on each child's card those
    # concerning that child.
    unread = unread_summary(person_id=request.user.person_id)
    if space.kind == FAMILY:
        cards = selectors.day_cards(
            selectors.child_readers(request.person_spaces.children),
            guardian_id=request.user.person_id,
            day=day,
            unread=unread.by_pupil,
        )
        return render(
            request, "portal/home_family.html", {"cards": cards, "day": day, "unread": unread}
        )
    if space.kind == PUPIL:
        person = request.user.person
        reader = selectors.own_reader(person, space.establishment_id, space.establishment_name, day)
        (card,) = selectors.day_cards([reader], guardian_id=None, day=day)
        services = selectors.pupil_services(person.pk, card.division, day) if card.division else []
        return render(
            request,
            "portal/home_pupil.html",
            {"card": card, "services": services, "day": day, "unread": unread},
        )
    assert space.kind == STAFF
    scope = space.staff_scope(request.user.person_id)
    establishment = selectors.space_establishment(space)
    now = timezone.now()
    context = {"day": day, "scope": scope, "unread": unread}
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


# -- Qui voit quoi -------------------------------------------------------------------------


def _chosen_id(request, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise refuse(request, name, raw)
    return int(raw)


def _describe(person) -> str:
    """What a person found by the search is in the establishment."""
    words = []
    if getattr(person, "here_staff", False):
        words.append(_("personnel"))
    if getattr(person, "here_pupil", False):
        words.append(_("élève"))
    if getattr(person, "here_guardian", False):
        words.append(_("responsable d'élève"))
    return ", ".join(words)


@require_GET
@staff_page(lambda scope: scope.administers)
def access_view(request, *, scope):
    """Qui voit quoi: the direction or the secretariat chooses a person (by name or
    login) and a pupil of the establishment (by name), and reads what the person sees
    of the pupil, why, and what to do (`portal.explainer`). A pupil, or a person, the
    establishment has nothing to do with answers 404; anybody may be named by the exact
    login of their account (`compte`)."""
    day = today()
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    pupil_id = _chosen_id(request, "eleve")
    pupil = None
    if pupil_id is not None:
        pupil = visible_pupils(scope, day).filter(pk=pupil_id).first()
        if pupil is None:
            raise refuse(request, "pupil", pupil_id)
    person_id = _chosen_id(request, "personne")
    login = request.GET.get("compte", "").strip()
    person = None
    if person_id is not None:
        person = explainer.linked_people(establishment.pk, day).filter(pk=person_id).first()
        if person is None:
            raise refuse(request, "person", person_id)
    elif login:
        person = explainer.person_by_login(login)
        if person is None:
            raise refuse(request, "account", login)

    def url_with(**chosen) -> str:
        """This page with a person or a pupil chosen, keeping the other choice."""
        params = {}
        if "personne" not in chosen and "compte" not in chosen and person is not None:
            params = {"personne": person.pk} if person_id is not None else {"compte": login}
        if "eleve" not in chosen and pupil is not None:
            params["eleve"] = pupil.pk
        return "?" + urlencode({**params, **chosen})

    person_query = request.GET.get("nom_personne", "").strip()[:100]
    pupil_query = request.GET.get("nom_eleve", "").strip()[:100]
    people = []
    if person_query:
        found = explainer.find_people(establishment.pk, person_query, day)
        people = [(p, _describe(p), url_with(personne=p.pk)) for p in found]
        # Somebody of another establishment, or of none, by the exact login only.
        other = explainer.person_by_login(person_query) if " " not in person_query else None
        if other is not None and all(p.pk != other.pk for p, _words, _url in people):
            people.insert(
                0, (other, _("trouvé par son identifiant"), url_with(compte=person_query))
            )
    pupils = []
    if pupil_query:
        found = explainer.find_pupils(scope, pupil_query, day)
        pupils = [(p, url_with(eleve=p.pk)) for p in found]

    explanation = None
    rows = []
    if person is not None and pupil is not None:
        explanation = explainer.explain(person, pupil, day, establishment=establishment)
        rows = [
            (row, row.fix is not None and (not row.fix.roles or bool(row.fix.roles & scope.roles)))
            for row in explanation.rows
        ]
    account_fix = explanation.account_fix if explanation else None
    return render(
        request,
        "portal/access.html",
        {
            "person": person,
            "pupil": pupil,
            "person_query": person_query,
            "pupil_query": pupil_query,
            "people": people[: explainer.MAX_FOUND],
            "more_people": len(people) > explainer.MAX_FOUND,
            "pupils": pupils[: explainer.MAX_FOUND],
            "more_pupils": len(pupils) > explainer.MAX_FOUND,
            "person_id": person.pk if person is not None and person_id is not None else "",
            "login": login if person is not None and person_id is None else "",
            "explanation": explanation,
            "rows": rows,
            "account_fix": account_fix,
        },
    )


def about(request):
    return render(request, "portal/about.html")


def csrf_failure(request, reason=""):
    """A form sent after its page expired: say so in French, lose nothing silently."""
    return render(request, "403_csrf.html", status=403)
