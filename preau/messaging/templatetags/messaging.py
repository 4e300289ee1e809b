"""Filters of the messaging templates."""

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.safestring import mark_safe

from preau.core.richtext import clean_html

register = template.Library()


@register.filter
def rich(html: str) -> str:
    """A message's body, sanitised again as it is shown (it was when it was stored)."""
    return mark_safe(clean_html(html or ""))  # noqa: S308 (sanitised by nh3)


@register.filter
def when(moment) -> str:
    """A date in a list: the time today, the day this year, else the full date."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    now = timezone.localtime()
    if local.date() == now.date():
        return date_filter(local, "H:i")
    if local.year == now.year:
        return date_filter(local, "j F")
    return date_filter(local, "d/m/Y")


@register.filter
def label_of(labels: dict, key) -> list:
    """`labels[key]`, or an empty list."""
    return labels.get(key, []) if labels else []
