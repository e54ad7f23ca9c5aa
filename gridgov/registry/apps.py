from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    label = "registry"
    verbose_name = _("Base data (people, houses, units)")

    def ready(self):
        from gridgov.common.outbox import register
        from gridgov.registry import imports

        register(imports.TOPIC, imports.import_job_handle)  # Excel imports run by `gridgov worker`
