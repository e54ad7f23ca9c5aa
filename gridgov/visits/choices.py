from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitPurpose(models.TextChoices):
    ROUTINE = "routine", _("routine household visit")
    KEY_PERSON = "key_person", _("key person follow-up")
    CARE = "care", _("care visit")
    DISPUTE = "dispute", _("dispute follow-up")
    SAFETY = "safety", _("safety check")
    OTHER = "other", _("other")
