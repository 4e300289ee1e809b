"""What became of a message sent, for its sender only: the notification of each
recipient (sent, deferred by the quiet hours, failed…) and, when the message asked for
a read receipt, who has read it and who has not, with "Relancer" to notify again those
who have not (`services.message_remind`, at most once a day).

Anybody but the sender gets a 404, logged (`selectors.receipts_for`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from preau.core.access import refuse
from preau.messaging import page_selectors, selectors, services
from preau.messaging.models import Message, NotifyState
from preau.messaging.services import MessagingRefused
from preau.messaging.views.common import page_links, page_number, reader_of, render_page

PER_PAGE = 50
UNREAD = "non-lus"


def _page(request, message_id: int, *, refusal: str = "", status: int = 200):
    person_id = reader_of(request)
    unread_only = request.GET.get("filtre") == UNREAD
    found = selectors.receipts_for(
        person_id=person_id,
        message_id=message_id,
        unread_only=unread_only,
        page=page_number(request),
        per_page=PER_PAGE,
    )
    if found is None:
        raise refuse(request, "message", message_id)
    states = [
        (label, found.states.get(value, 0))
        for value, label in NotifyState.choices
        if found.states.get(value, 0)
    ]
    context = {
        "receipts": found,
        "message": found.message,
        "states": states,
        "state_labels": dict(NotifyState.choices),
        "unread_only": unread_only,
        "links": page_links(found.rows, filtre=UNREAD if unread_only else ""),
        "labels": page_selectors.audience_labels([found.message.pk]).get(found.message.pk, []),
        "refusal": refusal,
    }
    return render_page(request, "messaging/receipts.html", context, status=status)


@require_GET
@login_required
def receipts(request, message_id: int):
    return _page(request, message_id)


@require_POST
@login_required
def remind(request, message_id: int):
    person_id = reader_of(request)
    message = (
        Message.objects.filter(pk=message_id, sender_id=person_id)
        .select_related("establishment")
        .defer("body", "body_text")
        .first()
    )
    if message is None:
        raise refuse(request, "message", message_id)
    try:
        count = services.message_remind(actor=request.user, message=message)
    except MessagingRefused as error:
        return _page(request, message_id, refusal=error.reason, status=403)
    messages.success(
        request,
        ngettext(
            "%(count)d destinataire qui n'a pas lu le message est relancé.",
            "%(count)d destinataires qui n'ont pas lu le message sont relancés.",
            count,
        )
        % {"count": count},
    )
    return HttpResponseRedirect(reverse("messaging:receipts", args=[message_id]))
