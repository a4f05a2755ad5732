from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    """Open data: the OCDS releases (its one table, written only by its projector), the
    projector's task and command, the feed and the record pages."""

    name = "api.opendata"
    label = "opendata"
    verbose_name = _("Open data")
