"""The legal follow-up: the monthly L131-8 list with letters and referrals, absenteeism
rates, the dropout early warning.

Open to the vie scolaire (CPE, assistants d'éducation) and the direction of the active
establishment, the audience of these pages in the navigation; the dropout list also to
head teachers, for their divisions only. Recording a step (letter, referral, meeting)
is for the CPE and the direction (legal_services checks it again). Anybody else gets a
404 (core.access.refuse). Downloading a document never records anything: recording a
referral is its own button.
"""

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from preau.attendance import documents, legal_services, services
from preau.attendance.models import FollowUpKind
from preau.attendance.selectors import legal as selectors
from preau.attendance.views.common import establishment_of, is_desk, render_page
from preau.core.access import StaffScope, refuse
from preau.core.models import Establishment, Person, SchoolYear
from preau.core.selectors import school_year_on, today
from preau.portal.access import staff_page
from preau.portal.navigation import WHOLE_SCHOOL_ATTENDANCE

# The navigation's audience of these pages.
FOLLOW_UP_READERS = WHOLE_SCHOOL_ATTENDANCE


def reads_follow_up(scope: StaffScope) -> bool:
    return bool(scope.roles & FOLLOW_UP_READERS)


def records_follow_ups(scope: StaffScope) -> bool:
    return bool(scope.roles & legal_services.FOLLOW_UP_ROLES)


legal_page = staff_page(reads_follow_up)


def _download(content: bytes, content_type: str, name: str, *, inline: bool = False):
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    # Documents about named pupils: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


# -- Choosing the month and the date ---------------------------------------------------


@dataclass
class Choice:
    """The month and the "as of" date a page shows, from its query string."""

    month: date
    as_of: date
    errors: list[str] = field(default_factory=list)

    @property
    def query(self) -> str:
        return urlencode({"mois": f"{self.month:%Y-%m}", "au": self.as_of.isoformat()})


def parse_month(raw: str | None) -> date | None:
    """ "2026-03" → 1 March 2026; anything else → None."""
    if not raw:
        return None
    try:
        year, month = raw.strip().split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def parse_day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def choose(params, *, today: date) -> Choice:
    """The month (default the previous complete month) and the date the list stands
    at (default today; a list is reproducible as of any past date, never a future
    one). A value that cannot be read falls back to the default, with a message."""
    errors = []
    month = parse_month(params.get("mois"))
    if params.get("mois") and month is None:
        errors.append(_("Mois illisible : le mois précédent est affiché."))
    if month is not None and month > today.replace(day=1):
        errors.append(_("Ce mois n'a pas commencé : le mois précédent est affiché."))
        month = None
    if month is None:
        month = selectors.previous_month(today)
    as_of = parse_day(params.get("au"))
    if params.get("au") and as_of is None:
        errors.append(_("Date illisible : la liste est arrêtée à aujourd'hui."))
    if as_of is not None and as_of > today:
        errors.append(_("Une liste ne peut pas être arrêtée à une date future : aujourd'hui."))
        as_of = None
    return Choice(month=month, as_of=as_of or today, errors=errors)


def month_options(years: list[SchoolYear], today: date) -> list[date]:
    """The months a list may be asked for: those of the establishment's school years
    up to the current one, the most recent first."""
    months: set[date] = set()
    for year in years:
        months.update(selectors.year_months(year, today))
    return sorted(months, reverse=True)


# -- Links to a pupil's attendance file ----------------------------------------------------


def pupil_file_url(pupil_id: int) -> str:
    """The vie scolaire's file of the pupil."""
    return reverse("attendance:desk_pupil", args=[pupil_id])


# -- The month's list ------------------------------------------------------------------


@legal_page
def legal(request, *, scope):
    establishment = establishment_of(scope)
    day = today()
    choice = choose(request.GET, today=day)
    listing = selectors.legal_list(establishment, month=choice.month, as_of=choice.as_of, today=day)
    months = month_options(selectors.school_years_of(establishment), day)
    if choice.month not in months:
        months = sorted({*months, choice.month}, reverse=True)
    context = {
        "legal": listing,
        "choice": choice,
        "months": months,
        "records": records_follow_ups(scope) and listing.live,
        "may_record": records_follow_ups(scope),
        "kinds": FollowUpKind.choices,
        "show_file_links": is_desk(scope),
        "computed": listing.policy.count_mode == "computed",
    }
    return render_page(request, "attendance/legal/list.html", context, establishment)


def _back_to_list(choice_month: date, as_of: str | None = None) -> str:
    query = {"mois": f"{choice_month:%Y-%m}"}
    if as_of:
        query["au"] = as_of
    return f"{reverse('attendance:legal')}?{urlencode(query)}"


@require_POST
@staff_page(records_follow_ups)
def follow_up(request, *, scope):
    """Record a step for a pupil and a month, with the figures as they stand now."""
    establishment = establishment_of(scope)
    month = parse_month(request.POST.get("mois"))
    kind = request.POST.get("kind", "")
    try:
        pupil_id = int(request.POST.get("pupil", ""))
    except ValueError:
        raise refuse(request, "pupil", request.POST.get("pupil")) from None
    pupil = selectors.listed_pupil(establishment, pupil_id)
    if pupil is None:
        raise refuse(request, "pupil", pupil_id)
    if month is None or kind not in FollowUpKind.values:
        messages.error(request, _("Démarche non enregistrée : le mois ou la démarche manque."))
        return HttpResponseRedirect(reverse("attendance:legal"))
    try:
        made = legal_services.follow_up_record(
            actor=request.user,
            establishment=establishment,
            pupil=pupil,
            month=month,
            kind=kind,
            note=request.POST.get("note", "")[:2000],
        )
    except PermissionDenied:
        raise refuse(request, "follow_up", pupil_id) from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = _("%(kind)s enregistré pour %(pupil)s (%(month)s : %(n)s non justifiées).")
        messages.success(
            request,
            done
            % {
                "kind": made.get_kind_display(),
                "pupil": pupil.display_name,
                "month": formats.date_format(month, "F Y"),
                "n": made.unjustified_half_days,
            },
        )
    return HttpResponseRedirect(f"{_back_to_list(month)}#eleve-{pupil.pk}")


def _listing_for_download(request, scope):
    establishment = establishment_of(scope)
    day = today()
    choice = choose(request.GET, today=day)
    listing = selectors.legal_list(establishment, month=choice.month, as_of=choice.as_of, today=day)
    return establishment, choice, listing, day


@legal_page
def legal_csv(request, *, scope):
    _school, choice, listing, _day = _listing_for_download(request, scope)
    name = documents.file_name(
        "absenteisme", f"{choice.month:%Y-%m}", f"au-{choice.as_of:%Y-%m-%d}", extension="csv"
    )
    return _download(documents.month_list_csv(listing), documents.CSV, name)


@legal_page
def legal_pdf(request, *, scope):
    establishment, choice, listing, day = _listing_for_download(request, scope)
    with timezone.override(ZoneInfo(establishment.timezone)):
        content = documents.month_list_pdf(legal=listing, today=day)
    name = documents.file_name(
        "absenteisme", f"{choice.month:%Y-%m}", f"au-{choice.as_of:%Y-%m-%d}", extension="pdf"
    )
    return _download(content, documents.PDF, name)


def _pupil(request, establishment: Establishment, pupil_id: int) -> Person:
    pupil = selectors.listed_pupil(establishment, pupil_id)
    if pupil is None:
        raise refuse(request, "pupil", pupil_id)
    return pupil


def _letters(request, scope, pupil_ids: list[int], name: str):
    establishment = establishment_of(scope)
    day = today()
    choice = choose(request.GET, today=day)
    files = selectors.pupil_files(
        establishment,
        pupil_ids,
        month=choice.month,
        as_of=choice.as_of,
        today=day,
        sees_confidential=True,
    )
    policy = services.policy_for(establishment)
    with timezone.override(ZoneInfo(establishment.timezone)):
        content = documents.letters_pdf(
            establishment=establishment,
            files=files,
            month=choice.month,
            signer=request.user.person,
            today=day,
            referral_threshold=policy.referral_threshold,
        )
    return _download(
        content, documents.PDF, documents.file_name(name, f"{choice.month:%Y-%m}", extension="pdf")
    )


@legal_page
def letter(request, pupil_id: int, *, scope):
    """The letter about one pupil's month, one copy per legal guardian."""
    pupil = _pupil(request, establishment_of(scope), pupil_id)
    return _letters(request, scope, [pupil.pk], f"courrier-{pupil.last_name}-{pupil.first_name}")


@legal_page
def letters(request, *, scope):
    """Every letter of the month's list (or of one level of it), in one PDF to print."""
    establishment = establishment_of(scope)
    day = today()
    choice = choose(request.GET, today=day)
    listing = selectors.legal_list(establishment, month=choice.month, as_of=choice.as_of, today=day)
    level = request.GET.get("niveau")
    rows = [row for row in listing.rows if level in (None, "", row.level)]
    if not rows:
        messages.info(request, _("Aucun élève dans cette liste : pas de courrier à imprimer."))
        return HttpResponseRedirect(f"{reverse('attendance:legal')}?{choice.query}")
    return _letters(request, scope, [row.pupil.pk for row in rows], "courriers")


@legal_page
def referral(request, pupil_id: int, *, scope):
    """The referral to the DASEN of one pupil for the month (the document only: the
    referral is recorded by its own button)."""
    establishment = establishment_of(scope)
    pupil = _pupil(request, establishment, pupil_id)
    day = today()
    choice = choose(request.GET, today=day)
    [pupil_file] = selectors.pupil_files(
        establishment,
        [pupil.pk],
        month=choice.month,
        as_of=choice.as_of,
        today=day,
        sees_confidential=False,
        history=True,
    )
    with timezone.override(ZoneInfo(establishment.timezone)):
        content = documents.referral_pdf(
            establishment=establishment,
            pupil_file=pupil_file,
            month=choice.month,
            signer=request.user.person,
            today=day,
            as_of=choice.as_of,
        )
    name = documents.file_name(
        "signalement", pupil.last_name, pupil.first_name, f"{choice.month:%Y-%m}", extension="pdf"
    )
    return _download(content, documents.PDF, name)


# -- Statistics --------------------------------------------------------------------------


def _school_year(request, establishment: Establishment, day: date) -> SchoolYear | None:
    years = selectors.school_years_of(establishment)
    wanted = request.GET.get("annee")
    chosen = next((year for year in years if year.label == wanted), None)
    if chosen is None:
        current = school_year_on(establishment, day)
        chosen = current if current is not None and current.start_date <= day else None
        chosen = chosen or next((year for year in years if year.start_date <= day), None)
    return chosen


@dataclass(frozen=True)
class Bar:
    label: str
    short: str  # under the bar: "sept."
    cx: float
    labelled: bool  # the value is written above the bar (not for an empty month)
    value: float  # percent
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A bar chart drawn on the server: one bar per month, the rate in percent."""

    title: str
    bars: list[Bar]
    width: int
    height: int
    top: float  # the percent the chart's height stands for
    ticks: list[tuple[float, str]]
    baseline: float
    left: int


def bar_chart(title: str, series: selectors.RateSeries, months: list[date]) -> Chart:
    """Bars for the months of `series`; a month without a rate has no bar. The scale
    rounds the highest rate up to a multiple of 5 %."""
    width, height, left, bottom, top_pad = 640, 260, 44, 32, 12
    values = [
        float(rate.rate * 100) if rate is not None and rate.rate is not None else None
        for rate in series.months
    ]
    highest = max([v for v in values if v is not None] or [0])
    top = max(5.0, 5.0 * -(-highest // 5))
    plot = height - bottom - top_pad
    slot = (width - left - 8) / max(1, len(months))
    bars = []
    for index, (month, value) in enumerate(zip(months, values, strict=True)):
        label = formats.date_format(month, "F Y")
        bar_height = 0.0 if value is None else plot * value / top
        bars.append(
            Bar(
                label=label,
                short=formats.date_format(month, "N"),
                cx=round(left + index * slot + slot / 2, 1),
                labelled=bool(value),
                value=value or 0.0,
                text=_("pas d'élève") if value is None else f"{documents.decimal(value)} %",
                x=round(left + index * slot + slot * 0.15, 1),
                y=round(top_pad + plot - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
            )
        )
    ticks = [
        (round(top_pad + plot - plot * step / 4, 1), f"{documents.decimal(top * step / 4, 0)} %")
        for step in range(5)
    ]
    return Chart(
        title=title,
        bars=bars,
        width=width,
        height=height,
        top=top,
        ticks=ticks,
        baseline=top_pad + plot,
        left=left,
    )


@dataclass(frozen=True)
class Cell:
    """A rate as a page shows it."""

    month: date | None
    enrolled: int | None
    above: int | None
    text: str  # "12,5 %", or "—" without pupils


def cell(month: date | None, rate) -> Cell:
    if rate is None:
        return Cell(month=month, enrolled=None, above=None, text="—")
    text = f"{documents.percent(rate.rate)} %" if rate.rate is not None else "—"
    return Cell(month=month, enrolled=rate.enrolled, above=rate.above, text=text)


@dataclass(frozen=True)
class Line:
    label: str
    cells: list[Cell]
    year: Cell


def lines_of(series_list: list[selectors.RateSeries], months: list[date]) -> list[Line]:
    return [
        Line(
            label=series.label,
            cells=[cell(m, r) for m, r in zip(months, series.months, strict=True)],
            year=cell(None, series.year),
        )
        for series in series_list
    ]


@legal_page
def stats(request, *, scope):
    establishment = establishment_of(scope)
    day = today()
    school_year = _school_year(request, establishment, day)
    table = chart = None
    if school_year is not None:
        table = selectors.rates_table(establishment, school_year, day)
        if table.establishment:
            chart = bar_chart(
                _("Taux d'absentéisme par mois, %(year)s") % {"year": school_year.label},
                table.establishment[0],
                table.months,
            )
    context = {
        "school_year": school_year,
        "years": selectors.school_years_of(establishment),
        "table": table,
        "chart": chart,
    }
    if table is not None:
        context.update(
            establishment_lines=lines_of(table.establishment, table.months),
            level_lines=lines_of(table.levels, table.months),
            division_lines=lines_of(table.divisions, table.months),
        )
    return render_page(request, "attendance/legal/stats.html", context, establishment)


@legal_page
def stats_csv(request, *, scope):
    establishment = establishment_of(scope)
    school_year = _school_year(request, establishment, today())
    if school_year is None:
        raise refuse(request, "school_year", request.GET.get("annee"))
    table = selectors.rates_table(establishment, school_year, today())
    name = documents.file_name("taux-absenteisme", school_year.label, extension="csv")
    return _download(documents.rates_csv(table), documents.CSV, name)


# -- Dropout watch -----------------------------------------------------------------------


@staff_page(lambda scope: reads_follow_up(scope) or scope.teaches)
def dropout(request, *, scope):
    """The GPDS list; a head teacher sees the pupils of the divisions they led on the
    date of the list."""
    establishment = establishment_of(scope)
    day = today()
    as_of = parse_day(request.GET.get("au"))
    error = ""
    if request.GET.get("au") and (as_of is None or as_of > day):
        error = _("Date illisible ou future : la liste est celle d'aujourd'hui.")
        as_of = None
    as_of = as_of or day
    division_ids = None
    if not reads_follow_up(scope):
        division_ids = selectors.headed_divisions(scope.person_id, establishment.pk, as_of)
        if not division_ids:
            raise refuse(request, "page", request.path)
    rows = selectors.dropout_rows(establishment, as_of=as_of, division_ids=division_ids)
    links = is_desk(scope)
    context = {
        "rows": [(row, pupil_file_url(row.pupil.pk) if links else None) for row in rows],
        "as_of": as_of,
        "today": day,
        "whole": division_ids is None,
        "error": error,
    }
    return render_page(request, "attendance/legal/dropout.html", context, establishment)


patterns = [
    path("absenteisme/", legal, name="legal"),
    path("absenteisme/demarche/", follow_up, name="legal_follow_up"),
    path("absenteisme/liste.csv", legal_csv, name="legal_csv"),
    path("absenteisme/liste.pdf", legal_pdf, name="legal_pdf"),
    path("absenteisme/courriers.pdf", letters, name="legal_letters"),
    path("absenteisme/courrier/<int:pupil_id>.pdf", letter, name="legal_letter"),
    path("absenteisme/signalement/<int:pupil_id>.pdf", referral, name="legal_referral"),
    path("decrochage/", dropout, name="dropout"),
    path("statistiques/", stats, name="stats"),
    path("statistiques/taux.csv", stats_csv, name="stats_csv"),
]
