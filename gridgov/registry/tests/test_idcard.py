import datetime as dt

import pytest
from django.utils import translation

from gridgov.registry.idcard import (
    birth_date_and_gender,
    check_digit,
    id_hash,
    id_number_error,
    normalize_id,
)

# GB 11643-1999's own worked example: 11010519491231002X
VALID = ["11010519491231002X", "440306199003071234"[:17] + check_digit("44030619900307123")]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_pass(number):
    assert id_number_error(number) is None


def test_standard_example_check_digit():
    assert check_digit("11010519491231002") == "X"


@pytest.mark.parametrize("number,fragment", [
    ("11010519491231002", "18"),            # too short
    ("110105194912310021", "check digit"),  # wrong check digit
    ("99010519491231002X", "province"),     # no such province
    ("110105194913310025", "date"),         # month 13
    ("110105230012310021", "possible"),     # born in 2300
])
def test_invalid_numbers_say_why(number, fragment):
    with translation.override("en"):
        error = id_number_error(number, today=dt.date(2026, 11, 22))
    assert error is not None and fragment in error


def test_birth_date_gender_and_hash_normalisation(settings):
    assert birth_date_and_gender("11010519491231002X") == (dt.date(1949, 12, 31), "female")
    assert normalize_id("resident_id", " 11010519491231002x ") == "11010519491231002X"
    assert id_hash("resident_id", "11010519491231002x") == id_hash("resident_id", "11010519491231002X")
    assert id_hash("resident_id", "11010519491231002X") != id_hash("passport", "11010519491231002X")
