"""Writing a message: to people found by name among those the person may write to,
and to the audiences the rules allow them (a division's guardians, a group's
pupils…); information or discussion, read receipt, the pupil concerned, urgent,
attachments.

What the page offers comes from `selectors.compose_options` and
`selectors.addressable_people`, but the rules are decided by `services.message_send`
alone: a recipient typed by hand that the rules refuse answers 403 with the form and
the reason. The people search works without JavaScript (the "Chercher" button posts
the form and shows it again); with it, htmx fills the results as one types.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from preau.core.models import Establishment
from preau.messaging import page_selectors, policy, selectors, services
from preau.messaging.forms import ComposeForm, text_to_html
from preau.messaging.services import MessageInvalid, MessagingRefused
from preau.messaging.views.common import as_int, place_of, reader_of, render_page

PEOPLE_SHOWN = 50
SEARCH = "chercher"

# The audiences of the page, by whom they reach.
GROUPS = (
    (
        "staff",
        _("Personnels"),
        (policy.ESTABLISHMENT_STAFF, policy.DIVISION_TEACHERS),
    ),
    (
        "guardians",
        _("Responsables des élèves"),
        (policy.ESTABLISHMENT_GUARDIANS, policy.LEVEL_GUARDIANS, policy.DIVISION_GUARDIANS),
    ),
    ("pupils", _("Élèves"), (policy.DIVISION_PUPILS, policy.GROUP_PUPILS)),
)


@dataclass(frozen=True)
class AudienceBox:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class AudienceGroup:
    key: str
    label: str
    boxes: list[AudienceBox]

    @property
    def checked(self) -> int:
        return sum(box.checked for box in self.boxes)


def _audience_groups(options, checked: set[str]) -> list[AudienceGroup]:
    groups = []
    for key, label, types in GROUPS:
        boxes = [
            AudienceBox(f"{c.type}:{c.target}", c.label, f"{c.type}:{c.target}" in checked)
            for kind in types
            for c in options.audiences
            if c.type == kind
        ]
        if boxes:
            groups.append(AudienceGroup(key, str(label), boxes))
    return groups


def _ids(values) -> list[int]:
    return [found for found in (as_int(value) for value in values) if found is not None]


def _people(person_id: int, establishment_id: int, search: str, exclude: set[int]):
    found = selectors.addressable_people(
        person_id=person_id,
        establishment_id=establishment_id,
        search=search,
        limit=PEOPLE_SHOWN + len(exclude),
    )
    return [person for person in found if person.id not in exclude][:PEOPLE_SHOWN]


@require_http_methods(["GET", "POST"])
@login_required
def compose(request):
    person_id = reader_of(request)
    place = place_of(request)
    options = selectors.compose_options(
        person_id=person_id, establishment_id=place.establishment_id
    )
    if not options.may_send:
        context = {"place": place, "refusal": options.may_send.reason, "form": None}
        status = 403 if request.method == "POST" else 200
        return render_page(request, "messaging/compose.html", context, status=status)
    ctx = options.context
    staff = ctx.sender.staff
    pupils = page_selectors.taggable_pupils(ctx)
    refusal = ""
    status = 200
    search = ""
    searched = False
    if request.method == "POST":
        data = request.POST
        chosen_ids = _ids(data.getlist("recipients"))
        if data.get("action") == SEARCH:
            # No JavaScript: the form comes back as typed with the people found.
            search = " ".join(data.get("q", "").split())[:200]
            searched = True
            form = ComposeForm(initial=_initial(data), options=options, pupils=pupils, staff=staff)
        else:
            form = ComposeForm(data, request.FILES, options=options, pupils=pupils, staff=staff)
            if form.is_valid():
                sent = _send(request, form, place, chosen_ids)
                if isinstance(sent, str):
                    refusal, status = sent, 403
                elif sent is not None:
                    return sent
                else:
                    status = 400
            else:
                status = 400
        checked = set(data.getlist("audiences"))
    else:
        chosen_ids = _ids(request.GET.getlist("destinataire"))
        # A family writes about the child they follow, unless the link says otherwise.
        pupil = as_int(request.GET.get("eleve")) or (request.child.id if request.child else None)
        initial = {"concerns": pupil} if pupil in {p.id for p in pupils} else {}
        form = ComposeForm(initial=initial, options=options, pupils=pupils, staff=staff)
        checked = set()
    chosen = page_selectors.chosen_people(ctx, chosen_ids)
    chosen_set = {person.id for person in chosen}
    # Families and pupils see at once the few people they may write to; staff search.
    if searched or not staff:
        results = _people(person_id, place.establishment_id, search, chosen_set)
    else:
        results = None
    context = {
        "place": place,
        "form": form,
        "refusal": refusal,
        "chosen": chosen,
        "results": results,
        "query": search,
        "groups": _audience_groups(options, checked),
        "emergency": ctx.settings.emergency_staff_only,
        "staff": staff,
    }
    return render_page(request, "messaging/compose.html", context, status=status)


def _initial(data) -> dict:
    initial = {name: data.get(name) for name in ("subject", "body", "kind", "concerns")}
    initial["concerns"] = as_int(initial["concerns"])
    for name in ("read_receipt", "urgent"):
        initial[name] = bool(data.get(name))
    initial["audiences"] = data.getlist("audiences")
    return {name: value for name, value in initial.items() if value not in (None, "")}


def _send(request, form: ComposeForm, place, chosen_ids: list[int]):
    """Send the message: a redirect to it, the reason of a refusal (a string), or None
    when the message is invalid (the error is put on the form)."""
    data = form.cleaned_data
    establishment = Establishment.objects.get(pk=place.establishment_id)
    try:
        message = services.message_send(
            actor=request.user,
            establishment=establishment,
            subject=data["subject"],
            body=text_to_html(data["body"]),
            kind=data["kind"],
            recipients=data["recipients"],
            audiences=form.audience_pairs(),
            read_receipt=data.get("read_receipt", False),
            concerns=data.get("concerns"),
            urgent=data.get("urgent", False),
            attachments=data["attachments"],
        )
    except MessagingRefused as error:
        return error.reason
    except MessageInvalid as error:
        form.add_error(None, error.reason)
        return None
    messages.success(
        request,
        ngettext(
            "Message envoyé à %(count)d destinataire.",
            "Message envoyé à %(count)d destinataires.",
            message.recipient_count,
        )
        % {"count": message.recipient_count},
    )
    return HttpResponseRedirect(reverse("messaging:thread", args=[message.pk]))


@require_GET
@login_required
def people(request):
    """The people search of the writing page, for htmx: those matching `q`, except
    the ones already chosen (`recipients`)."""
    person_id = reader_of(request)
    place = place_of(request)
    search = " ".join(request.GET.get("q", "").split())[:200]
    exclude = set(_ids(request.GET.getlist("recipients")))
    context = {
        "results": _people(person_id, place.establishment_id, search, exclude),
        "query": search,
    }
    return render_page(request, "messaging/_people_results.html", context)
