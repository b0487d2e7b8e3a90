"""Chinese headers map to catalogue fields; units in headers are converted."""

import pandas as pd
import pytest

from gis.io.headers import map_headers, normalize_header
from layers import catalogue


def test_aliases_are_unique_within_each_layer():
    for name, layer in catalogue.items():
        seen = {}
        for f in layer.fields:
            for text in (f.name, f.zh, f.en, *f.aliases):
                key = normalize_header(text)
                assert seen.setdefault(key, f.name) == f.name, (name, text)


def test_full_width_and_spaces_normalised():
    assert normalize_header("宗地编号 ") == normalize_header("宗地编号")
    assert normalize_header("ＰＡＲＣＥＬ＿ＩＤ") == "parcel_id"


def test_enterprise_table_headers():
    cols = ["统一社会信用代码", "企业名称", "实缴税金", "工业增加值", "综合能耗", "年度", "序号"]
    df, notes, factors = map_headers(pd.DataFrame(columns=cols), catalogue["enterprises"])
    assert list(df.columns) == ["credit_code", "name", "tax_wan", "value_added_wan",
                                "energy_tce", "year", "序号"]
    assert [n.code for n in notes] == ["header.unmapped"]
    assert factors == {}


@pytest.mark.parametrize(
    ("header", "field", "factor"),
    [("实缴税金（元）", "tax_wan", 1e-4), ("用电量(万千瓦时)", "electricity_kwh", 1e4),
     ("用地面积(公顷)", "land_area_m2", 1e4), ("用地面积（亩）", "land_area_m2", 2000 / 3)],
)
def test_units_in_headers(header, field, factor):
    df, notes, factors = map_headers(pd.DataFrame(columns=[header]), catalogue["enterprises"])
    assert list(df.columns) == [field]
    assert factors[field] == pytest.approx(factor)
    assert notes[0].code == "header.unit_converted"


def test_need_in_hectares_converted_to_mu():
    df, _, factors = map_headers(pd.DataFrame(columns=["需地下限（公顷）"]), catalogue["projects"])
    assert list(df.columns) == ["need_mu_min"] and factors["need_mu_min"] == 15


def test_dideng_own_headers_map_back():
    layer = catalogue["supplies"]
    headers = [f.header for f in layer.fields]
    df, notes, _ = map_headers(pd.DataFrame(columns=headers), layer)
    assert list(df.columns) == list(layer.field_names)
    assert notes == []


def test_second_column_for_same_field_is_kept_not_merged():
    df, notes, _ = map_headers(pd.DataFrame(columns=["出让价款", "成交价款"]), catalogue["supplies"])
    assert list(df.columns) == ["price_wan", "成交价款"]
    assert notes[0].code == "header.duplicate"


def test_field_names_cut_at_the_dbf_limit_are_recognised():
    # 用地用海分类 is 12 bytes in GBK; a DBF keeps 10: 用地用海分
    df, notes, _ = map_headers(pd.DataFrame(columns=["宗地编号", "用地用海分"]),
                               catalogue["parcels"])
    assert list(df.columns) == ["parcel_id", "land_use"]
    assert [n.code for n in notes] == ["header.truncated"]
    # a short header is not a truncation: 用地 starts several labels and is left alone
    df, notes, _ = map_headers(pd.DataFrame(columns=["用地"]), catalogue["parcels"])
    assert list(df.columns) == ["用地"]
