"""The messaging pages (docs/messaging.md). The navigation links to `inbox`, `sent`
and `compose` (portal/navigation.py)."""

from django.urls import path

from preau.messaging.views import compose, mailbox, receipts, settings

app_name = "messaging"

urlpatterns = [
    path("", mailbox.inbox, name="inbox"),
    path("envoyes/", mailbox.sent, name="sent"),
    path("ecrire/", compose.compose, name="compose"),
    path("ecrire/personnes/", compose.people, name="people"),
    path("non-lus/", mailbox.unread_badge, name="unread"),
    path("<int:message_id>/", mailbox.thread, name="thread"),
    path("<int:message_id>/non-lu/", mailbox.mark_unread, name="mark_unread"),
    path("<int:message_id>/archiver/", mailbox.archive, name="archive"),
    path("<int:message_id>/desarchiver/", mailbox.unarchive, name="unarchive"),
    path("pieces-jointes/<int:attachment_id>/", mailbox.attachment, name="attachment"),
    path("envoyes/<int:message_id>/suivi/", receipts.receipts, name="receipts"),
    path("envoyes/<int:message_id>/relancer/", receipts.remind, name="remind"),
    path("reglages/", settings.messaging_settings, name="settings"),
    path("reglages/urgence/", settings.emergency, name="emergency"),
]
