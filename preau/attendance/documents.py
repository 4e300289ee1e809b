"""The documents of the legal follow-up: letters to families and referrals to the DASEN
(PDF, through WeasyPrint), the month's list (CSV and PDF) and the absenteeism rates
(CSV).

Every PDF is an HTML template rendered first (`*_html`, which the tests read) and then
laid out by WeasyPrint with the print stylesheet of `templates/attendance/legal/`;
nothing is fetched from the network. CSV files are for spreadsheets as French offices
use them: semicolons, decimal commas, UTF-8 with a byte-order mark so that Excel reads
the accents.
"""

import csv
import io
import logging
import unicodedata
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from preau.attendance.models import FollowUpKind
from preau.attendance.selectors.legal import (
    LEVEL_LABELS,
    LegalList,
    PupilFile,
    RateSeries,
    RatesTable,
)
from preau.core.models import Establishment, Guardianship, Person

# WeasyPrint reports each step of every document at INFO: the server's log would hold
# a dozen lines per letter.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"


def pdf_from_html(html: str) -> bytes:
    """Lay an HTML document out as a PDF. WeasyPrint is imported here: it is only
    needed by the few requests that download a document."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None).write_pdf()


def file_name(*parts: str, extension: str) -> str:
    """A download name without spaces or accents: "absenteisme-2026-03.csv"."""
    text = "-".join(part for part in parts if part)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in ascii_text.lower())
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"{safe.strip('-')}.{extension}"


# -- Letters to families -------------------------------------------------------------


@dataclass(frozen=True)
class Letter:
    """One letter: one pupil's month, addressed to one legal guardian."""

    file: PupilFile
    guardian: Guardianship


def letters_of(files: list[PupilFile]) -> list[Letter]:
    """One letter per legal guardian of each pupil, both guardians alike (access.md);
    a pupil without a known guardian gets one letter "to the family"."""
    letters = []
    for pupil_file in files:
        for link in pupil_file.guardians or [None]:
            letters.append(Letter(file=pupil_file, guardian=link))
    return letters


def _common(establishment: Establishment, month: date, signer: Person | None, today: date):
    return {
        "establishment": establishment,
        "month": month,
        "today": today,
        "signer": signer,
        "signer_title": signer_title(signer, establishment) if signer else "",
    }


def signer_title(person: Person, establishment: Establishment) -> str:
    from preau.core.models import Role, RoleKind

    roles = list(
        Role.objects.current(timezone.localdate()).filter(
            person=person,
            establishment=establishment,
            kind__in=[RoleKind.DIRECTION, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT],
        )
    )
    for kind in (RoleKind.DIRECTION, RoleKind.CPE, RoleKind.EDUCATION_ASSISTANT):
        for role in roles:
            if role.kind == kind:
                return role.title or str(RoleKind(kind).label)
    return ""


def letters_html(
    *,
    establishment: Establishment,
    files: list[PupilFile],
    month: date,
    signer: Person | None,
    today: date,
    referral_threshold: int,
) -> str:
    return render_to_string(
        "attendance/legal/pdf/letters.html",
        {
            **_common(establishment, month, signer, today),
            "letters": letters_of(files),
            "referral_threshold": referral_threshold,
        },
    )


def letters_pdf(**kwargs) -> bytes:
    return pdf_from_html(letters_html(**kwargs))


# -- Referral to the DASEN -----------------------------------------------------------


def referral_html(
    *,
    establishment: Establishment,
    pupil_file: PupilFile,
    month: date,
    signer: Person | None,
    today: date,
    as_of: date,
) -> str:
    return render_to_string(
        "attendance/legal/pdf/referral.html",
        {
            **_common(establishment, month, signer, today),
            "file": pupil_file,
            "as_of": as_of,
            "kinds": FollowUpKind,
        },
    )


def referral_pdf(**kwargs) -> bytes:
    return pdf_from_html(referral_html(**kwargs))


# -- The month's list ----------------------------------------------------------------


def follow_ups_text(follow_ups) -> str:
    """The steps made, in one cell: "Courrier à la famille le 03/04/2026 (M. X)"."""
    parts = []
    for follow_up in follow_ups:
        made = formats.date_format(timezone.localtime(follow_up.made_at), "d/m/Y")
        text = _("%(kind)s le %(date)s") % {"kind": follow_up.get_kind_display(), "date": made}
        if follow_up.made_by_id:
            text += f" ({follow_up.made_by.display_name})"
        parts.append(text)
    return " ; ".join(parts)


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def decimal(value: Fraction | None, places: int = 1) -> str:
    """A number as French spreadsheets read it: "12,5"."""
    if value is None:
        return ""
    return f"{float(value):.{places}f}".replace(".", ",")


def month_list_csv(legal: LegalList) -> bytes:
    header = [
        _("Suivi"),
        _("Nom"),
        _("Prénom"),
        _("Division"),
        _("Demi-journées d'absence"),
        _("Demi-journées non justifiées"),
        _("Retards"),
        _("Démarches"),
    ]
    rows = [header]
    for row in legal.rows:
        rows.append(
            [
                str(LEVEL_LABELS[row.level]),
                row.pupil.last_name,
                row.pupil.first_name,
                row.division.name if row.division else "",
                row.figures.half_days,
                row.figures.unjustified_half_days,
                row.figures.lateness,
                follow_ups_text(row.follow_ups),
            ]
        )
    return _csv(rows)


def month_list_html(*, legal: LegalList, today: date) -> str:
    return render_to_string(
        "attendance/legal/pdf/month_list.html",
        {"legal": legal, "today": today, "establishment": legal.establishment},
    )


def month_list_pdf(**kwargs) -> bytes:
    return pdf_from_html(month_list_html(**kwargs))


# -- Rates ---------------------------------------------------------------------------


def percent(value: Fraction | None) -> str:
    """A rate as a percentage with one decimal: "12,5"; empty without pupils."""
    if value is None:
        return ""
    return decimal(value * 100)


def rates_csv(table: RatesTable) -> bytes:
    header = [
        _("Périmètre"),
        _("Libellé"),
        _("Mois"),
        _("Élèves inscrits"),
        _("Élèves à 4 demi-journées non justifiées ou plus"),
        _("Taux d'absentéisme (%)"),
    ]
    rows = [header]
    scopes: list[tuple[str, list[RateSeries]]] = [
        (_("Établissement"), table.establishment),
        (_("Niveau"), table.levels),
        (_("Division"), table.divisions),
    ]
    for scope, series_list in scopes:
        for series in series_list:
            for month, rate in zip(table.months, series.months, strict=True):
                if rate is None:
                    continue
                rows.append(
                    [
                        scope,
                        series.label,
                        f"{month:%Y-%m}",
                        rate.enrolled,
                        rate.above,
                        percent(rate.rate),
                    ]
                )
            if series.year is not None:
                rows.append(
                    [
                        scope,
                        series.label,
                        _("Année"),
                        series.year.enrolled,
                        series.year.above,
                        percent(series.year.rate),
                    ]
                )
    return _csv(rows)
