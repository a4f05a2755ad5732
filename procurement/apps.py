from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    name = "procurement"
    verbose_name = _("Platform kernel")

    def ready(self) -> None:
        # Bind shared tasks to the project's Celery app in every process that loads Django.
        from procurement.celery import app  # noqa: F401
