from django import template

register = template.Library()


@register.filter
def thousands(value) -> str:
    """5000 → "5,000" (without django.contrib.humanize)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def get(mapping, key):
    return (mapping or {}).get(str(key)) if hasattr(mapping, "get") else None
