from django.urls import path

from preau.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("compte/", views.account_view, name="account"),
    path("compte/mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe-oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
