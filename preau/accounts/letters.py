"""Activation letters: one page per person, printed by the secretariat and handed out
or posted, with the identifier, the one-time code, the address of the activation page
and the steps to follow (PDF through WeasyPrint, like the attendance letters: an HTML
template first, which the tests read, then the print layout; nothing is fetched from
the network)."""

import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from preau.accounts.selectors import Ward, wards_in
from preau.accounts.services import IssuedCode
from preau.core.models import Establishment

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PDF = "application/pdf"


@dataclass(frozen=True)
class ActivationLetter:
    issued: IssuedCode
    # The children the person is responsible for in the establishment (empty for a
    # pupil's own letter).
    wards: list[Ward]

    @property
    def person(self):
        return self.issued.person


def letters_of(establishment: Establishment, issued: list[IssuedCode], day: date):
    """The letters of the codes just issued, each naming the children it concerns
    (two queries)."""
    wards = wards_in(establishment.pk, [item.person.pk for item in issued], day)
    return [ActivationLetter(issued=item, wards=wards.get(item.person.pk, [])) for item in issued]


def site_url() -> str:
    return settings.PREAU_SITE_URL.rstrip("/")


def letters_html(
    *, establishment: Establishment, letters: list[ActivationLetter], today: date
) -> str:
    return render_to_string(
        "accounts/pdf/activation_letters.html",
        {
            "establishment": establishment,
            "letters": letters,
            "today": today,
            "activation_url": f"{site_url()}{reverse('accounts:activate')}",
            "login_url": f"{site_url()}{reverse('accounts:login')}",
        },
    )


def letters_pdf(**kwargs) -> bytes:
    # WeasyPrint is imported here: only the few requests that print letters need it.
    from weasyprint import HTML

    return HTML(string=letters_html(**kwargs), base_url=None).write_pdf()
