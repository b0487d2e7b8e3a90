"""The interactive maps: groups, legends, counts, escaping, masking, sizes, tiles."""

from __future__ import annotations

import json
import re

import folium
import numpy as np
import pytest

from gis.access import Role
from gis.errors import UnknownFeatureError, ValidationError
from gis.maps.interactive import cleanup_map, match_map, park_map, permu_map
from tests.maps.conftest import ESCAPED, PAYLOAD, RAW, coords_of, groups, html_of

OFF = {"basemap": "none"}


def control_and_legend(m: folium.Map) -> str:
    html = html_of(m)
    assert "L.control.layers" in html
    assert 'id="dd-legend"' in html
    return html


def test_cleanup_map_groups_counts_legend(demo):
    r = demo.cleanup
    m = cleanup_map(r, demo.layers, **OFF)
    g = groups(m)
    assert len(g["闲置土地 Idle land"]) == len(r.idle)
    assert len(g["即将闲置预警 Watch list"]) == len(r.watch)
    usable = r.unsupplied.pieces["usable"].astype(bool)
    assert len(g["批而未供地块（可供应）Unsupplied pieces, usable"]) == usable.sum()
    assert len(g["批而未供地块（不可供应）Unsupplied pieces, unusable"]) == (~usable).sum()
    assert len(g["低效用地 Low-efficiency land"]) == len(r.low_efficiency)
    assert {"管控约束 Constraints", "道路 Roads", "配套设施 Facilities",
            "开发区与园区 Zones"} <= set(g)
    html = control_and_legend(m)
    for text in ("三清图", "无偿收回 take back", "征缴土地闲置费", "容积率低于下限", "可供应 usable"):
        assert text in html
    # idle coloured by action, low-efficiency by first reason (palette colours)
    idle = g["闲置土地 Idle land"]
    by_action = dict(zip(r.idle["action"], [f["properties"]["style"]["fillColor"] for f in idle],
                         strict=True))
    assert by_action["take_back"] == "#c0392b"


def test_cleanup_popup_has_chinese_labels_and_code_labels(demo):
    g = groups(cleanup_map(demo.cleanup, demo.layers, **OFF))
    pop = g["闲置土地 Idle land"][0]["properties"]["pop"]
    assert "供应编号" in pop or "宗地编号" in pop
    assert "闲置面积" in pop or "面积（亩）" in pop
    assert any(t in pop for t in ("征缴土地闲置费", "无偿收回", "协商处置"))
    assert "土地闲置费（万元）" in pop
    low = g["低效用地 Low-efficiency land"][0]["properties"]["pop"]
    assert "低效原因" in low and "亩均税收（万元/亩）" in low
    # only allow-listed fields: never the credit code
    assert "统一社会信用代码" not in low


def test_permu_map(demo):
    e = demo.evaluation
    m = permu_map(e, demo.layers, **OFF)
    g = groups(m)
    assert len(g["亩均评价等级 Per-mu class"]) == len(e.permu.parcels)
    html = control_and_legend(m)
    assert "A 类（优先发展）" in html and "未评价 not rated" in html
    classes = e.permu.parcels["owner_class"].fillna("none")
    fills = [f["properties"]["style"]["fillColor"] for f in g["亩均评价等级 Per-mu class"]]
    palette = {"A": "#1a9850", "B": "#91cf60", "C": "#fee08b", "D": "#d73027", "none": "#bdbdbd"}
    assert fills == [palette[c] for c in classes]
    zone_pop = g["开发区集约利用 Zone indicators"][0]["properties"]["pop"]
    assert "开发区名称" in zone_pop or "名称" in zone_pop


def test_match_map(demo):
    a = demo.answer
    m = match_map(a, demo.with_results, **OFF)
    g = groups(m)
    assert len(g["候选地块 Candidate sites"]) == len(a["sites"])
    parcels = {p for s in a["sites"] for p in s["parcel_ids"]}
    assert len(g["组成宗地 Component parcels"]) == len(parcels)
    assert len(g["落选地块 Near misses"]) == len({x["parcel_id"] for x in a["excluded"]})
    html = control_and_legend(m)
    assert "地等项目" in html and a["project"]["name"] in html
    # the rank numbers are on the map
    icons = [c for g in m._children.values() for c in g._children.values()
             if isinstance(c, folium.Marker)]
    ranks = [re.search(r">(\d+)<", c.icon.options["html"]).group(1) for c in icons]
    assert sorted(map(int, ranks)) == [s["rank"] for s in a["sites"]]
    first = g["候选地块 Candidate sites"][0]["properties"]["pop"]
    assert "得分 score" in first and a["sites"][0]["site_id"] in first
    miss = g["落选地块 Near misses"][0]["properties"]["pop"]
    assert "落选原因" in miss
    grey = g["落选地块 Near misses"][0]["properties"]["style"]["fillColor"]
    assert grey == "#9e9e9e"


def test_public_park_map_has_no_confidential_values(demo):
    layers = demo.with_results
    m = park_map(layers, "KFQ-DY", **OFF)  # public by default
    g = groups(m)
    html = html_of(m)
    parcels = layers["parcels"]
    reserve = parcels[(parcels.status == "reserve") & (parcels.zone_id == "KFQ-DY")]
    assert len(g["储备用地 Reserve land"]) == len(reserve)
    pieces = layers["unsupplied_pieces"]
    assert len(g["可供应批而未供地块 Usable unsupplied land"]) == int(
        (pieces.usable.astype(bool) & (pieces.zone_id == "KFQ-DY")).sum())
    assert not any("内部" in name for name in g)
    assert "管控约束 Constraints" not in g  # closed to the public
    # no owner names, credit codes or tax anywhere in the page
    owners = set(parcels["owner_name"].dropna()) | set(parcels["owner_credit_code"].dropna())
    owners |= set(demo.layers["enterprises"]["name"].dropna())
    leaked = [o for o in owners if str(o) in html]
    assert leaked == []
    for label in ("权利人", "信用代码", "税收", "亩均"):
        assert label not in html
    # reserve popups show the allowed fields, in Chinese
    pop = g["储备用地 Reserve land"][0]["properties"]["pop"]
    assert "宗地编号" in pop and "用地用海分类" in pop


def test_planner_park_map_is_internal(demo):
    g = groups(park_map(demo.with_results, "KFQ", role=Role.planner, **OFF))
    assert any("内部" in name for name in g)
    reserve = demo.layers["parcels"]
    n = ((reserve.status == "reserve") & reserve.zone_id.isin(
        ["KFQ", "KFQ-DY", "KFQ-XY", "KFQ-NY"])).sum()
    assert len(g["储备用地 Reserve land"]) == n


def test_unknown_zone_and_bad_basemap(demo):
    with pytest.raises(UnknownFeatureError):
        park_map(demo.layers, "NOPE", **OFF)
    with pytest.raises(ValidationError, match="底图"):
        park_map(demo.layers, "KFQ", basemap="google")
    with pytest.raises(ValidationError, match="Tianditu"):
        park_map(demo.layers, "KFQ", basemap="tianditu_vec")


@pytest.mark.parametrize("make", ["cleanup", "permu", "match", "park"])
def test_payload_is_only_ever_escaped(poisoned, make):
    p = poisoned
    m = {"cleanup": lambda: cleanup_map(p.cleanup, p.layers, **OFF),
         "permu": lambda: permu_map(p.evaluation, p.layers, **OFF),
         "match": lambda: match_map(p.answer, p.with_results, **OFF),
         "park": lambda: park_map(p.with_results, "KFQ-DY", role=Role.planner, **OFF)}[make]()
    html = html_of(m)
    assert RAW not in html
    assert "onerror=alert(1)>" not in html.replace("&gt;", "")  # no raw closing either
    # the payload is shown escaped: in the page (legend, title) or in the features' HTML
    shown = [f["properties"][k] for fs in groups(m).values() for f in fs for k in ("tip", "pop")]
    assert any(ESCAPED in s for s in shown) or ESCAPED in html
    assert not any(PAYLOAD in s for s in shown)


def test_payload_in_titles_escaped(poisoned):
    html = html_of(match_map(poisoned.answer, poisoned.with_results, **OFF))
    assert f"地等项目 {ESCAPED}" in html  # the page title and legend
    assert RAW not in html


def test_simplified_and_rounded(demo):
    m = cleanup_map(demo.cleanup, demo.layers, **OFF)
    feats = groups(m)["低效用地 Low-efficiency land"]
    coords = coords_of(feats)
    decimals = [len(str(c).split(".")[1]) for xy in coords for c in xy if "." in str(c)]
    assert max(decimals) <= 6
    n_raw = sum(len(np.asarray(g.exterior.coords)) if g.geom_type == "Polygon" else
                sum(len(p.exterior.coords) for p in g.geoms)
                for g in demo.cleanup.low_efficiency.geometry)
    assert len(coords) <= n_raw
    # only the shown HTML and the style travel, never the raw attributes
    assert set(feats[0]["properties"]) == {"tip", "pop", "style"}


def test_large_layer_fetched_by_bbox(demo):
    m = permu_map(demo.evaluation, demo.layers, api_url="/", static_url="/maps/static",
                  inline_limit=100, **OFF)
    g = groups(m)
    assert g["亩均评价等级 Per-mu class"] == []  # not inlined
    html = html_of(m)
    assert '/collections/permu_parcels/items' in html
    assert 'map.on("moveend", load)' in html
    assert "function esc(s)" in html  # values escaped in the browser too
    assert '<script src="/maps/static/leaflet/leaflet.js">' in html


def tiles(m: folium.Map) -> list[tuple[str, str]]:
    return [(c.tiles, c.options.get("attribution", "")) for c in m._children.values()
            if isinstance(c, folium.TileLayer)]


def test_tile_urls_and_attribution(demo):
    layers = demo.with_results
    osm = tiles(park_map(layers, "KFQ", basemap="osm"))
    assert osm == [("https://tile.openstreetmap.org/{z}/{x}/{y}.png", osm[0][1])]
    assert "OpenStreetMap" in osm[0][1]
    tdt = tiles(park_map(layers, "KFQ", basemap="tianditu_img", tianditu_key="abc123"))
    assert [u.split("tianditu.gov.cn/")[1][:6] for u, _ in tdt] == ["img_w/", "cia_w/"]
    assert all(u.startswith("https://t{s}.") and u.endswith("&tk=abc123") for u, _ in tdt)
    assert all("天地图" in a for _, a in tdt)
    vec = tiles(park_map(layers, "KFQ", basemap="tianditu_vec", tianditu_key="abc123"))
    assert ["LAYER=vec" in vec[0][0], "LAYER=cva" in vec[1][0]] == [True, True]
    amap = tiles(park_map(layers, "KFQ", basemap="amap"))
    assert "is.autonavi.com/appmaptile" in amap[0][0] and "高德（GCJ-02）" in amap[0][1]
    assert tiles(park_map(layers, "KFQ", basemap="none")) == []
    # and the URL template reaches the page (JSON-escaped by folium)
    html = html_of(park_map(layers, "KFQ", basemap="tianditu_vec", tianditu_key="abc123"))
    assert "tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS" in html and "abc123" in html


def test_offline_page_needs_no_network(demo):
    html = html_of(park_map(demo.with_results, "KFQ", basemap="none"))
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs == []  # everything inline
    assert "Leaflet 1.9.4" in html or "1.9.4" in html
    for cdn in ("jquery", "bootstrap", "awesome-markers", "cdn.jsdelivr"):
        assert cdn not in html.lower()
    json.dumps(html)  # a plain string


def test_a_layer_with_no_rows_keeps_its_group_and_renders():
    """An analysis day with nothing idle still gives a map (folium refuses a tooltip on an
    empty layer; the group and its legend stay)."""
    from gis.cleanup import cleanup
    from gis.maps.interactive import cleanup_map
    from layers.demo import build_demo

    layers = build_demo()
    result = cleanup(layers, "1990-01-01")
    assert len(result.idle) == 0
    html = cleanup_map(result, layers, basemap="none").get_root().render()
    assert "闲置" in html
