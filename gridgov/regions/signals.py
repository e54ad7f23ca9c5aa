"""Keep the in-process spatial index in step with the grids: rebuild after any committed change."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from gridgov.regions.index import geo_index
from gridgov.regions.models import LayerGrid, Region


def _invalidate(**kwargs):
    transaction.on_commit(geo_index.invalidate)


for _model in (Region, LayerGrid):
    post_save.connect(_invalidate, sender=_model, dispatch_uid=f"geoindex-save-{_model.__name__}")
    post_delete.connect(_invalidate, sender=_model, dispatch_uid=f"geoindex-delete-{_model.__name__}")
