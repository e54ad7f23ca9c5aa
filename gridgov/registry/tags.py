"""The standard tags: key persons (重点人员) and people needing care (关爱对象), with their visit frequencies.

Seeded by migration 0002 and by the demo; the system administrator edits them in the admin afterwards, so seeding
never overwrites a tag that already exists.
"""

from gridgov.registry.choices import TagGroup

# code, name, group, visit every N days (0: none required by the tag)
STANDARD_TAGS = [
    ("K01", "社区矫正", TagGroup.KEY, 30),
    ("K02", "刑满释放", TagGroup.KEY, 30),
    ("K03", "严重精神障碍", TagGroup.KEY, 30),
    ("K04", "吸毒人员", TagGroup.KEY, 30),
    ("K05", "重点青少年", TagGroup.KEY, 30),
    ("K06", "信访重点", TagGroup.KEY, 30),
    ("K07", "邪教人员", TagGroup.KEY, 30),
    ("C01", "独居老人", TagGroup.CARE, 14),
    ("C02", "空巢老人", TagGroup.CARE, 30),
    ("C03", "残疾人", TagGroup.CARE, 30),
    ("C04", "低保户", TagGroup.CARE, 30),
    ("C05", "留守儿童", TagGroup.CARE, 30),
]


def tags_seed(tag_model=None) -> int:
    """Create the standard tags that are missing; returns how many were created. ``tag_model`` lets a migration
    pass its historical model."""
    if tag_model is None:
        from gridgov.registry.models import Tag as tag_model
    existing = set(tag_model.objects.values_list("code", flat=True))
    new = [tag_model(code=code, name=name, group=str(group), visit_every_days=days, sort_order=i)
           for i, (code, name, group, days) in enumerate(STANDARD_TAGS) if code not in existing]
    tag_model.objects.bulk_create(new)
    return len(new)
