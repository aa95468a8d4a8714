from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def find_user(value: str):
    """A user by username, or by primary key when the value is a number."""
    users = get_user_model().objects
    user = users.filter(username=value).first()
    if user is None and value.isdigit():
        user = users.filter(pk=int(value)).first()
    if user is None:
        raise CommandError(f"No user {value!r}")
    return user
