"""Secrets handed to people: activation codes (printed on a letter, typed by a family)
and personal API tokens (copied into a program). Pure but for the key of the codes'
hash (`SECRET_KEY`): no request, no database.

- **Activation codes** are read on paper and typed on a phone: 12 characters drawn
  from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B), printed in
  three groups of four (`MARC-DEMA-7439`). Typing is forgiving: case, spaces and
  dashes do not matter. 23¹² ≈ 2⁵⁴ codes; only their keyed hash is stored
  (HMAC-SHA-256 with the site's secret key), so that the table alone gives nothing
  to try offline, and a wrong guess costs a throttled request.
- **Personal tokens** are `preau_` and 43 URL-safe characters (256 random bits).
  Only their SHA-256 is stored: with that much randomness a plain hash cannot be
  reversed, and it does not depend on the secret key (rotating it keeps tokens).
  The first characters (`preau_` and 8 more) are kept in clear to tell tokens apart.
"""

import hashlib
import hmac
import secrets

from django.utils.crypto import salted_hmac

CODE_ALPHABET = "ACDEFGHJKMNPRTUVWXY3479"
CODE_LENGTH = 12
CODE_GROUP = 4

TOKEN_PREFIX = "preau_"  # noqa: S105 - a prefix, not a secret
TOKEN_SHOWN = len(TOKEN_PREFIX) + 8

_CODE_SALT = "preau.accounts.activation-code"
_SEPARATORS = str.maketrans("", "", " -_.\t\u00a0\u2010\u2011\u2012\u2013\u2014")


def code_new() -> str:
    """A fresh activation code, in its canonical form (no separators)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_normalise(typed: str) -> str:
    """What a person typed, as the canonical code: upper case, without spaces nor
    dashes. It may still not be a well-formed code (see `code_well_formed`)."""
    return typed.translate(_SEPARATORS).upper()


def code_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def code_display(code: str) -> str:
    """The printed form: groups of four joined by dashes."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def code_hash(code: str) -> str:
    """The stored form of a canonical code."""
    return salted_hmac(_CODE_SALT, code, algorithm="sha256").hexdigest()


def token_new() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_shown(token: str) -> str:
    """The part of a token kept in clear, to recognise it in a list."""
    return token[:TOKEN_SHOWN]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
