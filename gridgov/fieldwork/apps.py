from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "gridgov.fieldwork"
    label = "fieldwork"
    verbose_name = _("Patrols")

    def ready(self):
        from gridgov.fieldwork import services  # noqa: F401  (registers the patrol-day recompute outbox handler)
