"""Accounts: how a person signs in. Who the person is lives in `core.Person`."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
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
