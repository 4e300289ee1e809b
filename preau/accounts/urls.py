from django.urls import path

from preau.accounts.views import activation, letters, profile, session, tokens

app_name = "accounts"

urlpatterns = [
    path("connexion/", session.LoginView.as_view(), name="login"),
    path("deconnexion/", session.logout_view, name="logout"),
    path("compte/", profile.account_view, name="account"),
    path("compte/coordonnees/", profile.contact_details, name="contact_details"),
    path("compte/notifications/", profile.notifications, name="notifications"),
    path("compte/jetons/", tokens.tokens, name="tokens"),
    path("compte/jetons/<int:token_id>/revoquer/", tokens.token_revoke, name="token_revoke"),
    path("compte/mot-de-passe/", session.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe-oublie/", session.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        session.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        session.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        session.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("activation/", activation.activate, name="activate"),
    path("activation/mot-de-passe/", activation.activate_password, name="activate_password"),
    path(
        "etablissement/activation/personnes/<int:person_id>/",
        letters.activation_letter,
        name="activation_letter",
    ),
    path(
        "etablissement/activation/classes/<int:division_id>/",
        letters.activation_letters,
        name="activation_letters",
    ),
]
