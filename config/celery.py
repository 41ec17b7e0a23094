from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tranche")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker writes a heartbeat row that /health/ reads (tracker.tasks.WorkerHeartbeat).
app.steps["worker"].add("tracker.tasks:WorkerHeartbeat")
