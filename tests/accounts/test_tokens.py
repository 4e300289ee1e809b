"""Personal API tokens: created on `/compte/jetons/` (shown once, stored as a hash),
listed, revoked; the API accepts them as `Authorization: Bearer …` with the rules of
the session (same answers, same 404s), and refuses revoked, expired and unknown
tokens with 401."""

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from preau.accounts import codes
from preau.accounts.models import PersonalToken
from preau.accounts.services import MAX_LIVE_TOKENS, personal_token_create
from preau.audit.models import AuditEvent
from preau.core.models import RoleKind
from tests.accounts.support import School, activated_guardian
from tests.conftest import log_in
from tests.factories import AccountFactory, pupil_in, staff_account

pytestmark = pytest.mark.django_db

URL = reverse("accounts:tokens")
ME = "/api/v1/me"
TOKEN = re.compile(r'value="(preau_[A-Za-z0-9_-]+)"')


def text(response) -> str:
    return html.unescape(response.content.decode())


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def new_token(account, lifetime="90", name="Agenda") -> str:
    return personal_token_create(actor=account, name=name, lifetime=lifetime)[1]


@pytest.fixture
def school():
    return School()


# -- The page ------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_as_a_hash(client, school):
    log_in(client, school.mother)

    response = client.post(URL, {"name": "Agenda du téléphone", "lifetime": "90"})

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    shown = TOKEN.search(text(response)).group(1)
    stored = PersonalToken.objects.get(account=school.mother)
    assert stored.name == "Agenda du téléphone"
    assert stored.token_hash == codes.token_hash(shown)
    assert stored.prefix == shown[:14]
    assert timedelta(days=89) < stored.expires_at - timezone.now() <= timedelta(days=90)
    assert not PersonalToken.objects.filter(token_hash__contains=shown[6:]).exists()
    event = AuditEvent.objects.get(action="account.token_create")
    assert shown not in str(event.after)
    # Listed afterwards without the secret.
    listing = text(client.get(URL))
    assert "Agenda du téléphone" in listing
    assert stored.prefix in listing
    assert shown not in listing
    assert Client().get(ME, **bearer(shown)).status_code == 200


def test_a_token_is_revoked_from_the_page(client, school):
    token = new_token(school.mother)
    stored = PersonalToken.objects.get()
    log_in(client, school.mother)

    response = client.post(reverse("accounts:token_revoke", args=[stored.pk]))

    assert response.status_code == 302
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert AuditEvent.objects.filter(action="account.token_revoke").count() == 1
    assert "révoqué le" in text(client.get(URL))
    assert Client().get(ME, **bearer(token)).status_code == 401


def test_nobody_revokes_anothers_token(client, school):
    new_token(school.mother)
    stored = PersonalToken.objects.get()
    log_in(client, school.cpe)

    response = client.post(reverse("accounts:token_revoke", args=[stored.pk]))

    assert response.status_code == 404
    stored.refresh_from_db()
    assert stored.revoked_at is None


def test_staff_tokens_must_end(client, school):
    log_in(client, school.secretariat)

    page = text(client.get(URL))
    assert "Sans date de fin" not in page
    response = client.post(URL, {"name": "Script", "lifetime": "never"})

    assert response.status_code == 200
    assert not PersonalToken.objects.exists()


def test_families_may_keep_a_token_without_end(client, school):
    log_in(client, school.mother)

    client.post(URL, {"name": "Tableur", "lifetime": "never"})

    assert PersonalToken.objects.get().expires_at is None


def test_live_tokens_are_limited(client, school):
    for number in range(MAX_LIVE_TOKENS):
        new_token(school.mother, name=f"Jeton {number}")
    log_in(client, school.mother)

    response = client.post(URL, {"name": "Un de trop", "lifetime": "30"})

    assert "révoquez-en un d'abord" in text(response)
    assert PersonalToken.objects.count() == MAX_LIVE_TOKENS


# Session, account, person, the spaces (roles, children), then the tokens.
TOKENS_QUERIES = 6


@pytest.mark.parametrize("count", [1, 6])
def test_the_page_queries_do_not_grow_with_tokens(client, school, django_assert_num_queries, count):
    for number in range(count):
        new_token(school.mother, name=f"Jeton {number}")
    log_in(client, school.mother)

    with django_assert_num_queries(TOKENS_QUERIES):
        assert client.get(URL).status_code == 200


# -- The API with a token --------------------------------------------------------------------


def test_me_answers_the_same_with_a_token_as_with_the_session(client, school):
    token = new_token(school.mother)
    log_in(client, school.mother)
    by_session = client.get(ME).json()

    by_token = Client().get(ME, **bearer(token))

    assert by_token.status_code == 200
    assert by_token.json() == by_session
    assert by_token.json()["children"][0]["id"] == school.emma.pk
    assert PersonalToken.objects.get().last_used_at is not None


def test_a_staff_token_sees_what_the_staff_member_sees(school):
    token = new_token(school.secretariat)
    uai = school.establishment.uai

    response = Client().get(f"/api/v1/establishments/{uai}/divisions", **bearer(token))

    assert response.status_code == 200
    assert [d["name"] for d in response.json()] == ["4B"]
    other = school.elsewhere.establishment.uai
    assert (
        Client().get(f"/api/v1/establishments/{other}/divisions", **bearer(token)).status_code
        == 404
    )


def test_a_guardians_token_gets_404_on_another_pupil(school):
    token = new_token(school.mother)

    mine = Client().get(f"/api/v1/pupils/{school.emma.pk}/absences", **bearer(token))
    other = Client().get(f"/api/v1/pupils/{school.hugo.pk}/absences", **bearer(token))
    timetable = Client().get(f"/api/v1/pupils/{school.hugo.pk}/timetable", **bearer(token))

    assert mine.status_code == 200
    assert other.status_code == 404
    assert timetable.status_code == 404


@pytest.mark.parametrize("state", ["revoked", "expired", "closed account"])
def test_a_dead_token_answers_401(school, state):
    token = new_token(school.mother, lifetime="30")
    if state == "revoked":
        PersonalToken.objects.update(revoked_at=timezone.now())
    elif state == "expired":
        PersonalToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    else:
        type(school.mother).objects.filter(pk=school.mother.pk).update(is_active=False)

    response = Client().get(ME, **bearer(token))

    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer preau_pasunvraijeton", "Bearer ", "Bearer quelquechose", "bearer preau_" + "x" * 43],
)
def test_an_unknown_token_answers_401(header):
    assert Client().get(ME, HTTP_AUTHORIZATION=header).status_code == 401


def test_a_wrong_token_is_refused_even_with_a_session(client, school):
    log_in(client, school.mother)
    assert client.get(ME).status_code == 200

    assert client.get(ME, **bearer("preau_pasunvraijeton")).status_code == 401


def test_without_session_nor_token_the_api_answers_401():
    assert Client().get(ME).status_code == 401


def test_a_token_call_needs_no_csrf_while_a_session_call_keeps_it(rf, school):
    # No endpoint that writes is open yet: the API's two ways in are checked as ninja
    # runs them, in order, on a POST without CSRF token.
    from django.contrib.auth.models import AnonymousUser
    from ninja.errors import HttpError

    from preau.api.api import api
    from preau.api.auth import BearerToken
    from preau.portal.spaces import PersonSpaces

    bearer_auth, session_auth = api.auth
    assert isinstance(bearer_auth, BearerToken)
    token = new_token(school.mother)
    by_token = rf.post("/api/v1/messages", **bearer(token))
    by_token.user = AnonymousUser()
    assert bearer_auth(by_token) == school.mother
    assert by_token.user == school.mother
    assert [child.id for child in by_token.person_spaces.children] == [school.emma.pk]

    by_session = rf.post("/api/v1/messages")
    by_session.user = school.mother
    # What the space middleware puts on a request (the CSRF failure page reads it).
    by_session.space, by_session.child = None, None
    by_session.person_spaces = PersonSpaces(spaces=(), children=())
    assert bearer_auth(by_session) is None
    with pytest.raises(HttpError, match="CSRF"):
        session_auth(by_session)


def test_a_token_of_a_person_who_is_also_staff_keeps_both_spaces():
    school = School()
    teacher_parent = staff_account(school.elsewhere.establishment, RoleKind.TEACHER)
    from tests.factories import GuardianshipFactory

    GuardianshipFactory(guardian=teacher_parent.person, pupil=school.emma)
    token = new_token(teacher_parent)

    body = Client().get(ME, **bearer(token)).json()

    assert {role["role"] for role in body["roles"]} == {"teacher", "guardian"}
    assert [child["id"] for child in body["children"]] == [school.emma.pk]


# Token lookup (with account and person), the spaces (roles, children), the children's
# divisions; the last-use stamp is written at most every five minutes.
ME_TOKEN_QUERIES = 4


@pytest.mark.parametrize("children", [1, 3])
def test_me_with_a_token_queries_do_not_grow(school, django_assert_num_queries, children):
    guardian = activated_guardian(*[pupil_in(school.division) for _ in range(children)])
    token = new_token(guardian)
    Client().get(ME, **bearer(token))  # stamps the last use

    with django_assert_num_queries(ME_TOKEN_QUERIES):
        assert Client().get(ME, **bearer(token)).status_code == 200


def test_the_last_use_is_stamped_at_most_every_five_minutes(school, monkeypatch):
    token = new_token(school.mother)
    start = timezone.now()
    Client().get(ME, **bearer(token))
    first = PersonalToken.objects.get().last_used_at
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=2))
    Client().get(ME, **bearer(token))
    assert PersonalToken.objects.get().last_used_at == first
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(minutes=6))
    Client().get(ME, **bearer(token))
    assert PersonalToken.objects.get().last_used_at > first


def test_a_pupil_may_create_a_token(client):
    school = School()
    pupil = AccountFactory(person=school.hugo)
    log_in(client, pupil)

    client.post(URL, {"name": "Agenda", "lifetime": "30"})

    token = PersonalToken.objects.get(account=pupil)
    assert token.expires_at is not None


# -- A password reset closes the tokens -----------------------------------------------------


def test_a_password_reset_revokes_the_tokens_a_change_keeps_them(school):
    """Given a token made by whoever had the account (a session left open), when the
    owner resets the password through the e-mailed link, then the token answers 401;
    an ordinary change made while signed in keeps the tokens."""
    from preau.accounts.services import password_changed

    kept = new_token(school.mother, name="Agenda")
    password_changed(account=school.mother, by_reset=False)
    assert Client().get(ME, **bearer(kept)).status_code == 200

    password_changed(account=school.mother, by_reset=True)

    assert Client().get(ME, **bearer(kept)).status_code == 401
    assert PersonalToken.objects.get(account=school.mother).revoked_at is not None
    event = AuditEvent.objects.get(action="account.token_revoke")
    assert event.after["reason"] == "password_reset"
