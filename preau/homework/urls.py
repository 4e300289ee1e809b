"""The cahier de textes pages (docs/homework.md). The names `todo`, `content`,
`workload`, `review` and `session` are linked from the navigation and the home pages."""

from django.urls import path

from preau.homework import views

app_name = "homework"

urlpatterns = [
    path("", views.todo, name="todo"),
    path("fait/<int:homework_id>/", views.done, name="done"),
    path("seances/", views.content, name="content"),
    path("seance/<int:occurrence_id>/", views.session, name="session"),
    path("seance/<int:occurrence_id>/charge/", views.session_workload, name="session_workload"),
    path("travail/<int:homework_id>/", views.homework_edit, name="edit"),
    path("travail/<int:homework_id>/retirer/", views.homework_withdraw, name="withdraw"),
    path("travail/<int:homework_id>/copier/", views.homework_copy, name="copy"),
    path("travail/<int:homework_id>/joindre/", views.homework_attach, name="attach"),
    path("piece-jointe/<int:attachment_id>/", views.attachment, name="attachment"),
    path(
        "piece-jointe/<int:attachment_id>/retirer/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("charge/", views.workload, name="workload"),
    path("visa/", views.review, name="review"),
    path("visa/service/<int:service_id>/", views.review_service, name="review_service"),
    path("reglages/", views.homework_settings, name="settings"),
]
