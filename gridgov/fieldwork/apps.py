from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "gridgov.fieldwork"
    label = "fieldwork"
    verbose_name = _("Patrols")

    def ready(self):
        from gridgov.common.outbox import register
        from gridgov.fieldwork import services

        register(services.DAY_TOPIC, services.patrol_day_deliver)  # the daily summary, recomputed after an ingest
