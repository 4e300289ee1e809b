"""The attendance pages, one module of views per area (views/)."""

from preau.attendance.views import desk, family, legal, rollcall

app_name = "attendance"

urlpatterns = [*rollcall.patterns, *desk.patterns, *family.patterns, *legal.patterns]
