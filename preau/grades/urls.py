"""The grades pages, one module of views per area (views/)."""

from preau.grades.views import councils, entry, family, results, settings

app_name = "grades"

urlpatterns = [
    *entry.patterns,
    *family.patterns,
    *results.patterns,
    *councils.patterns,
    *settings.patterns,
]
