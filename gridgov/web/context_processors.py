from django.conf import settings


def platform(request):
    return {"GRIDGOV_TILE_URL": settings.GRIDGOV_TILE_URL, "GRIDGOV_TILE_ATTRIBUTION": settings.GRIDGOV_TILE_ATTRIBUTION}
