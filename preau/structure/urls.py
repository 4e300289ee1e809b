from django.urls import path

from preau.structure import views

app_name = "structure"

urlpatterns = [
    path("mes-services/", views.my_services, name="my_services"),
    path("classes/", views.divisions, name="divisions"),
    path("classes/<int:division_id>/", views.division_detail, name="division"),
    path("eleves/", views.pupils, name="pupils"),
    path("eleves/<int:pupil_id>/", views.pupil_detail, name="pupil"),
    path("personnels/", views.staff, name="staff"),
]
