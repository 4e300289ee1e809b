from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from preau.core import calendar
from preau.core.access import refuse
from preau.core.models import Establishment, PeriodScheme
from preau.core.selectors import school_year_on, today
from preau.portal.access import staff_page
from preau.portal.spaces import REGION

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
