from django.urls import path

from preau.timetable import views

app_name = "timetable"

urlpatterns = [
    path("", views.home, name="home"),
    path("choisir/", views.chooser, name="chooser"),
    path("classe/<int:division_id>/", views.division_week, name="division"),
    path("enseignant/<int:person_id>/", views.teacher_week, name="teacher"),
    path("salle/<int:room_id>/", views.room_week, name="room"),
    path("eleve/<int:pupil_id>/", views.pupil_week, name="pupil"),
    path("seance/ajouter/", views.occurrence_new, name="occurrence_new"),
    path("seance/<int:occurrence_id>/", views.occurrence_detail, name="occurrence"),
    path(
        "seance/<int:occurrence_id>/<slug:action>/",
        views.occurrence_change,
        name="change",
    ),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:run_id>/", views.import_detail, name="import"),
    path("abonnement/", views.subscription, name="subscription"),
    path("agenda/<str:token>.ics", views.feed, name="feed"),
]
