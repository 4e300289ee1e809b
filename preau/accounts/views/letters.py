"""Activation letters, printed by the secretariat or the direction: for one person
(a pupil of the establishment or an adult responsible for one) or for every adult of a
division whose account is not activated. GET shows what will be printed; POST issues
the codes (voiding the previous ones) and answers the PDF."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from preau.accounts import letters as documents
from preau.accounts.models import ActivationCode
from preau.accounts.selectors import division_letter_people, letter_person
from preau.accounts.services import activation_code_days, activation_codes_issue
from preau.attendance.documents import file_name
from preau.core.access import refuse
from preau.core.models import Establishment
from preau.core.selectors import today
from preau.portal.access import staff_page
from preau.structure.models import Division

prints_letters = staff_page(lambda scope: scope.administers)


def _pdf(request, scope, people, name: str) -> HttpResponse:
    establishment = Establishment.objects.get(pk=scope.establishment_id)
    day = today()
    issued = activation_codes_issue(actor=request.user, scope=scope, people=people)
    with timezone.override(ZoneInfo(establishment.timezone)):
        content = documents.letters_pdf(
            establishment=establishment,
            letters=documents.letters_of(establishment, issued, day),
            today=day,
        )
    response = HttpResponse(content, content_type=documents.PDF)
    response["Content-Disposition"] = f'attachment; filename="{file_name(name, extension="pdf")}"'
    # The codes are in clear in the document: never kept by a cache.
    response["Cache-Control"] = "private, no-store"
    return response


@prints_letters
def activation_letter(request, person_id: int, *, scope):
    person = letter_person(scope.establishment_id, person_id, today())
    if person is None:
        raise refuse(request, "person", person_id)
    account = getattr(person, "account", None)
    staff = person.holds_staff_role or (
        account is not None and (account.is_staff or account.is_superuser)
    )
    printable = (
        account is not None and account.activated_at is None and account.is_active and not staff
    )
    if request.method == "POST":
        if not printable:
            messages.info(request, _("Ce compte n'a pas besoin de lettre d'activation."))
            return HttpResponseRedirect(request.path)
        return _pdf(request, scope, [person], f"activation-{person.last_name}-{person.first_name}")
    live = None
    if printable:
        live = (
            ActivationCode.objects.filter(
                account=account, used_at__isnull=True, voided_at__isnull=True
            )
            .select_related("created_by__person")
            .first()
        )
    return render(
        request,
        "accounts/activation_letter.html",
        {
            "person": person,
            "account": account,
            "printable": printable,
            "staff": staff,
            "live": live,
            "days": activation_code_days(),
        },
    )


@prints_letters
def activation_letters(request, division_id: int, *, scope):
    division = Division.objects.filter(
        pk=division_id, establishment_id=scope.establishment_id
    ).first()
    if division is None:
        raise refuse(request, "division", division_id)
    day = today()
    if request.method == "POST":
        people = division_letter_people(
            division,
            day,
            guardians=request.POST.get("responsables") == "on",
            pupils=request.POST.get("eleves") == "on",
        )
        if not people:
            messages.info(request, _("Aucune lettre à imprimer."))
            return HttpResponseRedirect(request.path)
        return _pdf(request, scope, people, f"activation-{division.name}")
    guardians = division_letter_people(division, day)
    pupils = division_letter_people(division, day, guardians=False, pupils=True)
    return render(
        request,
        "accounts/activation_letters.html",
        {
            "division": division,
            "guardians": guardians,
            "pupils": pupils,
            "days": activation_code_days(),
        },
    )
