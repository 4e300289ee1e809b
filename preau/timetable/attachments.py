"""What other domains attach to occurrences (roll calls, absences, homework): a
re-import keeps it on the occurrences that still exist and flags it on those it
withdraws (timetable.md, "Changes during the year"). Each domain registers its models
in its AppConfig.ready, so that the timetable needs not know them."""

from django.apps import apps

# label shown in the report → (model label, name of the foreign key to Occurrence)
_ATTACHED: dict[str, tuple[str, str]] = {}


def register(label: str, model: str, field: str = "occurrence") -> None:
    _ATTACHED[label] = (model, field)


def attached_to(occurrence_ids: list[int]) -> dict[str, set[int]]:
    """For each registered kind, the occurrences among `occurrence_ids` that have some;
    one query per kind."""
    found: dict[str, set[int]] = {}
    if not occurrence_ids:
        return found
    for label, (model, field) in _ATTACHED.items():
        rows = set(
            apps.get_model(model)
            .objects.filter(**{f"{field}_id__in": occurrence_ids})
            .values_list(f"{field}_id", flat=True)
            .distinct()
        )
        if rows:
            found[label] = rows
    return found
