"""What the debug page (only ever on in `make demo`) may show."""

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretsHiddenFilter(SafeExceptionReporterFilter):
    # Django's list plus connection strings: DATABASE_URL and REDIS_URL carry passwords.
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|REDIS|BROKER|URL|DSN|AUTH",
        flags=re.IGNORECASE,
    )
