"""The Celery app. Queues: `interactive` (a person is waiting), `default`, `bulk` (background)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tunekeeper")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("interactive", "default", "bulk")]
app.autodiscover_tasks()
app.autodiscover_tasks(["config"])
