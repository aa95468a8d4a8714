"""`{% automatic_runs_of user as runs %}`: the partial templates/enforcement/_automatic_runs.html
fetches its own rows, so any page (the dashboard, the blocklist page) shows it with one
`{% include %}` and no change to its view."""

from django import template

from enforcement.automatic import automatic_runs
from enforcement.models import ItemStatus

register = template.Library()

ITEMS_NAMED = 5


@register.simple_tag
def automatic_runs_of(user) -> list:
    if not getattr(user, "is_authenticated", False):
        return []
    runs = list(automatic_runs(user))
    for run in runs:
        removed = run.items.filter(status=ItemStatus.DONE).order_by("id")
        run.removed_named = list(
            removed.values_list("label", "playlist_name", "kind")[:ITEMS_NAMED]
        )
        run.removed_more = max(0, run.done - len(run.removed_named))
    return runs
