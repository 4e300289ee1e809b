"""Template helpers of the account pages."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def breakable_email(address: str) -> str:
    """An e-mail address that may wrap before its "@" (a long address must not widen
    a phone's page)."""
    local, at, domain = (address or "").partition("@")
    if not at:
        return address
    return format_html("{}<wbr>@{}", local, domain)
