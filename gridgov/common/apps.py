from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "gridgov.common"
    label = "common"
    verbose_name = _("Common")

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from gridgov.common import calendar
        from gridgov.common.models import CalendarDay, CalendarYear

        calendar.office_hours()  # a malformed GRIDGOV_OFFICE_HOURS stops the start-up (ImproperlyConfigured)

        def calendar_changed(sender, **kwargs):
            transaction.on_commit(calendar.clear_cache, using=kwargs.get("using"))

        for model in (CalendarDay, CalendarYear):
            for signal, name in ((post_save, "save"), (post_delete, "delete")):  # weak=False: a local function
                signal.connect(calendar_changed, sender=model, weak=False,
                               dispatch_uid=f"calendar_cache_{model.__name__}_{name}")
