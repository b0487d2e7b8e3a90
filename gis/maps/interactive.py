"""Interactive web maps (folium/Leaflet) of the clean-ups, the evaluation, a match and a park.

Four functions, each returning a :class:`folium.Map`:

* :func:`cleanup_map` — 闲置 by proposed action, 批而未供 pieces usable/unusable, 低效 by reason;
* :func:`permu_map` — the 亩均 class choropleth over ``permu_parcels`` and the zone indicators;
* :func:`match_map` — the candidate sites numbered by rank with their parcels, the near-misses;
* :func:`park_map` — a park's available land for promotion (public mask by default).

Every map has one ``FeatureGroup`` per thematic layer, a layer control and a legend in Chinese
(English beside). Colours and code labels come from :mod:`gis.maps.palette`; what the public may
see from :func:`gis.access.mask` only.

Safety: folium's ``GeoJsonTooltip``/``GeoJsonPopup`` insert property values as live HTML. So the
tooltip and popup of every feature are built here, from an allow-list of fields per layer, with
every value, label and name passed through :func:`html.escape`; features carry only that
pre-escaped HTML (``tip``, ``pop``) and their style — no raw attribute reaches the page. The
legend and title are escaped the same way.

Size: geometries are simplified in the workspace's projected (Gauss-Krüger) CRS (1 m), sent in
CRS84 with 6 decimals, with no other properties. A layer above ``inline_limit`` features is not
inlined when an ``api_url`` is given: the map fetches it by bbox from the OGC API
(``/collections/{id}/items?bbox=…``) on ``moveend``.

Offline: Leaflet 1.9.4 is vendored in ``gis/maps/static/leaflet``; ``offline=True`` (default)
inlines it into the page, ``static_url=…`` links to it instead (the service serves it at
``/maps/static``). folium's CDN links (jQuery, Bootstrap, awesome-markers) are dropped.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from jinja2 import Template

from gis.access import Role, mask
from gis.errors import UnknownFeatureError, ValidationError
from gis.maps.gcj02 import shift_geometries
from gis.maps.palette import colour, label, source_label
from layers import UNIT_LABELS, catalogue, results

__all__ = [
    "BASEMAPS",
    "INLINE_LIMIT",
    "STATIC_DIR",
    "cleanup_map",
    "match_map",
    "park_map",
    "permu_map",
]

#: the basemaps a map may be drawn on
BASEMAPS = ("osm", "tianditu_vec", "tianditu_img", "amap", "none")
#: above this many features a layer is fetched by bbox from the API (when one is given)
INLINE_LIMIT = 5000
#: where the vendored Leaflet lives
STATIC_DIR = Path(__file__).parent / "static"
#: simplification tolerance in the projected CRS (metres) and decimals of CRS84 output
SIMPLIFY_M = 1.0
DECIMALS = 6
CRS84 = "OGC:CRS84"

#: popup allow-lists: layer -> fields shown (in this order) when present and visible
FIELDS: dict[str, tuple[str, ...]] = {
    "idle": ("supply_id", "parcel_id", "user_name", "zone_id", "town", "idle_type",
             "idle_since", "becomes_idle_on", "overdue_years", "cause", "action", "fee_wan",
             "area_mu"),
    "unsupplied_pieces": ("piece_id", "approval_id", "zone_id", "town", "approved_on",
                          "area_mu", "width_m", "usable", "reason"),
    "low_efficiency": ("parcel_id", "owner_name", "zone_id", "town", "land_use", "area_mu",
                       "plot_ratio", "plot_ratio_min", "building_coverage", "tax_per_mu",
                       "permu_class", "reasons"),
    "permu_parcels": ("parcel_id", "owner_name", "zone_id", "town", "land_use", "area_mu",
                      "firms", "tax_per_mu", "output_per_mu", "owner_class"),
    "parcels": ("parcel_id", "name", "land_use", "zone_id", "town", "owner_name", "status",
                "ready", "regional_assessment"),
    "zones": ("zone_id", "name", "level", "parent_id", "town"),
    "zone_indicators": ("land_supply_rate", "built_rate", "composite_plot_ratio",
                        "industrial_tax_per_ha", "years_of_supply_left"),
    "constraints": ("constraint_id", "kind", "effect", "name", "buffer_m"),
    "infrastructure": ("facility_id", "kind", "name", "road_class", "spare_kva", "capacity"),
}


# -- small helpers -----------------------------------------------------------------------------
def esc(value: object) -> str:
    """Text safe to put into HTML (quotes too)."""
    return html.escape(str(value), quote=True)


def _schema(layer: str):
    return catalogue.get(layer) or results.get(layer)


def _field_label(layer: str, name: str) -> str:
    """``中文（单位）`` of a field, from the catalogue (the name itself when unknown)."""
    spec = _schema(layer)
    f = spec.get(name) if spec is not None else None
    if f is None:
        return name
    unit = UNIT_LABELS.get(f.unit or "", f.unit or "")
    return f"{f.zh}（{unit}）" if unit else f.zh


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, np.ndarray)):
        return len(value) == 0
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _display(layer: str, name: str, value: object) -> str:
    """A value as shown (not yet escaped): code labels in Chinese, numbers rounded."""
    spec = _schema(layer)
    f = spec.get(name) if spec is not None else None
    if isinstance(value, (list, tuple, np.ndarray)):
        return "、".join(_display(layer, name, v) for v in value)
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (float, np.floating)):
        if f is not None and f.unit in ("ratio", "share") and name.endswith("rate"):
            return f"{float(value):.1%}"
        return f"{float(value):,.2f}"
    if f is not None and f.values:
        text = str(value)
        parts = text.split(";") if ";" in text else [text]
        return "、".join(label(layer, name, p) for p in parts)
    return str(value)


def _table(layer: str, row: Mapping[str, object], fields: Iterable[str], title: str = "",
           extra: Sequence[tuple[str, str]] = ()) -> str:
    """An escaped HTML table of ``row``'s allow-listed fields (and ``extra`` label/text pairs)."""
    cells = []
    for name in fields:
        if name not in row or _missing(row[name]):
            continue
        cells.append(f"<tr><th>{esc(_field_label(layer, name))}</th>"
                     f"<td>{esc(_display(layer, name, row[name]))}</td></tr>")
    for head, text in extra:
        cells.append(f"<tr><th>{esc(head)}</th><td>{esc(text)}</td></tr>")
    top = f"<b>{esc(title)}</b>" if title else ""
    return f'{top}<table class="dd-pop">{"".join(cells)}</table>'


def _lonlat(geoms: np.ndarray, crs, *, gcj: bool) -> np.ndarray:
    """Simplified (projected CRS), CRS84, optionally shifted to GCJ-02, rounded geometries."""
    geoms = np.asarray(geoms, dtype=object)
    if crs is not None and getattr(crs, "is_projected", False):
        geoms = shapely.simplify(geoms, SIMPLIFY_M, preserve_topology=True)
        geoms = gpd.GeoSeries(geoms, crs=crs).to_crs(CRS84).to_numpy()
    elif crs is not None and not gpd.GeoSeries([], crs=crs).crs.equals(CRS84):
        geoms = gpd.GeoSeries(geoms, crs=crs).to_crs(CRS84).to_numpy()
    if gcj:
        geoms = shift_geometries(geoms)
    return shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS))


@dataclass
class _Piece:
    """One thematic layer as it goes on the map."""

    name: str  # shown in the layer control and legend (Chinese + English)
    features: list[dict[str, Any]]
    legend: list[tuple[str, str]]  # (colour, label)
    kind: str = "polygon"
    remote: dict[str, Any] | None = None  # bbox-fetch config for large layers
    show: bool = True


class _Builder:
    """Collects the pieces of one map and renders them onto a folium map."""

    def __init__(self, *, basemap: str, tianditu_key: str | None, offline: bool,
                 static_url: str | None, api_url: str | None, inline_limit: int) -> None:
        if basemap not in BASEMAPS:
            raise ValidationError(f"未知底图 {basemap!r}（应为 {'、'.join(BASEMAPS)}）",
                                  f"unknown basemap {basemap!r} (expected one of "
                                  f"{', '.join(BASEMAPS)})")
        if basemap.startswith("tianditu") and not (tianditu_key and tianditu_key.strip()):
            raise ValidationError("天地图底图需要密钥 tk（--tianditu-key 或 DIDENG_TIANDITU_KEY）",
                                  "a Tianditu basemap needs a tk key (--tianditu-key)")
        self.basemap = basemap
        self.key = tianditu_key
        self.gcj = basemap == "amap"
        self.offline = offline
        self.static_url = static_url
        self.api_url = api_url
        self.inline_limit = inline_limit
        self.pieces: list[_Piece] = []
        self.bounds: list[tuple[float, float, float, float]] = []
        self.labels: list[tuple[list[float], str]] = []  # (lat, lon), escaped html

    # -- layers --------------------------------------------------------------------------------
    def add(self, name: str, frame: pd.DataFrame | None, *, layer: str,
            style: Callable[[Mapping[str, object]], dict[str, Any]],
            title: Callable[[Mapping[str, object]], str],
            legend: Sequence[tuple[str, str]], fields: Sequence[str] | None = None,
            extra: Callable[[Mapping[str, object]], Sequence[tuple[str, str]]] | None = None,
            kind: str = "polygon", show: bool = True, collection: str | None = None,
            fit: bool = True) -> None:
        """Add a thematic layer (skipped when ``frame`` is None); ``fit``: the map opens on
        the extent of the layers added with it (context layers do not widen the view)."""
        if frame is None:
            return
        if isinstance(frame, gpd.GeoDataFrame):
            frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty).to_numpy()]
        fields = [f for f in (fields if fields is not None else FIELDS.get(layer, ()))
                  if f in frame.columns]
        if (self.api_url and len(frame) > self.inline_limit and collection
                and isinstance(frame, gpd.GeoDataFrame)):
            if fit:
                self._bounds_of(frame)
            self.pieces.append(_Piece(name, [], list(legend), kind, show=show, remote={
                "url": f"{self.api_url.rstrip('/')}/collections/{collection}/items",
                "fields": [[f, _field_label(layer, f)] for f in fields],
                "values": {f: dict(_schema(layer).field(f).values or {}) for f in fields
                           if _schema(layer) is not None and _schema(layer).get(f) is not None
                           and _schema(layer).field(f).values},
                "style": style({}), "title": name, "limit": 2000,
            }))
            return
        features = []
        if len(frame):
            geoms = _lonlat(frame.geometry.to_numpy(), frame.crs, gcj=self.gcj)
            texts = shapely.to_geojson(geoms)
            records = frame.drop(columns=frame.geometry.name).to_dict("records")
            for i, (row, text) in enumerate(zip(records, texts, strict=True)):
                head = title(row)
                more = extra(row) if extra else ()
                features.append({
                    "type": "Feature", "id": i, "geometry": json.loads(text),
                    "properties": {"tip": f"<b>{esc(head)}</b>",
                                   "pop": _table(layer, row, fields, head, more),
                                   "style": style(row)}})
            if fit:
                self.bounds.append(tuple(shapely.total_bounds(geoms)))
        self.pieces.append(_Piece(name, features, list(legend), kind, show=show))

    def _bounds_of(self, frame: gpd.GeoDataFrame) -> None:
        b = frame.to_crs(CRS84).total_bounds if frame.crs is not None else frame.total_bounds
        if np.isfinite(b).all():
            self.bounds.append(tuple(b))

    def add_label(self, point: shapely.Point, text: str) -> None:
        """A numbered label (``text`` escaped here) at a CRS84 point (shifted on AMap)."""
        if self.gcj:
            point = shift_geometries(point)
        self.labels.append(([round(point.y, DECIMALS), round(point.x, DECIMALS)], esc(text)))

    # -- rendering -----------------------------------------------------------------------------
    def render(self, title: str, legend_title: str, notes: Sequence[str] = ()) -> folium.Map:
        m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
        _use_local_assets(m, offline=self.offline, static_url=self.static_url)
        _add_tiles(m, self.basemap, self.key)
        m.get_root().title = esc(title)
        label_group = None
        for piece in self.pieces:
            group = folium.FeatureGroup(name=piece.name, show=piece.show)
            if piece.remote is not None:
                _RemoteLayer(piece.remote, gcj=self.gcj).add_to(group)
            elif piece.features:  # an empty layer keeps its group (and legend), nothing to draw
                fc = {"type": "FeatureCollection", "features": piece.features}
                marker = folium.CircleMarker(radius=6, weight=1, fill=True, fill_opacity=0.9) \
                    if piece.kind == "point" else None
                folium.GeoJson(
                    fc, name=piece.name, control=False, marker=marker,
                    tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
                    popup=folium.GeoJsonPopup(fields=["pop"], labels=False, max_width=420),
                ).add_to(group)
            group.add_to(m)
            if label_group is None and self.labels and piece is self.pieces[0]:
                label_group = group
        for (latlon, text) in self.labels:
            folium.Marker(latlon, icon=folium.DivIcon(
                html=f'<div class="dd-rank">{text}</div>', icon_size=(24, 24),
                icon_anchor=(12, 12), class_name="dd-rank-icon")).add_to(label_group or m)
        folium.LayerControl(collapsed=False, position="topright").add_to(m)
        m.get_root().html.add_child(folium.Element(self._legend(legend_title, notes)))
        m.get_root().header.add_child(folium.Element(_CSS), name="dideng_css")
        if self.bounds:
            b = np.array(self.bounds, dtype=float)
            b = b[np.isfinite(b).all(axis=1)]
            if len(b):
                m.fit_bounds([[b[:, 1].min(), b[:, 0].min()], [b[:, 3].max(), b[:, 2].max()]])
        return m

    def _legend(self, title: str, notes: Sequence[str]) -> str:
        rows = []
        for piece in self.pieces:
            rows.append(f'<div class="dd-lg-h">{esc(piece.name)}</div>')
            for col, text in piece.legend:
                rows.append(f'<div><i style="background:{esc(col)}"></i>{esc(text)}</div>')
        for note in notes:
            rows.append(f'<div class="dd-lg-n">{esc(note)}</div>')
        return (f'<div id="dd-legend" class="dd-legend"><div class="dd-lg-t">{esc(title)}</div>'
                f'{"".join(rows)}</div>')


_CSS = """<style>
.dd-legend{position:fixed;bottom:24px;left:10px;z-index:1000;background:#fff;padding:8px 10px;
 border:1px solid #999;border-radius:4px;font:12px/1.5 "Noto Sans CJK SC","Microsoft YaHei",
 sans-serif;max-height:60%;overflow:auto;max-width:300px}
.dd-legend i{display:inline-block;width:14px;height:10px;margin-right:6px;opacity:.85;
 border:1px solid #555}
.dd-lg-t{font-weight:bold;font-size:13px;margin-bottom:4px}
.dd-lg-h{font-weight:bold;margin-top:4px}.dd-lg-n{color:#555;margin-top:4px}
table.dd-pop th{text-align:left;padding-right:8px;white-space:nowrap;font-weight:normal;
 color:#555}
.dd-rank{width:24px;height:24px;border-radius:12px;background:#c0392b;color:#fff;
 text-align:center;font:bold 13px/24px sans-serif;border:2px solid #fff}
</style>"""


# -- tiles and assets --------------------------------------------------------------------------
TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}")
AMAP = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}")
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图 Tianditu</a> 国家地理信息公共服务平台'


def _tianditu(layer: str, key: str) -> str:
    # the {s}/{z}/{x}/{y} placeholders stay for Leaflet; only the layer and key are filled
    from urllib.parse import quote

    return (TIANDITU.replace("{layer}", layer).replace("{key}", quote(key.strip(), safe="")))


def _add_tiles(m: folium.Map, basemap: str, key: str | None) -> None:
    if basemap == "osm":
        folium.TileLayer(OSM, name="OpenStreetMap", max_zoom=19,
                         attr='&copy; <a href="https://www.openstreetmap.org/copyright">'
                              'OpenStreetMap</a> contributors').add_to(m)
    elif basemap in ("tianditu_vec", "tianditu_img"):
        base, note = ("vec", "cva") if basemap == "tianditu_vec" else ("img", "cia")
        name = "天地图矢量 Tianditu vector" if base == "vec" else "天地图影像 Tianditu imagery"
        subdomains = list("01234567")
        folium.TileLayer(_tianditu(base, key or ""), name=name, attr=TIANDITU_ATTR,
                         subdomains=subdomains, max_zoom=18).add_to(m)
        folium.TileLayer(_tianditu(note, key or ""), name="天地图注记 Tianditu labels",
                         attr=TIANDITU_ATTR, subdomains=subdomains, overlay=True,
                         control=True, max_zoom=18).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(AMAP, name="高德（GCJ-02）AMap", subdomains=list("1234"), max_zoom=18,
                         attr='&copy; 高德（GCJ-02）AMap — 叠加图层已转换为 GCJ-02 / overlays '
                              'shifted to GCJ-02').add_to(m)


def _leaflet_css_inline() -> str:
    css = (STATIC_DIR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers.png", "layers-2x.png"):
        data = base64.b64encode((STATIC_DIR / "leaflet" / "images" / name).read_bytes())
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data.decode()})")
    return css


def _use_local_assets(m: folium.Map, *, offline: bool, static_url: str | None) -> None:
    """Replace folium's CDN links by the vendored Leaflet (inlined, or linked under
    ``static_url``); jQuery, Bootstrap and awesome-markers are not used and not loaded."""
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    if static_url:
        base = static_url.rstrip("/") + "/leaflet/"
        header.add_child(folium.CssLink(base + "leaflet.css"), name="leaflet_css")
        header.add_child(folium.JavascriptLink(base + "leaflet.js"), name="leaflet")
    elif offline:
        js = (STATIC_DIR / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
        js = js.replace("</script", "<\\/script")
        header.add_child(folium.Element(f"<style>{_leaflet_css_inline()}</style>"),
                         name="leaflet_css")
        header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet")
    else:  # online pages: the same version from the CDN
        cdn = "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/"
        header.add_child(folium.CssLink(cdn + "leaflet.css"), name="leaflet_css")
        header.add_child(folium.JavascriptLink(cdn + "leaflet.js"), name="leaflet")


class _RemoteLayer(folium.MacroElement):
    """A layer fetched by bbox from the OGC API on ``moveend`` (for layers too large to inline).
    Every property value is escaped in the browser before it is shown."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  var map = {{ this._parent._parent.get_name() }};
  var cfg = {{ this.cfg|tojson }};
  var gcj = {{ this.gcj|tojson }};
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]; }); }
  function shown(k, v) { var t = (cfg.values[k] || {})[v]; return t ? t : v; }
  function off(x, y) {
    var a = 6378245.0, ee = 0.00669342162296594323, p = Math.PI;
    var dlat = -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*Math.sqrt(Math.abs(x));
    dlat += (20*Math.sin(6*x*p) + 20*Math.sin(2*x*p)) * 2/3;
    dlat += (20*Math.sin(y*p) + 40*Math.sin(y/3*p)) * 2/3;
    dlat += (160*Math.sin(y/12*p) + 320*Math.sin(y*p/30)) * 2/3;
    var dlon = 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*Math.sqrt(Math.abs(x));
    dlon += (20*Math.sin(6*x*p) + 20*Math.sin(2*x*p)) * 2/3;
    dlon += (20*Math.sin(x*p) + 40*Math.sin(x/3*p)) * 2/3;
    dlon += (150*Math.sin(x/12*p) + 300*Math.sin(x/30*p)) * 2/3;
    return [dlon, dlat];
  }
  function toGcj(lon, lat) {
    if (!(lon > 72.004 && lon < 137.8347 && lat > 0.8293 && lat < 55.8271)) return [lon, lat];
    var d = off(lon - 105, lat - 35), r = lat / 180 * Math.PI, m = 1 - 0.00669342162296594323 * Math.sin(r) * Math.sin(r);
    var sm = Math.sqrt(m);
    return [lon + d[0] * 180 / (6378245.0 / sm * Math.cos(r) * Math.PI),
            lat + d[1] * 180 / ((6378245.0 * (1 - 0.00669342162296594323)) / (m * sm) * Math.PI)];
  }
  var pending = null;
  function load() {
    if (!map.hasLayer(group)) return;
    var b = map.getBounds();
    var w = b.getWest(), s = b.getSouth(), e = b.getEast(), n = b.getNorth();
    if (gcj) { var d = toGcj((w + e) / 2, (s + n) / 2); var dx = d[0] - (w + e) / 2, dy = d[1] - (s + n) / 2;
      w -= dx; e -= dx; s -= dy; n -= dy; }
    var bbox = [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(",");
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(cfg.url + "?bbox=" + bbox + "&limit=" + cfg.limit, {signal: pending.signal})
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        group.clearLayers();
        L.geoJSON(fc, {
          style: function () { return cfg.style; },
          pointToLayer: function (f, ll) { return L.circleMarker(ll, cfg.style); },
          coordsToLatLng: function (c) { var g = gcj ? toGcj(c[0], c[1]) : c; return L.latLng(g[1], g[0]); },
          onEachFeature: function (f, layer) {
            var p = f.properties || {}, rows = "";
            cfg.fields.forEach(function (kv) { if (p[kv[0]] !== undefined && p[kv[0]] !== null) {
              rows += "<tr><th>" + esc(kv[1]) + "</th><td>" + esc(shown(kv[0], p[kv[0]])) + "</td></tr>"; } });
            layer.bindTooltip("<b>" + esc(cfg.title) + "</b>");
            layer.bindPopup("<table class='dd-pop'>" + rows + "</table>");
          }
        }).addTo(group);
      }).catch(function () {});
  }
  map.on("moveend", load);
  map.on("overlayadd", load);
  map.whenReady(load);
})();
{% endmacro %}
""")

    def __init__(self, cfg: dict[str, Any], *, gcj: bool) -> None:
        super().__init__()
        self._name = "RemoteLayer"
        self.cfg = cfg
        self.gcj = gcj


# -- shared layers -----------------------------------------------------------------------------
def _style(col: str, *, fill: float = 0.55, weight: float = 1.0, dash: str | None = None,
           line: str | None = None) -> dict[str, Any]:
    s = {"color": line or col, "weight": weight, "fillColor": col, "fillOpacity": fill,
         "opacity": 0.9}
    if dash:
        s["dashArray"] = dash
    return s


def _context(b: _Builder, layers: Mapping[str, pd.DataFrame], role: Role, *,
             zones: Iterable[str] | None = None, near: shapely.Geometry | None = None) -> None:
    """Zones, constraints and infrastructure (each only when present and readable)."""
    zf = _visible(layers, "zones", role)
    if zf is not None and zones is not None:
        zf = zf[zf["zone_id"].astype("string").isin(list(zones)).fillna(False).to_numpy()]
    b.add("开发区与园区 Zones", zf, layer="zones", fit=zones is not None or near is None,
          style=lambda r: _style(colour("frame", "zone" if _missing(r.get("parent_id"))
                                        else "park"), fill=0.0, weight=2, dash="6 4"),
          title=lambda r: f"{r.get('name', '')} {r.get('zone_id', '')}",
          legend=[(colour("frame", "zone"), "开发区 zone"), (colour("frame", "park"), "园区 park")])
    cf = _visible(layers, "constraints", role)
    if cf is not None and near is not None:
        cf = cf[cf.intersects(near).to_numpy()]
    if cf is not None:
        kinds = sorted(cf["kind"].dropna().astype(str).unique()) if "kind" in cf else []
        b.add("管控约束 Constraints", cf, layer="constraints", show=False, fit=False,
              style=lambda r: _style(colour("constraint", r.get("kind")), fill=0.3),
              title=lambda r: _display("constraints", "kind", r.get("kind", "")),
              legend=[(colour("constraint", k), label("constraints", "kind", k)) for k in kinds])
    inf = _visible(layers, "infrastructure", role)
    if inf is not None and near is not None:
        inf = inf[inf.intersects(near).to_numpy()]
    if inf is not None:
        kinds = sorted(inf["kind"].dropna().astype(str).unique()) if "kind" in inf else []
        points = inf[(inf.geom_type == "Point").to_numpy()]
        lines = inf[(inf.geom_type != "Point").to_numpy()]

        def fac(r: Mapping[str, object]) -> dict[str, Any]:
            col = colour("road_class", r.get("road_class")) if r.get("kind") == "road" \
                else colour("facility", r.get("kind"))
            return _style(col, fill=0.9, weight=2)

        def name(r: Mapping[str, object]) -> str:
            kind = _display("infrastructure", "kind", r.get("kind", ""))
            return f"{kind} {'' if _missing(r.get('name')) else r.get('name')}".strip()

        b.add("道路 Roads", lines, layer="infrastructure", fit=False, style=fac, title=name,
              kind="line", legend=[(colour("facility", "road"), label("infrastructure", "kind",
                                                                        "road"))])
        b.add("配套设施 Facilities", points, layer="infrastructure", fit=False, style=fac, title=name,
              kind="point", legend=[(colour("facility", k), label("infrastructure", "kind", k))
                                    for k in kinds if k != "road"])


def _visible(layers: Mapping[str, pd.DataFrame], name: str, role: Role
             ) -> gpd.GeoDataFrame | None:
    """``layers[name]`` as ``role`` may see it; None when absent, closed or not spatial."""
    frame = layers.get(name)
    if frame is None or not isinstance(frame, gpd.GeoDataFrame):
        return None
    if role < Role.planner:
        from gis.access import can_read

        if not can_read(name, role):
            return None
    return mask(name, frame, role)  # type: ignore[return-value]


def _builder(basemap: str, tianditu_key: str | None, offline: bool, static_url: str | None,
             api_url: str | None, inline_limit: int) -> _Builder:
    return _Builder(basemap=basemap, tianditu_key=tianditu_key, offline=offline,
                    static_url=static_url, api_url=api_url, inline_limit=inline_limit)


def _first(text: object) -> str:
    return str(text).split(";")[0] if not _missing(text) else ""


def _day(value: object) -> str:
    if _missing(value):
        return ""
    return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


# -- the four maps -----------------------------------------------------------------------------
def cleanup_map(result, layers: Mapping[str, pd.DataFrame], *, basemap: str = "osm",
                tianditu_key: str | None = None, role: Role = Role.planner,
                offline: bool = True, static_url: str | None = None,
                api_url: str | None = None, inline_limit: int = INLINE_LIMIT) -> folium.Map:
    """The three clean-ups on one map: idle land by proposed action, the unsupplied pieces
    (usable / unusable), low-efficiency land by (first) reason, with zones, constraints and
    infrastructure. Planner data: the public may not see it (:func:`gis.access.mask`)."""
    b = _builder(basemap, tianditu_key, offline, static_url, api_url, inline_limit)
    idle = _visible({"idle": result.idle}, "idle", role)
    actions = sorted(idle["action"].dropna().astype(str).unique()) if idle is not None else []
    b.add("闲置土地 Idle land", idle, layer="idle", collection="idle",
          style=lambda r: _style(colour("action", r.get("action"))),
          title=lambda r: f"闲置 {r.get('parcel_id', '')} "
                          f"{_display('idle', 'action', r.get('action', ''))}",
          legend=[(colour("action", a), label("idle", "action", a)) for a in actions])
    watch = _visible({"idle": result.watch}, "idle", role)
    b.add("即将闲置预警 Watch list", watch, layer="idle", show=False,
          style=lambda r: _style(colour("action", "watch"), fill=0.35, dash="4 3"),
          title=lambda r: f"预警 {r.get('parcel_id', '')}",
          legend=[(colour("action", "watch"), label("idle", "action", "watch"))])
    pieces = _visible({"unsupplied_pieces": result.unsupplied.pieces}, "unsupplied_pieces",
                      Role.planner if role >= Role.planner else role)
    usable = pieces["usable"].astype("boolean").fillna(False).to_numpy(dtype=bool) \
        if pieces is not None else None
    for ok, zh, en in ((True, "可供应", "usable"), (False, "不可供应", "unusable")):
        part = pieces[usable == ok] if pieces is not None else None
        if part is not None and len(part) == 0 and not ok and role < Role.planner:
            continue
        b.add(f"批而未供地块（{zh}）Unsupplied pieces, {en}", part, layer="unsupplied_pieces",
              style=lambda r, ok=ok: _style(colour("usable", ok), fill=0.6 if ok else 0.4),
              title=lambda r, zh=zh: f"批而未供 {zh} {r.get('piece_id', '')}",
              legend=[(colour("usable", ok), f"{zh} {en}")])
    low = _visible({"low_efficiency": result.low_efficiency}, "low_efficiency", role)
    reasons = sorted({_first(x) for x in low["reasons"]} - {""}) \
        if low is not None and "reasons" in low else []
    b.add("低效用地 Low-efficiency land", low, layer="low_efficiency",
          collection="low_efficiency",
          style=lambda r: _style(colour("reason", _first(r.get("reasons")))),
          title=lambda r: f"低效 {r.get('parcel_id', '')}",
          legend=[(colour("reason", k), label("low_efficiency", "reasons", k))
                  for k in reasons])
    _context(b, layers, role)
    day = _day(result.as_of)
    return b.render(f"三清图 clean-up map {day}", f"三清图 The three clean-ups — {day}",
                    notes=["点击地块查看详情 / click a parcel for details"])


def _permu_class(row: Mapping[str, object]) -> str:
    c = row.get("owner_class")
    return "none" if _missing(c) else str(c)


def permu_map(evaluation_result, layers: Mapping[str, pd.DataFrame], *, basemap: str = "osm",
              tianditu_key: str | None = None, role: Role = Role.planner, offline: bool = True,
              static_url: str | None = None, api_url: str | None = None,
              inline_limit: int = INLINE_LIMIT) -> folium.Map:
    """The 亩均 evaluation: parcels coloured by their owner's class (A–D, grey when not rated),
    zones with their intensive-use indicators."""
    b = _builder(basemap, tianditu_key, offline, static_url, api_url, inline_limit)
    year = getattr(evaluation_result, "year", "")
    parcels = _visible({"permu_parcels": evaluation_result.permu.parcels}, "permu_parcels",
                       role)
    names = {"A": "A 类（优先发展）", "B": "B 类（鼓励提升）", "C": "C 类（帮扶转型）",
             "D": "D 类（倒逼整治）", "none": "未评价 not rated"}
    b.add("亩均评价等级 Per-mu class", parcels, layer="permu_parcels",
          collection="permu_parcels",
          style=lambda r: _style(colour("permu_class", _permu_class(r)), fill=0.7),
          title=lambda r: f"{r.get('parcel_id', '')} {names[_permu_class(r)]}"
          if _permu_class(r) in names else str(r.get("parcel_id", "")),
          legend=[(colour("permu_class", k), v if k == "none" else f"{v} class {k}")
                  for k, v in names.items()])
    zones = _visible(layers, "zones", role)
    ind = getattr(evaluation_result, "zones", None)
    if zones is not None and ind is not None and "zone_id" in ind and role >= Role.planner:
        cols = [c for c in FIELDS["zone_indicators"] if c in ind.columns]
        zones = zones.merge(pd.DataFrame(ind)[["zone_id", *cols]], on="zone_id", how="left")
    fields = [*FIELDS["zones"], *FIELDS["zone_indicators"]]

    def extra(r: Mapping[str, object]) -> list[tuple[str, str]]:
        out = []
        for c in FIELDS["zone_indicators"]:
            if c in r and not _missing(r[c]):
                out.append((_field_label("zone_indicators", c),
                            _display("zone_indicators", c, r[c])))
        return out

    b.add("开发区集约利用 Zone indicators", zones, layer="zones",
          fields=[f for f in fields if f in FIELDS["zones"]], extra=extra,
          style=lambda r: _style(colour("frame", "zone"), fill=0.0, weight=2, dash="6 4"),
          title=lambda r: f"{r.get('name', '')} {r.get('zone_id', '')}",
          legend=[(colour("frame", "zone"), "开发区/园区 zone or park")])
    _context(b, {k: v for k, v in layers.items() if k != "zones"}, role)
    return b.render(f"亩均评价图 per-mu map {year}", f"亩均效益评价 Per-mu evaluation {year}",
                    notes=["颜色为权利人亩均评价等级 / colour: the owner's per-mu class"])


def _shape_frame(items: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    geoms = [shapely.geometry.shape(i["geometry"]) if i.get("geometry") else None
             for i in items]
    rows = [{k: v for k, v in i.items() if k != "geometry"} for i in items]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS84)


def _lookup(layers: Mapping[str, pd.DataFrame], ids: Sequence[str]) -> gpd.GeoDataFrame | None:
    """Rows of parcels / unsupplied pieces with these ids (parcel_id column), in the
    parcels' CRS."""
    frames = []
    for name, key in (("parcels", "parcel_id"), ("unsupplied_pieces", "piece_id")):
        f = layers.get(name)
        if isinstance(f, gpd.GeoDataFrame) and key in f:
            hit = f[f[key].astype("string").isin(list(ids)).fillna(False).to_numpy()]
            if len(hit):
                hit = hit.rename(columns={key: "parcel_id"}) if key != "parcel_id" else hit
                frames.append(hit.to_crs(frames[0].crs) if frames else hit)
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out.drop_duplicates("parcel_id"), geometry=frames[0].geometry.name,
                            crs=frames[0].crs)


def match_map(answer: Mapping[str, Any], layers: Mapping[str, pd.DataFrame], *,
              basemap: str = "osm", tianditu_key: str | None = None,
              role: Role = Role.planner, offline: bool = True, static_url: str | None = None,
              api_url: str | None = None, inline_limit: int = INLINE_LIMIT) -> folium.Map:
    """A match answer: candidate sites numbered by rank, their component parcels coloured by
    source, the nearest near-misses greyed with the rules that excluded them."""
    b = _builder(basemap, tianditu_key, offline, static_url, api_url, inline_limit)
    project = answer.get("project") or {}
    pname = str(project.get("name") or project.get("project_id") or "")
    sites = list(answer.get("sites") or [])
    frame = _shape_frame(sites)

    def site_extra(r: Mapping[str, object]) -> list[tuple[str, str]]:
        srcs = "、".join(_source(s)
                        for s in (r.get("sources") or []))
        return [("名次 rank", str(r.get("rank", ""))), ("地块 site", str(r.get("site_id", ""))),
                ("组成宗地 parcels", "、".join(map(str, r.get("parcel_ids") or []))),
                ("来源 sources", srcs),
                ("面积（亩）area", _num(r.get("area_mu"))),
                ("净面积（亩）net area", _num(r.get("net_area_mu"))),
                ("得分 score", _num(r.get("score"), 1)),
                ("说明", str(r.get("explanation", ""))),
                ("explanation", str(r.get("explanation_en", "")))]

    b.add("候选地块 Candidate sites", frame, layer="match_sites", fields=[],
          extra=site_extra, style=lambda r: _style(colour("frame", "site"), fill=0.15, weight=3),
          title=lambda r: f"第 {r.get('rank', '')} 名 rank {r.get('rank', '')}：{r.get('site_id', '')}",
          legend=[(colour("frame", "site"), "候选地块（编号为名次）sites, numbered by rank")])
    for _, site in frame.iterrows():
        if site.geometry is not None and not site.geometry.is_empty:
            b.add_label(shapely.point_on_surface(site.geometry), str(site.get("rank", "")))
    ids = [str(p) for s in sites for p in (s.get("parcel_ids") or [])]
    source_of = {}
    for s in sites:
        for i, p in enumerate(s.get("parcel_ids") or []):
            srcs = s.get("sources") or []
            source_of[str(p)] = srcs[i] if i < len(srcs) else (srcs[0] if srcs else "")
    parts = _lookup(layers, ids)
    if parts is not None:
        parts = mask("parcels", parts, role) if role < Role.planner else parts
        parts = parts.assign(source=parts["parcel_id"].astype(str).map(source_of))
    used = sorted({v for v in source_of.values() if v})
    b.add("组成宗地 Component parcels", parts, layer="parcels",
          fields=[f for f in FIELDS["parcels"] if role >= Role.planner or f != "owner_name"],
          extra=lambda r: [("来源 source", _source(r.get("source")))],
          style=lambda r: _style(colour("source", r.get("source")), fill=0.6),
          title=lambda r: f"{r.get('parcel_id', '')} {_source(r.get('source'))}",
          legend=[(colour("source", s), _source(s)) for s in used])
    excluded = list(answer.get("excluded") or [])
    rules: dict[str, list[str]] = {}
    for row in excluded:
        rules.setdefault(str(row.get("parcel_id")), []).append(
            f"{row.get('rule', '')}：{row.get('detail', '')}")
    misses = _lookup(layers, list(rules))
    if misses is not None:
        misses = mask("parcels", misses, role) if role < Role.planner else misses
    b.add("落选地块 Near misses", misses, layer="parcels", fields=["parcel_id", "zone_id", "town"],
          extra=lambda r: [("落选原因 why not", t) for t in rules.get(str(r.get("parcel_id")), [])],
          style=lambda r: _style(colour("frame", "excluded"), fill=0.35, dash="3 3"),
          title=lambda r: f"落选 {r.get('parcel_id', '')}",
          legend=[(colour("frame", "excluded"), "最接近的落选地块 nearest near-misses")],
          fit=not len(frame))  # the map opens on the sites; near-misses only when none
    near = None
    if len(frame) or misses is not None:
        zf = layers.get("zones")
        crs = zf.crs if isinstance(zf, gpd.GeoDataFrame) else None
        geoms = [g for g in frame.to_crs(crs).geometry if g is not None] if crs else []
        if misses is not None and crs is not None:
            geoms += list(misses.to_crs(crs).geometry)
        if geoms:
            near = shapely.box(*shapely.total_bounds(np.array(geoms, dtype=object))).buffer(3000)
    _context(b, layers, role, near=near)
    day = str(answer.get("as_of", ""))
    return b.render(f"地等项目 {pname}", f"地等项目 Project sites — {pname} {day}".strip(),
                    notes=["编号为候选名次；灰色为落选地块 / numbers are ranks; grey: near-misses"])


def _num(v: object, digits: int = 2) -> str:
    if _missing(v):
        return ""
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    return f"{x:,.{digits}f}" if math.isfinite(x) else ""


def _source(code: object) -> str:
    return source_label(code) if not _missing(code) else ""


def park_map(layers: Mapping[str, pd.DataFrame], zone_id: str, *, role: Role = Role.public,
             basemap: str = "osm", tianditu_key: str | None = None, offline: bool = True,
             static_url: str | None = None, api_url: str | None = None,
             inline_limit: int = INLINE_LIMIT) -> folium.Map:
    """A zone or park for promotion: its outline (and its parks), the land on offer — reserve
    parcels and usable unsupplied pieces — and the roads and facilities around it.

    The public (default) sees only what :func:`gis.access.mask` publishes: no owner, no figure.
    Planners also see the unusable pieces, idle and low-efficiency land when the layers hold
    them (``unsupplied_pieces``, ``idle``, ``low_efficiency``).
    """
    zones = layers.get("zones")
    if not isinstance(zones, gpd.GeoDataFrame) or "zone_id" not in zones:
        raise UnknownFeatureError(f"没有园区图层，找不到 {zone_id}", f"no zones layer: {zone_id}")
    zid = zones["zone_id"].astype("string")
    own = zones[zid.eq(str(zone_id)).fillna(False).to_numpy()]
    if own.empty:
        known = "、".join(zid.dropna().astype(str).tolist()[:20])
        raise UnknownFeatureError(f"没有编号为 {zone_id} 的开发区或园区（已有：{known}）",
                                  f"no zone or park {zone_id!r} (known: {known})")
    parent = zones["parent_id"].astype("string") if "parent_id" in zones \
        else pd.Series(pd.NA, index=zones.index, dtype="string")
    ids = {str(zone_id)} | set(zid[parent.eq(str(zone_id)).fillna(False)].astype(str))
    name = str(own.iloc[0].get("name", zone_id))
    area = shapely.union_all(own.geometry.to_numpy())
    near = area.buffer(2000)
    b = _builder(basemap, tianditu_key, offline, static_url, api_url, inline_limit)

    def in_zone(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        if frame is None:
            return None
        if "zone_id" in frame:
            return frame[frame["zone_id"].astype("string").isin(ids).fillna(False).to_numpy()]
        return frame[frame.intersects(area).to_numpy()]

    parcels = in_zone(_visible(layers, "parcels", role))
    if parcels is not None and "status" in parcels:
        parcels = parcels[parcels["status"].astype("string").eq("reserve").fillna(False)
                          .to_numpy()]
    b.add("储备用地 Reserve land", parcels, layer="parcels",
          style=lambda r: _style(colour("source", "reserve"), fill=0.6),
          title=lambda r: f"储备 {'' if _missing(r.get('name')) else r.get('name')} "
                          f"{r.get('parcel_id', '')}",
          legend=[(colour("source", "reserve"), "储备宗地（可供应）reserve parcels")])
    pieces = in_zone(_visible(layers, "unsupplied_pieces", role))
    if pieces is not None and "usable" in pieces:
        ok = pieces["usable"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        b.add("可供应批而未供地块 Usable unsupplied land", pieces[ok], layer="unsupplied_pieces",
              style=lambda r: _style(colour("usable", True), fill=0.6),
              title=lambda r: f"可供应 {r.get('piece_id', '')}",
              legend=[(colour("usable", True), "批而未供可供应地块 usable unsupplied pieces")])
        if role >= Role.planner:
            b.add("不可供应批而未供地块 Unusable pieces（内部 internal）", pieces[~ok],
                  layer="unsupplied_pieces", show=False,
                  style=lambda r: _style(colour("usable", False), fill=0.4),
                  title=lambda r: f"不可供应 {r.get('piece_id', '')}",
                  legend=[(colour("usable", False), "不可供应 unusable")])
    if role >= Role.planner:
        for layer, zh, en, concept, key in (
                ("idle", "闲置土地", "Idle land", "action", "action"),
                ("low_efficiency", "低效用地", "Low-efficiency land", "reason", "reasons")):
            frame = in_zone(_visible(layers, layer, role))
            if frame is None:
                continue
            codes = sorted({_first(x) for x in frame[key]} - {""}) if key in frame else []
            b.add(f"{zh} {en}（内部 internal）", frame, layer=layer, show=False,
                  style=lambda r, c=concept, k=key: _style(colour(c, _first(r.get(k)))),
                  title=lambda r, zh=zh: f"{zh} {r.get('parcel_id', '')}",
                  legend=[(colour(concept, c), label(layer, key, c)) for c in codes])
    _context(b, layers, role, zones=ids, near=near)
    audience = "公众版 public" if role < Role.planner else "内部版 internal"
    return b.render(f"{name} 招商地图", f"{name} 可供应土地 Land on offer（{audience}）",
                    notes=["仅示意，以不动产登记为准 / indicative only"])
