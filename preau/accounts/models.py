"""Accounts: how a person signs in. Who the person is lives in `core.Person`."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from preau.core.models import Person


def normalise_login(login: str) -> str:
    """Identifiers are compared without case or surrounding spaces: "Camille.Martin "
    and "camille.martin" are the same account."""
    return login.strip().casefold()


class AccountManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, login: str) -> "Account":
        return self.get(login=normalise_login(login))

    def create_user(self, login: str, password: str | None = None, **fields) -> "Account":
        account = self.model(login=normalise_login(login), **fields)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, login: str, password: str | None = None, **fields) -> "Account":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(login, password, **fields)


class Account(AbstractBaseUser, PermissionsMixin):
    login = models.CharField(_("identifiant"), max_length=150, unique=True)
    person = models.OneToOneField(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
        verbose_name=_("personne"),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(
        _("accès à l'administration technique"),
        default=False,
        help_text=_("Donne accès à l'interface d'administration de Django."),
    )
    activated_at = models.DateTimeField(
        _("activé le"),
        null=True,
        blank=True,
        help_text=_(
            "Première connexion ou activation par la famille ; vide tant que le compte "
            "importé n'a pas été activé."
        ),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = AccountManager()

    USERNAME_FIELD = "login"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        ordering = ["login"]

    def __str__(self) -> str:
        return self.login

    @property
    def email(self) -> str:
        return self.person.email if self.person_id else ""

    def get_full_name(self) -> str:
        return self.person.display_name if self.person_id else self.login

    def get_short_name(self) -> str:
        return self.person.first_name if self.person_id else self.login


class ActivationCode(models.Model):
    """A one-time code printed on an activation letter: with the account's identifier
    it lets the person choose a password. Only the code's keyed hash is stored
    (`accounts.codes`). Issuing a new code voids the previous one, so that at most
    one code of an account works at a time."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="activation_codes",
        verbose_name=_("compte"),
    )
    code_hash = models.CharField(_("empreinte du code"), max_length=64)
    created_by = models.ForeignKey(
        Account,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)
    voided_at = models.DateTimeField(
        _("annulé le"),
        null=True,
        blank=True,
        help_text=_("Remplacé par un code plus récent."),
    )

    class Meta:
        verbose_name = _("code d'activation")
        verbose_name_plural = _("codes d'activation")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="activation_code_one_live_per_account",
            ),
        ]
        indexes = [models.Index(fields=["account", "code_hash"])]

    def __str__(self) -> str:
        return f"{self.account} ({self.created_at:%d/%m/%Y})"

    def usable(self, now) -> bool:
        return self.used_at is None and self.voided_at is None and now < self.expires_at


class NotificationKind(models.TextChoices):
    """What a person may choose to receive by e-mail, or not."""

    ABSENCES = "absences", _("Absences et retards")
    GRADES = "grades", _("Notes et bulletins")
    HOMEWORK = "homework", _("Cahier de textes")
    MESSAGES = "messages", _("Messages")


class NotificationPreference(models.Model):
    """A person's choice of e-mails, one flag per `NotificationKind` (the field names
    are the kinds). No row: everything is sent. Some e-mails are sent whatever the
    choice (see `accounts.selectors.MANDATORY`)."""

    person = models.OneToOneField(
        Person,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("personne"),
    )
    absences = models.BooleanField(NotificationKind.ABSENCES.label, default=True)
    grades = models.BooleanField(NotificationKind.GRADES.label, default=True)
    homework = models.BooleanField(NotificationKind.HOMEWORK.label, default=True)
    messages = models.BooleanField(NotificationKind.MESSAGES.label, default=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")

    def __str__(self) -> str:
        return str(self.person)


class PersonalTokenQuerySet(models.QuerySet):
    def live(self, now) -> "PersonalTokenQuerySet":
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True
        )


class PersonalToken(models.Model):
    """A secret a person gives a program so that it calls the API as them
    (`Authorization: Bearer …`). Only the token's SHA-256 is stored; it is shown once,
    when created."""

    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="personal_tokens",
        verbose_name=_("compte"),
    )
    name = models.CharField(_("nom"), max_length=80)
    prefix = models.CharField(_("début du jeton"), max_length=16)
    token_hash = models.CharField(_("empreinte"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects = PersonalTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton personnel")
        verbose_name_plural = _("jetons personnels")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def live(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
