from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from preau.core import calendar, explainer
from preau.core.access import refuse
from preau.core.models import Establishment, PeriodScheme
from preau.core.selectors import school_year_on, today
from preau.portal.access import staff_page
from preau.portal.spaces import REGION
from preau.structure.selectors import visible_pupils

SCHEME_ORDER = {scheme: index for index, scheme in enumerate(PeriodScheme.values)}


@staff_page(lambda scope: scope.administers)
def calendar_view(request, *, scope):
    """The establishment's year: school holidays of its zone, public holidays of its
    calendar (Alsace-Moselle included), its own closures, grading periods."""
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    day = today()
    year = school_year_on(establishment, day)
    closures = list(establishment.closures.all())
    rules = establishment.calendar_rules(closures=[closure.as_rule() for closure in closures])
    start = year.start_date if year else day
    end = year.end_date if year else day + timedelta(days=300)
    return render(
        request,
        "core/calendar.html",
        {
            "establishment": establishment,
            "year": year,
            "periods": sorted(
                year.periods.all() if year else [],
                key=lambda period: (SCHEME_ORDER[period.scheme], period.number),
            ),
            "breaks": calendar.breaks(calendar.days_off(rules, start, end)),
            "public_holidays": sorted(
                calendar.public_holidays(establishment.public_holidays, start, end).items()
            ),
            "school_days": len(calendar.school_days(rules, start, end)),
            "national_dates_known": calendar.school_holidays_known(
                establishment.holiday_zone, start, end
            ),
            "closures": closures,
        },
    )


@login_required
def establishments_view(request):
    space = request.space
    if space is None or space.kind != REGION:
        raise refuse(request, "page", request.path)
    return render(
        request,
        "core/establishments.html",
        {"establishments": Establishment.objects.order_by("academy", "name")},
    )


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
    of the pupil, why, and what to do (`core.explainer`). A pupil, or a person, the
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
        "core/access.html",
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
