from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "gridgov.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self):
        from gridgov.common.outbox import register
        from gridgov.events import hotline, notifications, services
        from gridgov.events.routing import connect_invalidation

        register(notifications.ASSIGNED, notifications.deliver_assigned)  # notices to the departments' handlers
        register(notifications.SUPERVISED, notifications.deliver_supervised)
        register(notifications.HOTLINE_CALLBACK, hotline.hotline_callback_send)  # 12345 result callbacks
        register(services.PHOTO_PRUNE, services.photo_prune_handle, hourly=True)  # photos never attached
        connect_invalidation()
