"""The Celery application: background work (e-mail, fan-out) queued after commit."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "preau.config.settings")

app = Celery("preau")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
