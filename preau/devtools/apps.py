from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevtoolsConfig(AppConfig):
    """Demo and benchmark data. The product never imports this package."""

    name = "preau.devtools"
    label = "devtools"
    verbose_name = _("Outils de démonstration")
