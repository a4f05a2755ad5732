"""The Celery application. Workers start with ``celery -A procurement.celery worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")

app = Celery("minhbach")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
