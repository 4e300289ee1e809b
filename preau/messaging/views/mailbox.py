"""The mailbox: conversations received (and archived), messages sent, one
conversation with its reply form, and the actions on it (mark unread, archive).

Everything is scoped to the signed-in person: a conversation or an attachment they
neither sent nor received answers 404, logged (`selectors.thread_for`,
`selectors.visible_attachment`). Opening a conversation marks what it holds read. A
reply goes where `services.message_reply` sends it — to the sender only for an
information, to every participant for a discussion — and the page says so before it
is sent; a refusal answers 403 with its reason.
"""

from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from preau.core.access import refuse
from preau.messaging import page_selectors, selectors, services
from preau.messaging.forms import ReplyForm, text_to_html
from preau.messaging.models import MessageKind
from preau.messaging.services import MessageInvalid, MessagingRefused
from preau.messaging.views.common import (
    PER_PAGE,
    as_int,
    directs,
    page_links,
    page_number,
    reader_of,
    render_page,
    search_of,
)

ARCHIVES = "archives"


@require_GET
@login_required
def inbox(request):
    """The conversations received, latest first, with their unread counts (or the
    archived ones with `?dossier=archives`); search on subject and text."""
    person_id = reader_of(request)
    archived = request.GET.get("dossier") == ARCHIVES
    search = search_of(request)
    found = selectors.inbox_page(
        person_id=person_id,
        folder=selectors.ARCHIVED if archived else selectors.INBOX,
        search=search,
        page=page_number(request),
        per_page=PER_PAGE,
    )
    context = {
        "page": found,
        "archived": archived,
        "query": search,
        "links": page_links(found, q=search, dossier=ARCHIVES if archived else ""),
        "directs": directs(request),
    }
    if request.htmx and request.htmx.target == "msg-results":
        return render_page(request, "messaging/_threads.html", context)
    return render_page(request, "messaging/inbox.html", context)


@require_GET
@login_required
def sent(request):
    """The messages the person sent, latest first, with how many recipients have read
    those asking for a read receipt."""
    person_id = reader_of(request)
    search = search_of(request)
    found = selectors.sent_page(
        person_id=person_id, search=search, page=page_number(request), per_page=PER_PAGE
    )
    context = {
        "page": found,
        "query": search,
        "links": page_links(found, q=search),
        "audiences": page_selectors.audience_labels([message.pk for message in found.rows]),
    }
    if request.htmx and request.htmx.target == "msg-results":
        return render_page(request, "messaging/_sent.html", context)
    return render_page(request, "messaging/sent.html", context)


def _reply_target(request, found, wanted):
    """The message a reply answers: the one named by `repondre` among those of the
    conversation, else the latest received."""
    if not wanted:
        return found.reply_to
    chosen = next((m for m in found.messages if m.pk == as_int(wanted)), None)
    if chosen is None:
        raise refuse(request, "message", wanted)
    return chosen


@require_http_methods(["GET", "POST"])
@login_required
def thread(request, message_id: int):
    """One conversation: its messages oldest first, the reply form, mark unread and
    archive. Opening it marks read what it holds."""
    person_id = reader_of(request)
    found = selectors.thread_for(person_id=person_id, message_id=message_id)
    if found is None:
        raise refuse(request, "message", message_id)
    reply_to = _reply_target(
        request, found, request.POST.get("repondre") or request.GET.get("repondre")
    )
    refusal = ""
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                reply = services.message_reply(
                    actor=request.user,
                    message=reply_to,
                    body=text_to_html(form.cleaned_data["body"]),
                    attachments=form.cleaned_data["attachments"],
                )
            except MessagingRefused as error:
                refusal, status = error.reason, 403
            except MessageInvalid as error:
                form.add_error(None, error.reason)
                status = 400
            else:
                messages.success(
                    request,
                    ngettext(
                        "Réponse envoyée à %(count)d personne.",
                        "Réponse envoyée à %(count)d personnes.",
                        reply.recipient_count,
                    )
                    % {"count": reply.recipient_count},
                )
                url = reverse("messaging:thread", args=[reply.pk])
                return HttpResponseRedirect(f"{url}#message-{reply.pk}")
        else:
            status = 400
    else:
        form = ReplyForm()
        if found.unread_ids:
            services.messages_mark_read(actor=request.user, message_ids=found.unread_ids)
    received = [m for m in found.messages if m.my_recipient]
    root_id = found.root.thread_id or found.root.pk
    # In an information, its sender answers each family on its own.
    answer_each = found.root.kind == MessageKind.INFORMATION and found.root.sender_id == person_id
    context = {
        "thread": found,
        "reply_to": reply_to,
        "audience": page_selectors.reply_audience(person_id, reply_to),
        "labels": page_selectors.audience_labels([m.pk for m in found.messages]),
        "archived": page_selectors.thread_archived(person_id, root_id),
        "latest_received": received[-1] if received else None,
        "answer_each": answer_each,
        "form": form,
        "refusal": refusal,
        "person_id": person_id,
        "information": found.root.kind == MessageKind.INFORMATION,
    }
    return render_page(request, "messaging/thread.html", context, status=status)


def _visible(request, message_id: int):
    person_id = reader_of(request)
    message = selectors.message_for(person_id=person_id, message_id=message_id)
    if message is None:
        raise refuse(request, "message", message_id)
    return message


@require_POST
@login_required
def mark_unread(request, message_id: int):
    message = _visible(request, message_id)
    services.message_mark_unread(actor=request.user, message=message)
    messages.success(
        request, _("« %(subject)s » est de nouveau non lu.") % {"subject": message.subject}
    )
    return HttpResponseRedirect(reverse("messaging:inbox"))


@require_POST
@login_required
def archive(request, message_id: int):
    message = _visible(request, message_id)
    services.message_archive(actor=request.user, message=message)
    messages.success(
        request,
        _("La conversation « %(subject)s » est archivée ; une nouvelle réponse la ramènera ici.")
        % {"subject": message.subject},
    )
    return HttpResponseRedirect(reverse("messaging:inbox"))


@require_POST
@login_required
def unarchive(request, message_id: int):
    message = _visible(request, message_id)
    services.message_unarchive(actor=request.user, message=message)
    messages.success(
        request,
        _("La conversation « %(subject)s » est revenue dans les messages reçus.")
        % {"subject": message.subject},
    )
    return HttpResponseRedirect(reverse("messaging:thread", args=[message.pk]))


@require_GET
@login_required
def attachment(request, attachment_id: int):
    """An attachment, for its message's sender and recipients only; always downloaded,
    never shown in the page."""
    person_id = reader_of(request)
    found = selectors.visible_attachment(person_id=person_id, attachment_id=attachment_id)
    if found is None:
        raise refuse(request, "pièce jointe", attachment_id)
    name = found.name or f"piece-jointe{PurePosixPath(found.file.name).suffix}"
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=name,
        content_type=found.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def unread_badge(request):
    """The number of unread messages beside "Messagerie" in the menu, loaded by htmx
    after the page so that no other page pays its query (one query)."""
    person_id = getattr(request.user, "person_id", None)
    count = selectors.unread_count(person_id=person_id) if person_id else 0
    if not count:
        return HttpResponse("")
    response = render(request, "messaging/_unread_badge.html", {"count": count})
    response["Cache-Control"] = "private, no-store"
    return response
