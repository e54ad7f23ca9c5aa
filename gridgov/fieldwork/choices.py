from django.db import models
from django.utils.translation import gettext_lazy as _


class PatrolKind(models.TextChoices):
    DAILY = "daily", _("daily patrol (日巡查)")
    MONTHLY = "monthly", _("monthly check (月排查)")
    QUARTERLY = "quarterly", _("quarterly joint check (季度联查)")


class AnomalyKind(models.TextChoices):
    IMPOSSIBLE_SPEED = "impossible_speed", _("impossible speed or jump")
    NO_MOVEMENT = "no_movement", _("patrol that never moves")
    COPIED_TRACK = "copied_track", _("track copied from another day")
    OUTSIDE_GRID = "outside_grid", _("patrol outside the worker's grids")
    MONTH_END_BURST = "month_end_burst", _("month-end burst of reports or visits")
    QUICK_MEDIATION = "quick_mediation", _("many disputes mediated within an hour")


class AnomalyStatus(models.TextChoices):
    OPEN = "open", _("open")
    CONFIRMED = "confirmed", _("confirmed")
    DISMISSED = "dismissed", _("dismissed")
