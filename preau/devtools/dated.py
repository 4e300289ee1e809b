"""Demo rows dated when things happened rather than when the demo was seeded."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models


@contextmanager
def dated_fields(*fields: models.Field) -> Iterator[None]:
    """Inside the block, `fields` (`auto_now` / `auto_now_add` date fields) keep the
    value the row was given, which `save` and `bulk_create` would otherwise overwrite."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
