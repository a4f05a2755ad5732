from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """An app only so that its commands (``load_demo``, ``serve``) and task are found."""

    name = "api.site"
    label = "site"
    verbose_name = _("Project shell")

    def ready(self) -> None:
        # Bind shared tasks to the project's Celery app in every process that loads Django.
        from api.site.celery import app  # noqa: F401
