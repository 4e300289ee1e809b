from django.contrib.auth.backends import ModelBackend

from preau.accounts.models import normalise_login


class LoginBackend(ModelBackend):
    """Identifier and password. Single sign-on (CAS, SAML, OIDC) adds its own backend
    beside this one and ends in the same `session_start` service."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        return super().authenticate(
            request, username=normalise_login(username), password=password, **kwargs
        )
