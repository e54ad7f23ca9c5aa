import datetime as dt
import itertools

import pytest

from gridgov.registry.idcard import check_digit

_seq = itertools.count(1)


def new_id(area: str = "440306", born: dt.date = dt.date(1985, 6, 15), male: bool = True) -> str:
    """A valid identity number not used by the demo (demo people are born 1940–2020 with random sequences; these
    use sequence numbers from 900 up with the gender digit chosen)."""
    n = next(_seq)
    seq = 900 + (n * 2) % 99  # 900..998
    seq = seq - (seq % 2) + (1 if male else 0)
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


@pytest.fixture
def grid_a(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_a").grids.get()


@pytest.fixture
def grid_b(db):
    from gridgov.accounts.models import User

    return User.objects.get(username="worker_b").grids.get()


@pytest.fixture
def person_a(grid_a):
    """A demo person in grid A who carries a key-person tag (every demo grid has one)."""
    from gridgov.registry.models import Person

    return Person.objects.filter(grid=grid_a, person_tags__tag__group="key").first()
