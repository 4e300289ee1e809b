"""Guards for pages: which space a page needs. What the person may see inside the
space is decided by the selectors (preau.core.access)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required

from preau.core.access import StaffScope, refuse


def staff_page(allowed: Callable[[StaffScope], bool] = lambda scope: True):
    """A page of the staff space; `allowed` narrows it to some roles. The view receives
    the staff scope as `scope`. Anybody else gets a 404, logged."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            space = request.space
            scope = space.staff_scope(request.user.person_id) if space is not None else None
            if scope is None or not allowed(scope):
                raise refuse(request, "page", request.path)
            return view(request, *args, scope=scope, **kwargs)

        return wrapper

    return decorator
