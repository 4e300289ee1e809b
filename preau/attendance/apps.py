from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttendanceConfig(AppConfig):
    name = "preau.attendance"
    label = "attendance"
    verbose_name = _("Vie scolaire")

    def ready(self) -> None:
        from preau.timetable import attachments

        # A re-imported timetable flags the withdrawn occurrences that carry these.
        attachments.register("roll_calls", "attendance.RollCall")
        attachments.register("absences", "attendance.Absence")
