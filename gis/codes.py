"""Checks of the codes that arrive in bureau data.

- 统一社会信用代码 (GB 32100-2015): 18 characters, mod-31 check digit, with the embedded
  9-character 组织机构代码 (GB 11714) carrying its own mod-11 check (DOMAIN.md §8.4).
- 用地用海分类 2023 codes (layers/codes/landuse_2023.csv), with GB 50137 letters mapped.
- GB/T 4754-2017 industry codes (2–4 digits, optional section letter).

Examples
--------
>>> credit_code_problem("91350200776049653A") is None
True
>>> credit_code_check_char("91350200776049653")
'A'
>>> normalize_land_use("M2")
('100102', 'legacy')
>>> normalize_industry_code("C3011")
'3011'
"""

from __future__ import annotations

from layers import industry_divisions, land_use_codes, legacy_land_use

__all__ = [
    "CREDIT_CHARS",
    "credit_code_check_char",
    "credit_code_problem",
    "land_use_class",
    "normalize_industry_code",
    "normalize_land_use",
    "org_code_check_char",
]

#: the 31 symbols of the credit code (no I, O, S, V, Z), valued 0–30 in this order
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARS)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17 of a 统一社会信用代码."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """The 9th character of a 组织机构代码 (digits and A–Z valued 0–35, mod 11)."""
    total = sum(int(c, 36) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def credit_code_problem(code: str) -> tuple[str, str] | None:
    """None when ``code`` is a valid 统一社会信用代码, else (zh, en) saying what is wrong."""
    if len(code) != 18:
        return (
            f"统一社会信用代码应为 18 位，实为 {len(code)} 位",
            f"a credit code has 18 characters, this one has {len(code)}",
        )
    if bad := sorted({c for c in code if c not in _CREDIT_VALUE}):
        return (
            f"统一社会信用代码含非法字符 {''.join(bad)}（不使用 I、O、S、V、Z）",
            f"credit code contains invalid characters {''.join(bad)} (I, O, S, V, Z are unused)",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return (
            f"统一社会信用代码校验位错误：应为 {expected}，实为 {code[17]}",
            f"credit code check digit is wrong: expected {expected}, got {code[17]}",
        )
    org = code[8:17]
    if org[:8].isalnum() and org_code_check_char(org[:8]) != org[8]:
        return (
            f"内含的组织机构代码 {org} 校验位错误（应为 {org_code_check_char(org[:8])}）",
            f"the embedded organisation code {org} has a wrong check digit "
            f"(expected {org_code_check_char(org[:8])})",
        )
    return None


def normalize_land_use(code: str) -> tuple[str, str] | None:
    """Map a land-use code to a 2023 code: (code, 'ok' | 'legacy'), None when unknown.

    Accepts 2023 codes (0101, 100102, …) and GB 50137-2011 letters (M1, W2, …). A code that
    lost its leading zero in a spreadsheet (101 for 0101) is not guessed: it is unknown.
    """
    code = code.strip().upper()
    if code in land_use_codes:
        return code, "ok"
    if code in legacy_land_use:
        return legacy_land_use[code], "legacy"
    return None


def land_use_class(code: str) -> str:
    """The first-level class (两位) of a 2023 code: '100102' → '10'."""
    return code[:2]


def normalize_industry_code(code: str) -> str | None:
    """A GB/T 4754-2017 code as 2–4 digits (section letter dropped), None when unknown."""
    code = code.strip().upper()
    if code[:1].isalpha():
        code = code[1:]
    if not code.isdigit() or len(code) not in (2, 3, 4):
        return None
    return code if code[:2] in industry_divisions else None
