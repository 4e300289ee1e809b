from typing import Any

from django.db import models

from preau.audit.models import AuditEvent


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    establishment=None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the trail. Call it inside the transaction of the change it
    records, so that both are kept or neither."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        establishment=establishment,
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        before=before,
        after=after,
    )
