"""Serve the portal with the periodic jobs running: the embedded default's one process.

Without a broker (the embedded default) Celery runs tasks eagerly, and this command starts an
embedded beat thread that fires the beat schedule in-process. With ``CELERY_BROKER_URL`` set,
beat and workers are separate processes (see the README) and this only serves the web.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal on 127.0.0.1:8000 with the beat schedule running in-process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-beat", action="store_true", help="do not start embedded beat")

    def handle(self, *args, addrport: str, no_beat: bool, **options) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER and not no_beat:
            from celery import beat

            from api.site.celery import app

            # Register every app's tasks now: beat runs a task in-process only if it knows it
            # (an unknown name would be sent to a broker that does not exist here).
            app.loader.import_default_modules()
            service = beat.EmbeddedService(
                app, thread=True, schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME
            )
            service.start()
            self.stdout.write("Embedded beat started: periodic jobs run in this process.")
        call_command("runserver", addrport, use_reloader=False, use_threading=True)
