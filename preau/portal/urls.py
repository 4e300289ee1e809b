from django.urls import path

from preau.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("espace/", views.switch_space, name="switch_space"),
    path("enfant/", views.switch_child, name="switch_child"),
    path("a-propos/", views.about, name="about"),
    path("administration/acces/", views.access_view, name="access"),
]
