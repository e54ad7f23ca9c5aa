from django.db import models
from django.utils.translation import gettext_lazy as _


class Residence(models.TextChoices):
    REGISTERED = "registered", _("registered resident")
    FLOATING = "floating", _("floating population")
    OVERSEAS = "overseas", _("overseas person")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("resident identity card")
    PASSPORT = "passport", _("passport")
    HK_MACAO_TW = "hmt_permit", _("Hong Kong / Macao / Taiwan permit")
    FOREIGNER_PR = "foreign_pr", _("foreigner's permanent residence card")
    OTHER = "other", _("other document")


class Gender(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")
    UNKNOWN = "unknown", _("unknown")


class RevealPurpose(models.TextChoices):
    """Why someone needs a clear ID number or phone (the reveal's purpose, kept in the audit row)."""

    HOME_CHECK = "home_check", _("home check")               # 入户核查
    DISPUTE = "dispute", _("dispute mediation")              # 矛盾调处
    CASE = "case", _("case handling")                        # 案件办理
    VISIT = "visit", _("visit and care")                     # 走访慰问
    SPECIAL_CARE = "special_care", _("help for special groups")  # 特殊人群帮扶
    OTHER = "other", _("other")                              # 其他: the text is required


class TagGroup(models.TextChoices):
    KEY = "key", _("key person")          # 重点人员: visible only to roles that need them
    CARE = "care", _("person needing care")  # 关爱对象
    OTHER = "other", _("other")


class HouseUse(models.TextChoices):
    SELF = "self", _("lived in by the owner")
    RENTED = "rented", _("rented out")
    VACANT = "vacant", _("vacant")
    BUSINESS = "business", _("business use")
    OTHER = "other", _("other")


class Rental(models.TextChoices):
    NONE = "none", _("not rented")
    WHOLE = "whole", _("rented whole")
    SHARED = "shared", _("rented by rooms")
    GROUP = "group", _("group rental (群租)")


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    SHOP = "shop", _("shop / individual business")
    GOVERNMENT = "government", _("government body or public institution")
    SCHOOL = "school", _("school / kindergarten")
    HOSPITAL = "hospital", _("hospital / clinic")
    OTHER = "other", _("other")


class OrgKind(models.TextChoices):
    ASSOCIATION = "association", _("social association")
    FOUNDATION = "foundation", _("foundation")
    NON_PROFIT = "non_profit", _("private non-enterprise unit")
    COMMUNITY = "community", _("community social organisation")
    VOLUNTEER = "volunteer", _("volunteer team")
    OTHER = "other", _("other")


class ImportKind(models.TextChoices):
    PEOPLE = "people", _("people")
    HOUSES = "houses", _("houses")
    HOUSEHOLDS = "households", _("households")
    UNITS = "units", _("units and enterprises")
    ORGANISATIONS = "organisations", _("social organisations")


class ImportMode(models.TextChoices):
    VALID_ROWS = "valid_rows", _("apply the valid rows")
    ALL_OR_NOTHING = "all_or_nothing", _("all or nothing")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    REFUSED = "refused", _("refused (nothing applied)")
    FAILED = "failed", _("failed")
