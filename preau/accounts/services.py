"""Writes about accounts: opening and closing sessions, passwords, activation codes,
a family's contact details and e-mail choices, personal API tokens."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from preau.accounts import codes
from preau.accounts.models import (
    Account,
    ActivationCode,
    NotificationKind,
    NotificationPreference,
    PersonalToken,
)
from preau.accounts.policy import ACTIVATION_CODE_DAYS, session_lifetime, token_lifetimes
from preau.accounts.selectors import establishment_families, holds_staff_role
from preau.audit.services import audit_record
from preau.core.access import StaffScope
from preau.core.models import Establishment, Person
from preau.core.selectors import person_is_staff, today

SESSION_POLICY_KEY = "_preau_idle"
SESSION_TOUCHED_KEY = "_preau_touched"


def session_apply_policy(*, request: HttpRequest, account: Account, remember: bool) -> None:
    lifetime = session_lifetime(
        staff=account.is_staff or account.is_superuser or person_is_staff(account.person),
        remember=remember,
        remember_days=settings.PREAU_REMEMBER_ME_DAYS,
        idle_hours=settings.PREAU_IDLE_TIMEOUT_HOURS,
    )
    # Persistent: the cookie and the server-side session both last `idle_seconds` past
    # the last refresh. Otherwise the cookie dies with the browser and the server-side
    # session after SESSION_COOKIE_AGE (the idle timeout) without activity.
    request.session.set_expiry(lifetime.idle_seconds if lifetime.persistent else 0)
    request.session[SESSION_POLICY_KEY] = lifetime.idle_seconds
    request.session[SESSION_TOUCHED_KEY] = int(timezone.now().timestamp())


@transaction.atomic
def session_start(
    *, request: HttpRequest, account: Account, remember: bool, method: str = "password"
) -> None:
    """Sign `account` in on this request. Every way in (password today, SSO later)
    ends here, so that session lifetime and the trail are the same for all."""
    auth_login(request, account, backend="preau.accounts.backends.LoginBackend")
    session_apply_policy(request=request, account=account, remember=remember)
    if account.activated_at is None:
        account.activated_at = timezone.now()
        account.save(update_fields=["activated_at"])
    audit_record(
        actor=account,
        action="account.login",
        target=account,
        after={"method": method, "remember": remember},
    )


@transaction.atomic
def session_end(*, request: HttpRequest) -> None:
    account = request.user if request.user.is_authenticated else None
    if account is not None:
        audit_record(actor=account, action="account.logout", target=account)
    auth_logout(request)


@transaction.atomic
def password_changed(*, account: Account, by_reset: bool) -> None:
    """Record a password change made by Django's forms (change or reset by e-mail). A
    reset also revokes the account's personal tokens: whoever lost control of the
    account (a session left open, a stolen password) may have made one, which no new
    password would otherwise close."""
    if account.activated_at is None:
        account.activated_at = timezone.now()
        account.save(update_fields=["activated_at"])
    audit_record(
        actor=account,
        action="account.password_reset" if by_reset else "account.password_change",
        target=account,
    )
    if by_reset:
        now = timezone.now()
        live = PersonalToken.objects.filter(account=account).live(now)
        prefixes = list(live.values_list("prefix", flat=True))
        if prefixes:
            live.update(revoked_at=now)
            audit_record(
                actor=account,
                action="account.token_revoke",
                target=account,
                after={"tokens": prefixes, "reason": "password_reset"},
            )


# -- Activation codes --------------------------------------------------------------------


def activation_code_days() -> int:
    return getattr(settings, "PREAU_ACTIVATION_CODE_DAYS", ACTIVATION_CODE_DAYS)


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued: the only moment its clear form exists, to be printed."""

    person: Person
    account: Account
    code: str
    expires_at: datetime

    @property
    def display(self) -> str:
        return codes.code_display(self.code)


class NothingToActivate(ValueError):
    """The person has no account, or it is activated or closed already."""


@transaction.atomic
def activation_codes_issue(
    *, actor: Account, scope: StaffScope, people: list[Person]
) -> list[IssuedCode]:
    """A new activation code for each person's account, voiding the code they had:
    the letters of the secretariat or the direction of `scope`'s establishment, for
    pupils of the establishment and the adults responsible for them. Each code is
    recorded in the trail (who printed a code for whom), never in clear."""
    if not scope.administers:
        raise PermissionDenied(_("Seuls la direction et le secrétariat impriment ces lettres."))
    people = list({person.pk: person for person in people}.values())
    ids = {person.pk for person in people}
    day = today()
    known = dict(
        establishment_families(scope.establishment_id, day)
        .filter(pk__in=ids)
        .annotate(staff=holds_staff_role(day))
        .values_list("pk", "staff")
    )
    if ids - set(known):
        raise PermissionDenied(_("Cette personne n'est pas de l'établissement."))
    for person in people:
        account = getattr(person, "account", None)
        if account is None or account.activated_at is not None or not account.is_active:
            raise NothingToActivate(person.pk)
        # Staff accounts open pupils' files: never activated by a printed code.
        if known[person.pk] or account.is_staff or account.is_superuser:
            raise NothingToActivate(person.pk)
    now = timezone.now()
    expires_at = now + timedelta(days=activation_code_days())
    accounts = [person.account for person in people]
    # Two letters printed at once for the same account: the second waits for the first
    # (else both void, then both insert, against `activation_code_one_live_per_account`).
    list(
        Account.objects.select_for_update()
        .filter(pk__in=[account.pk for account in accounts])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ActivationCode.objects.filter(
        account__in=accounts, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=now)
    issued = [
        IssuedCode(
            person=person, account=person.account, code=codes.code_new(), expires_at=expires_at
        )
        for person in people
    ]
    ActivationCode.objects.bulk_create(
        ActivationCode(
            account=item.account,
            code_hash=codes.code_hash(item.code),
            created_by=actor,
            created_at=now,
            expires_at=expires_at,
        )
        for item in issued
    )
    establishment = Establishment(pk=scope.establishment_id)
    for item in issued:
        audit_record(
            actor=actor,
            action="account.activation_code",
            target=item.account,
            establishment=establishment,
            after={"expires_at": expires_at.isoformat()},
        )
    return issued


class ActivationRefused(ValueError):
    """The code cannot activate the account any more (used, replaced, expired, or the
    account was activated or closed meanwhile)."""


@transaction.atomic
def account_activate(
    *, request: HttpRequest, code: ActivationCode, password: str, email: str
) -> Account:
    """Activate the code's account: the password the person chose (already checked
    by the validators), the e-mail address they confirmed, the code used; then sign
    them in (`session_start`, method "activation")."""
    code = (
        # The code and its account locked (the person is on an outer join).
        ActivationCode.objects.select_for_update(of=("self", "account"))
        .select_related("account__person")
        .get(pk=code.pk)
    )
    now = timezone.now()
    account = code.account
    if not code.usable(now) or account.activated_at is not None or not account.is_active:
        raise ActivationRefused(code.pk)
    account.set_password(password)
    account.activated_at = now
    account.save(update_fields=["password", "activated_at"])
    code.used_at = now
    code.save(update_fields=["used_at"])
    person = account.person
    before = {"email": person.email} if person else None
    if person is not None and person.email != email:
        person.email = email
        person.save(update_fields=["email", "updated_at"])
    audit_record(
        actor=account,
        action="account.activate",
        target=account,
        before=before,
        after={"email": email, "code": code.pk},
    )
    session_start(request=request, account=account, remember=False, method="activation")
    return account


# -- Contact details ---------------------------------------------------------------------

CONTACT_FIELDS = (
    "email",
    "mobile_phone",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
)


def may_edit_contact_details(person: Person | None, spaces, day) -> bool:
    """A person responsible for a child (any level), or a pupil of age, keeps their
    own contact details up to date; a minor pupil's are the family's, and staff's
    come from the académie's directory."""
    if person is None:
        return False
    if spaces.children:
        return True
    return any(space.kind == "pupil" for space in spaces.spaces) and person.is_adult_on(day)


@transaction.atomic
def contact_details_update(*, actor: Account, values: dict[str, str]) -> dict[str, str]:
    """Write the actor's own contact details (`CONTACT_FIELDS` of `values`); return the
    previous value of each field that changed. Recorded with before and after. When
    the e-mail address changes, the previous one is told (an account's address is
    where its password can be reset)."""
    from preau.portal.spaces import spaces_of

    person = actor.person
    if not may_edit_contact_details(person, spaces_of(person, today()), today()):
        raise PermissionDenied(_("Vos coordonnées sont tenues par l'établissement."))
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = {
        field: getattr(person, field)
        for field in CONTACT_FIELDS
        if field in values and values[field] != getattr(person, field)
    }
    if not before:
        return {}
    for field in before:
        setattr(person, field, values[field])
    person.full_clean(exclude=[f.name for f in Person._meta.fields if f.name not in before])
    person.save(update_fields=[*before, "updated_at"])
    audit_record(
        actor=actor,
        action="person.contact_details",
        target=person,
        before=before,
        after={field: values[field] for field in before},
    )
    if before.get("email"):
        _tell_previous_address(person, before["email"])
    return before


def _tell_previous_address(person: Person, previous: str) -> None:
    from preau.accounts.tasks import send_account_email

    with translation.override("fr"):
        context = {"person": person, "site_url": settings.PREAU_SITE_URL.rstrip("/")}
        subject = " ".join(
            render_to_string("accounts/email/email_changed_subject.txt", context).split()
        )
        body = render_to_string("accounts/email/email_changed.txt", context)
    transaction.on_commit(lambda: send_account_email.delay(subject=subject, body=body, to=previous))


# -- Notification preferences ------------------------------------------------------------


@transaction.atomic
def notification_preferences_set(
    *, actor: Account, values: dict[str, bool]
) -> NotificationPreference:
    """The actor's choice of e-mails, one flag per `NotificationKind` (missing kinds
    keep their value). Recorded when something changes."""
    if actor.person_id is None:
        raise PermissionDenied(_("Ce compte n'est lié à aucune personne."))
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        person_id=actor.person_id
    )
    before = {
        kind: getattr(preference, kind)
        for kind in NotificationKind.values
        if kind in values and bool(values[kind]) != getattr(preference, kind)
    }
    if before:
        for kind in before:
            setattr(preference, kind, bool(values[kind]))
        preference.save()
        audit_record(
            actor=actor,
            action="person.notification_preferences",
            target=preference.person,
            before=before,
            after={kind: bool(values[kind]) for kind in before},
        )
    return preference


# -- Personal tokens ---------------------------------------------------------------------

# Live tokens one account may hold: enough for a few programs, not a leak per script.
MAX_LIVE_TOKENS = 10
# `last_used_at` is written at most this often, not on every call.
TOKEN_USE_REFRESH = timedelta(minutes=5)


def account_is_staff(account: Account) -> bool:
    return account.is_staff or account.is_superuser or person_is_staff(account.person)


@transaction.atomic
def personal_token_create(*, actor: Account, name: str, lifetime: str) -> tuple[PersonalToken, str]:
    """A new token for the actor's account; returns it with its clear form, which is
    never stored nor shown again. `lifetime` is the key of one of the actor's
    `token_lifetimes`."""
    if actor.person_id is None:
        raise PermissionDenied(_("Ce compte n'est lié à aucune personne."))
    choices = {item.key: item for item in token_lifetimes(staff=account_is_staff(actor))}
    if lifetime not in choices:
        raise ValidationError(_("Choisissez une durée de validité proposée."))
    now = timezone.now()
    live = PersonalToken.objects.select_for_update().filter(account=actor).live(now)
    if len(live) >= MAX_LIVE_TOKENS:
        raise ValidationError(
            _("Vous avez déjà %(count)d jetons actifs : révoquez-en un d'abord.")
            % {"count": MAX_LIVE_TOKENS}
        )
    days = choices[lifetime].days
    plain = codes.token_new()
    token = PersonalToken.objects.create(
        account=actor,
        name=name.strip(),
        prefix=codes.token_shown(plain),
        token_hash=codes.token_hash(plain),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    audit_record(
        actor=actor,
        action="account.token_create",
        target=token,
        after={
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return token, plain


@transaction.atomic
def personal_token_revoke(*, actor: Account, token_id: int) -> PersonalToken:
    """Revoke one of the actor's own tokens (LookupError for anybody else's)."""
    token = (
        PersonalToken.objects.select_for_update()
        .filter(pk=token_id, account=actor, revoked_at__isnull=True)
        .first()
    )
    if token is None:
        raise LookupError(token_id)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="account.token_revoke",
        target=token,
        after={"name": token.name, "prefix": token.prefix},
    )
    return token


def personal_token_use(plain: str) -> Account | None:
    """The account a token presented to the API stands for, or None (unknown, revoked,
    expired token, closed account). Stamps the token's last use, at most every
    `TOKEN_USE_REFRESH` (not recorded in the trail: the API calls are not)."""
    if not plain.startswith(codes.TOKEN_PREFIX) or len(plain) > 100:
        return None
    now = timezone.now()
    token = (
        PersonalToken.objects.live(now)
        .filter(token_hash=codes.token_hash(plain), account__is_active=True)
        .select_related("account__person")
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_REFRESH:
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.account
