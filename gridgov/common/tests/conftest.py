import pytest

from gridgov.common import calendar


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Test transactions are rolled back, never committed: forget calendar years cached from rows that vanish."""
    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture
def empty_outbox(db):
    """The outbox tests count and list messages: they start from an empty outbox (the demo's three months of
    history leave their delivered notices behind), inside the test's transaction."""
    from gridgov.common.models import OutboxMessage

    OutboxMessage.objects.all().delete()
