"""Code checks: 统一社会信用代码 (GB 32100-2015), land-use 2023 codes, GB/T 4754-2017."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gis.codes import (
    CREDIT_CHARS,
    credit_code_check_char,
    credit_code_problem,
    normalize_industry_code,
    normalize_land_use,
    org_code_check_char,
)


@pytest.mark.parametrize(
    "code", ["91350200776049653A", "91440101MA5CJQ4N59", "913502000728319549"]
)
def test_valid_credit_codes_from_domain(code):
    assert credit_code_problem(code) is None


def test_invalid_credit_codes_say_why():
    # DOMAIN §8.4: a public validator special-cases this one; the check digit is 9, not B
    zh, en = credit_code_problem("91350203M0001QAY9B")
    assert "应为 9" in zh and "expected 9" in en
    assert "18" in credit_code_problem("9135020077604965")[0]
    zh, _ = credit_code_problem("91350200776049653I")
    assert "I" in zh


def test_check_digit_by_hand():
    # C18 = 31 − (Σ value×weight mod 31); the known check character is 'A' (value 10),
    # so for this code Σ mod 31 must be 21
    first17 = "91350200776049653"
    weights = [pow(3, i, 31) for i in range(17)]
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, weights, strict=True))
    assert total % 31 == 21
    assert credit_code_check_char(first17) == CREDIT_CHARS[31 - 21] == "A"


def test_org_code_check():
    # 77604965-3 embedded in 91350200776049653A
    assert org_code_check_char("77604965") == "3"


@given(st.text(alphabet=CREDIT_CHARS, min_size=17, max_size=17))
def test_generated_check_digit_validates_and_any_other_fails(first17):
    code = first17 + credit_code_check_char(first17)
    problem = credit_code_problem(code)
    # the embedded org code may legitimately fail its own mod-11 check for random text
    assert problem is None or "组织机构代码" in problem[0]
    wrong = next(c for c in CREDIT_CHARS if c != code[17])
    assert credit_code_problem(first17 + wrong) is not None


def test_land_use_codes():
    assert normalize_land_use("100102") == ("100102", "ok")
    assert normalize_land_use("0101") == ("0101", "ok")
    assert normalize_land_use(" m3 ") == ("100103", "legacy")
    assert normalize_land_use("W1") == ("110101", "legacy")
    assert normalize_land_use("101") is None  # 0101 that lost its zero is not guessed
    assert normalize_land_use("9999") is None


def test_industry_codes():
    assert normalize_industry_code("3411") == "3411"
    assert normalize_industry_code("C3411") == "3411"
    assert normalize_industry_code("36") == "36"
    assert normalize_industry_code("98") is None
    assert normalize_industry_code("34111") is None
