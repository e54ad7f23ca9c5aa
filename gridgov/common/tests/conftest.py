import pytest

from gridgov.common import calendar


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Test transactions are rolled back, never committed: forget calendar years cached from rows that vanish."""
    calendar.clear_cache()
    yield
    calendar.clear_cache()
