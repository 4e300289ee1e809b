"""Personal tokens for the API (`Authorization: Bearer preau_…`, interfaces.md), next
to the web session.

`request.auth` is the `Account` either way, as the endpoints expect. A token caller
has no session, so the space middleware found no person: the person's spaces are put
on the request here, with the same `portal.spaces.spaces_of` the middleware uses, and
`request.user` is the account (the 404s the endpoints answer are logged with it).

A request that presents a token that is not valid (unknown, revoked, expired, or its
account closed) answers 401 at once, even if it also carries a session cookie: a
program holding a dead token must learn it. No CSRF check applies to token calls (a
browser never adds the header by itself); session calls keep django-ninja's.
"""

from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from preau.accounts.services import personal_token_use
from preau.core.selectors import today
from preau.portal.spaces import spaces_of


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        account = personal_token_use(token.strip())
        if account is None:
            raise AuthenticationError()
        request.user = account
        request.person_spaces = spaces_of(account.person, today())
        return account
