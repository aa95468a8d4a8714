from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone


class Connection(models.Model):
    """A user's link to Spotify, beyond allauth's SocialAccount: whether it still works."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spotify_connection"
    )
    needs_reconnect_since = models.DateTimeField(null=True, blank=True)
    needs_reconnect_reason = models.CharField(max_length=200, blank=True)
    # An operator's hold on this user's background jobs (admin action "pause jobs").
    jobs_paused_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Spotify connection of {self.user}"

    @property
    def needs_reconnect(self) -> bool:
        return self.needs_reconnect_since is not None

    def mark_needs_reconnect(self, reason: str) -> None:
        self.needs_reconnect_since = timezone.now()
        self.needs_reconnect_reason = reason[:200]
        self.save(update_fields=["needs_reconnect_since", "needs_reconnect_reason"])

    def mark_reconnected(self) -> None:
        self.needs_reconnect_since = None
        self.needs_reconnect_reason = ""
        self.save(update_fields=["needs_reconnect_since", "needs_reconnect_reason"])


class SeatsFull(Exception):
    """Every seat of the Spotify app is taken."""


class UserSeat(models.Model):
    """One of the MAX_USERS places a development-mode Spotify app allows.

    The unique `number` is the lock: two simultaneous signups for the last place both try to
    insert it and the database lets exactly one through. Users an admin approved from the
    waitlist hold a seat without a number (past the cap, on the admin's word).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat"
    )
    number = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"seat {self.number or 'approved'}: {self.user}"

    @classmethod
    def claim(cls, user, *, approved_over_cap: bool = False) -> "UserSeat":
        if approved_over_cap:
            return cls.objects.create(user=user, number=None)
        for number in range(1, settings.MAX_USERS + 1):
            try:
                with transaction.atomic():
                    return cls.objects.create(user=user, number=number)
            except IntegrityError:
                continue
        raise SeatsFull

    @classmethod
    def free_count(cls) -> int:
        taken = cls.objects.filter(number__lte=settings.MAX_USERS).count()
        return max(settings.MAX_USERS - taken, 0)


class WaitlistEntry(models.Model):
    """Someone who tried to sign up while every seat was taken."""

    spotify_id = models.CharField(max_length=200, unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["requested_at"]
        verbose_name_plural = "waitlist entries"

    def __str__(self) -> str:
        return self.display_name or self.spotify_id

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    def approve(self, by) -> None:
        self.approved_at = timezone.now()
        self.approved_by = by
        self.save(update_fields=["approved_at", "approved_by"])


class Purpose(models.TextChoices):
    SYNC = "sync"
    ENFORCEMENT = "enforcement"
    ARCHIVE = "archive"
    LIBRARY = "library"
    ENRICHMENT = "enrichment"
    INTERACTIVE = "interactive"
    AUTH = "auth"
    DOWNLOADS = "downloads"


class ApiCall(models.Model):
    """The call ledger: one row per request sent to an outside service (core.outbound).

    `service` says which ("spotify", "musicbrainz", "slskd"); `app` is the Spotify app id for
    Spotify's rows ("accounts" for token refreshes) and the service's name for the others.
    """

    at = models.DateTimeField()
    service = models.CharField(max_length=32, default="spotify")
    app = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=8)
    endpoint = models.CharField(max_length=120)  # a template: "GET /playlists/{id}/items"
    status = models.PositiveSmallIntegerField()  # 0: no response (timeout, connection error)
    duration_ms = models.PositiveIntegerField()
    retry_after = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # A person was waiting (the interactive lane): not counted against their background share.
    interactive = models.BooleanField(default=False)
    job_id = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["app", "at"]),
            models.Index(fields=["service", "at"]),
            models.Index(fields=["job_id"]),
            models.Index(fields=["app", "user", "at"], name="spotify_call_user_day"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint} → {self.status}"


class ApiCallDay(models.Model):
    """The call ledger folded: calls per day, service (app), user and purpose, for ledger rows
    older than LEDGER_RETENTION_DAYS (config.retention). The usage page adds these to the rows
    still in the ledger, so its totals do not change when rows are folded."""

    day = models.DateField()
    app = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    calls = models.PositiveIntegerField(default=0)
    limited = models.PositiveIntegerField(default=0)  # answered 429

    class Meta:
        indexes = [models.Index(fields=["app", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.app} {self.purpose}: {self.calls}"


class AppState(models.Model):
    """Per Spotify app: a persisted pause (daily quota or a long Retry-After)."""

    app = models.CharField(max_length=64, unique=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Spotify app state"

    def __str__(self) -> str:
        return self.app
