"""Destructive actions ask first, without JavaScript: a two-step POST.

The button posts to the action's URL as before. Without `confirmed=yes` the view answers with a
page that says what will happen ("Delete 502 entries?") and a second form that posts again with
`confirmed=yes` (carrying the first form's fields along). A GET shows the same page, so a link
works too. Nothing changes until the second POST; the CSRF token guards both.
"""

from __future__ import annotations

from django.shortcuts import render

CONFIRM_FIELD = "confirmed"


def is_confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def confirm_page(
    request,
    *,
    question: str,
    button: str,
    cancel_url: str,
    details: list[str] | tuple[str, ...] = (),
    undo: str = "",
):
    """The page that asks `question`; its form posts back to this URL with the same fields."""
    carried = []
    if request.method == "POST":
        for name in request.POST:
            if name in (CONFIRM_FIELD, "csrfmiddlewaretoken"):
                continue
            carried += [(name, value) for value in request.POST.getlist(name)[:5000]]
    return render(
        request,
        "confirm.html",
        {
            "question": question,
            "button": button,
            "cancel_url": cancel_url,
            "details": [line for line in details if line],
            "undo": undo,
            "carried": carried,
            "action": request.path,
        },
    )
