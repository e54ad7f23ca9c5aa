from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("Accounts and departments")

    def ready(self):
        from gridgov.accounts import signals  # noqa: F401  (login auditing)
