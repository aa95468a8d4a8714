from django import template

register = template.Library()


@register.filter
def duration(milliseconds) -> str:
    """180000 → "3:00"."""
    try:
        seconds = int(milliseconds or 0) // 1000
    except (TypeError, ValueError):
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds else ""
