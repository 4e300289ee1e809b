from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from preau.accounts.forms import LoginForm, PasswordResetRequestForm
from preau.accounts.services import password_changed, session_end, session_start
from preau.accounts.throttling import password_reset_throttle


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_providers"] = settings.PREAU_SSO_PROVIDERS
        return context

    def form_valid(self, form):
        session_start(
            request=self.request,
            account=form.get_user(),
            remember=form.cleaned_data.get("remember", False),
        )
        return HttpResponseRedirect(self.get_success_url())


@require_POST
def logout_view(request):
    session_end(request=request)
    messages.info(request, _("Vous êtes déconnecté."))
    return HttpResponseRedirect(reverse(settings.LOGOUT_REDIRECT_URL))


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(account=self.request.user, by_reset=False)
        messages.success(self.request, _("Votre mot de passe a été changé."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetRequestForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if password_reset_throttle(self.request):
            form.add_error(
                None,
                _("Trop de demandes depuis cette connexion. Réessayez dans une heure."),
            )
            return self.form_invalid(form)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(account=form.user, by_reset=True)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
