"""Print maps (issue 7): the park poster and the site brief, read back with pypdfium2."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pypdfium2 as pdfium
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from gis.errors import UnknownLayerError, ValidationError
from gis.maps import print as pm
from gis.maps.fonts import cjk_font, print_context
from gis.maps.palette import colour
from gis.matching.rules import RULE_NAMES

MM_PER_PT = 25.4 / 72


@pytest.fixture(scope="module")
def county():
    from layers.demo import DEMO_AS_OF, build_demo

    return build_demo(), DEMO_AS_OF


@pytest.fixture(scope="module")
def public_pdf(county):
    layers, day = county
    return pm.park_poster(layers, "KFQ-DY", as_of=day, contact="招商局 0571-12345678")


def pages_of(data: bytes) -> list:
    pdf = pdfium.PdfDocument(data)
    return [pdf[i] for i in range(len(pdf))]


def text_of(data: bytes) -> str:
    return "\n".join(p.get_textpage().get_text_range() for p in pages_of(data))


def size_mm(page) -> tuple[float, float]:
    w, h = page.get_size()
    return w * MM_PER_PT, h * MM_PER_PT


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


def share_near(img: np.ndarray, hex_colour: str, tol: int = 12) -> float:
    return float((np.abs(img[..., :3].astype(int) - rgb(hex_colour)).max(axis=-1) <= tol).mean())


# ------------------------------------------------------------------------------------------
# fonts
# ------------------------------------------------------------------------------------------
def test_cjk_font_found_in_mplfonts():
    font = cjk_font()
    assert "CJK" in font.family or "Han" in font.family or font.family == "SimHei"
    assert font.path.is_file() and "mplfonts" in str(font.path)


def test_chinese_text_renders_without_missing_glyph_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with print_context():
            fig = Figure(figsize=(3, 2))
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            ax.set_title("招商地块图 净地 区域评估 亩 — 1:20,000")
            ax.text(0.1, 0.5, "批而未供 储备 闲置收回 低效用地 变电站")
            buf = io.BytesIO()
            fig.savefig(buf, format="pdf")
            fig.savefig(io.BytesIO(), format="png")
    assert "批而未供" in text_of(buf.getvalue())


# ------------------------------------------------------------------------------------------
# scale bar
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("extent", "expected"), [
    (5_800, 1_000), (4_000, 500), (12_000, 2_000), (30, 5), (1_000_000, 200_000), (999, 100)])
def test_nice_scale_length(extent, expected):
    length = pm.nice_scale_length(extent)
    assert length == expected
    assert length <= extent * 0.2
    mantissa = length / 10 ** np.floor(np.log10(length))
    assert mantissa in (1, 2, 5)


def test_nice_scale_length_refuses_nonsense():
    with pytest.raises(ValidationError):
        pm.nice_scale_length(0)


def test_scale_bar_drawn_in_gk_metres(county):
    layers, _ = county
    crs = layers["zones"].crs
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_xlim(40_451_000, 40_457_000)
    ax.set_ylim(3_390_000, 3_395_000)
    bar = pm.draw_scale_bar(ax, crs)
    assert bar.length_m == 1000 and bar.label == "1 km"
    assert bar.drawn_length == pytest.approx(1000)  # data units are metres
    with pytest.raises(ValidationError):  # degrees would make a false bar
        pm.draw_scale_bar(ax, "EPSG:4326")
    with pytest.raises(ValidationError):
        pm.draw_scale_bar(ax, "EPSG:3857")


def test_poster_map_and_bar_are_in_the_workspace_crs(county):
    layers, day = county
    with print_context():
        poster = pm.build_park_poster(layers, "KFQ-DY", as_of=day, pages=False)
        try:
            assert poster.crs.to_epsg() == 4528
            x0, x1 = poster.map_ax.get_xlim()
            assert 40_400_000 < x0 < x1 < 40_500_000  # GK easting with the zone prefix
            assert poster.scale.drawn_length == pytest.approx(poster.scale.length_m)
            assert poster.scale.length_m == pm.nice_scale_length(x1 - x0)
        finally:
            poster.close()


# ------------------------------------------------------------------------------------------
# the poster
# ------------------------------------------------------------------------------------------
def test_public_poster_page_is_a3_landscape(public_pdf):
    w, h = size_mm(pages_of(public_pdf)[0])
    assert w == pytest.approx(420, abs=1) and h == pytest.approx(297, abs=1)


def test_a4_portrait_when_asked(county):
    layers, day = county
    data = pm.park_poster(layers, "KFQ-NY", as_of=day, paper="A4", orientation="portrait")
    for page in pages_of(data):
        w, h = size_mm(page)
        assert w == pytest.approx(210, abs=1) and h == pytest.approx(297, abs=1)
    assert "示范经济开发区南园招商地块图" in text_of(data)


def test_poster_title_and_subtitle_extractable(public_pdf):
    text = text_of(public_pdf)
    assert "示范经济开发区东园招商地块图" in text
    assert "2026-09-30" in text and "EPSG:4528" in text
    assert "招商联系" in text and "0571-12345678" in text
    assert "图例" in text and "储备" in text


def test_table_lists_the_reserve_parcels_of_the_park_with_their_mu(county, public_pdf):
    layers, day = county
    parcels = layers["parcels"]
    reserve = parcels[(parcels["status"] == "reserve") & (parcels["zone_id"] == "KFQ-DY")]
    mu = reserve.set_index("parcel_id").geometry.area * 3 / 2000
    text = text_of(public_pdf)
    land = pm.available_land(layers, "KFQ-DY", as_of=day)
    listed = land[land["candidate_id"].isin(mu.index)]
    assert set(listed["candidate_id"]) == set(mu.index)  # every reserve parcel of the park
    assert listed.set_index("candidate_id")["area_mu"].to_dict() == pytest.approx(
        mu[listed["candidate_id"]].to_dict())
    for pid in mu.index:
        assert pid in text
    for figure in land["area_mu"].map(lambda v: f"{v:.1f}"):
        assert figure in text
    assert set(land["source"]) == {"reserve", "unsupplied"}
    assert land["no"].tolist() == list(range(1, len(land) + 1))
    assert f"{len(land)} 宗" in text


def test_page_is_not_blank_and_shows_the_source_colours(public_pdf):
    img = np.asarray(pages_of(public_pdf)[0].render(scale=1).to_pil().convert("RGB"))
    not_white = (img < 240).any(axis=-1).mean()
    assert not_white > 0.05
    assert share_near(img, colour("source", "unsupplied")) > 0.01
    assert share_near(img, colour("source", "reserve")) > 0.002


def _confidential_names(layers) -> set[str]:
    names = set()
    for layer, fields in (("parcels", ("owner_name", "owner_credit_code")),
                          ("supplies", ("user_name", "user_credit_code"))):
        for f in fields:
            names |= set(layers[layer][f].dropna().astype(str))
    return {n for n in names if len(n) >= 4}


def test_public_poster_shows_no_owner_and_no_idle_land(county, public_pdf):
    layers, _ = county
    text = text_of(public_pdf)
    leaked = [n for n in _confidential_names(layers) if n in text]
    assert leaked == []
    assert "闲置" not in text and "低效" not in text


def test_internal_poster_may_show_idle_land(county):
    layers, day = county
    land = pm.available_land(layers, "KFQ-DY", as_of=day, audience="internal")
    assert {"idle", "low_efficiency"} <= set(land["source"])
    data = pm.park_poster(layers, "KFQ-DY", as_of=day, audience="internal", paper="A4")
    text = text_of(data)
    assert "闲置收回" in text and "低效用地" in text and "内部版" in text
    assert len(pages_of(data)) >= 2  # the long table goes on
    for pid in land["candidate_id"]:  # every row, first page or continuation
        assert pid in text


def test_png_has_the_pixel_size_of_the_dpi(county, tmp_path):
    layers, day = county
    out = tmp_path / "poster.png"
    data = pm.park_poster(layers, "KFQ-NY", as_of=day, paper="A4", fmt="png", dpi=72,
                          out=out)
    assert out.read_bytes() == data
    img = Image.open(io.BytesIO(data))
    assert img.size[0] == pytest.approx(297 / 25.4 * 72, abs=1)
    assert img.size[1] == pytest.approx(210 / 25.4 * 72, abs=1)


def test_unknown_zone_is_refused_in_chinese(county):
    layers, day = county
    with pytest.raises(ValidationError, match="未知园区编号") as err:
        pm.park_poster(layers, "KFQ-XX", as_of=day)
    assert isinstance(err.value, UnknownLayerError)  # a 404 for the API
    assert "KFQ-DY" in err.value.en


@pytest.mark.parametrize(("kw", "msg"), [({"paper": "B5"}, "纸张"),
                                         ({"orientation": "diagonal"}, "方向"),
                                         ({"audience": "everyone"}, "读者"),
                                         ({"fmt": "svg"}, "格式")])
def test_bad_options_refused(county, kw, msg):
    layers, day = county
    with pytest.raises(ValidationError, match=msg):
        pm.park_poster(layers, "KFQ-DY", as_of=day, **kw)


# ------------------------------------------------------------------------------------------
# the site brief
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def answer(county):
    from gis.matching import match, project_from_request

    layers, day = county
    project = project_from_request(project_id="XM2026002", projects=layers["projects"])
    return match(project, layers, as_of=day)


def test_site_brief_one_a4_page(county, answer):
    layers, day = county
    site = answer["sites"][0]
    data = pm.site_brief(site, answer["project"], layers, as_of=day)
    pages = pages_of(data)
    assert len(pages) == 1
    w, h = size_mm(pages[0])
    assert w == pytest.approx(210, abs=1) and h == pytest.approx(297, abs=1)
    text = text_of(data)
    assert answer["project"]["name"] in text
    assert site["site_id"] in text
    for pid in site["parcel_ids"]:
        assert pid in text
    assert f"{site['area_mu']:.2f}" in text and f"{site['net_area_mu']:.2f}" in text
    for rule in site["checks"]:
        assert RULE_NAMES[rule] in text
    assert "投资强度下限" in text and "亩均税收下限" in text  # 标准地 of the zoning under it
    assert "变电站" in text and "面积匹配" in text
    img = np.asarray(pages[0].render(scale=1).to_pil().convert("RGB"))
    r, g, b = (img[..., i].astype(int) for i in range(3))
    assert ((r > g + 40) & (r > b + 40)).mean() > 0.005  # the site, filled in the site red
