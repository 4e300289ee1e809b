from django.conf import settings
from django.utils import timezone

from preau.accounts.services import (
    SESSION_POLICY_KEY,
    SESSION_TOUCHED_KEY,
    session_apply_policy,
)


class SessionPolicyMiddleware:
    """Keeps sessions sliding: an active person's session is pushed forward, but saved
    at most every PREAU_SESSION_REFRESH rather than on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session = request.session
            if SESSION_POLICY_KEY not in session:
                # Signed in elsewhere (the Django admin login): the staff default.
                session_apply_policy(request=request, account=request.user, remember=False)
            else:
                now = int(timezone.now().timestamp())
                touched = session.get(SESSION_TOUCHED_KEY, 0)
                if now - touched >= settings.PREAU_SESSION_REFRESH.total_seconds():
                    session[SESSION_TOUCHED_KEY] = now
        return self.get_response(request)
