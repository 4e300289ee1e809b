from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "preau.core"
    label = "core"
    verbose_name = _("Établissements et personnes")

    def ready(self) -> None:
        from preau.core import checks  # noqa: F401  (registers the system checks)
