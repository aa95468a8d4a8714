import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the demo's staff account (once) and print its credentials. Demo mode only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo_admin only runs with DEBUG on; use createsuperuser in production"
            )
        password_file = settings.VAR_DIR / "demo_admin_password"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(12))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        user, _ = get_user_model().objects.get_or_create(username="admin")
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Admin: {settings.SITE_URL}/admin/  user: admin  password: {password}")
