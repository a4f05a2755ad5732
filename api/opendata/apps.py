from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenDataConfig(AppConfig):
    """Open data: an app only so that its projector task and command are found; its one table
    (``tenders.OcdsRelease``) belongs to the tenders it describes."""

    name = "api.opendata"
    label = "opendata"
    verbose_name = _("Open data")
