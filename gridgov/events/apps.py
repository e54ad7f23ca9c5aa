from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "gridgov.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self):
        from gridgov.events import notifications  # noqa: F401  (registers the events' outbox handlers)
        from gridgov.events.routing import connect_invalidation

        connect_invalidation()
