from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradesConfig(AppConfig):
    name = "preau.grades"
    label = "grades"
    verbose_name = _("Notes")

    def ready(self) -> None:
        from preau.attendance import reports
        from preau.grades.selectors.drops import average_drops

        # The dropout watch counts a fall of the general average.
        reports.AVERAGE_DROPS = average_drops
