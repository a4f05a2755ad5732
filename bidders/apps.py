from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddersConfig(AppConfig):
    name = "bidders"
    verbose_name = _("Bidders")
