from django.urls import path

from preau.core import views

app_name = "core"

urlpatterns = [
    path("administration/calendrier/", views.calendar_view, name="calendar"),
    path("administration/etablissements/", views.establishments_view, name="establishments"),
]
