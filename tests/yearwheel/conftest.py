import pytest

from tests.yearwheel.data import seed_year


@pytest.fixture
def seeded_year(db):
    return seed_year()
