"""Writing a 部标 TXT file: :func:`write_txt`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import gk_info, workspace_crs_for
from gis.errors import CRSError, ValidationError
from gis.io.txt.build import _multipolygon
from gis.units import M2_PER_HA

_DATUM_HEADER = {
    "CGCS2000": "2000国家大地坐标系",
    "Xian1980": "80国家大地坐标系",
    "Beijing1954": "54北京坐标系",
}


def _text(value: object) -> str:
    """A field value safe inside a record: no separator, no terminator, one line."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = str(value).strip()
    for a, b in ((",", "，"), ("@", "＠"), ("\r", " "), ("\n", " ")):
        text = text.replace(a, b)
    return text


def write_txt(
    gdf: gpd.GeoDataFrame,
    path: str | Path | None = None,
    *,
    id_field: str = "parcel_id",
    name_field: str | None = "name",
    land_use_field: str | None = "land_use",
    purpose_field: str | None = None,
    sheet_field: str | None = None,
    producer: str = "dideng",
    produced_on: date | None = None,
    encoding: str = "gbk",
) -> str:
    """Write parcels as a 部标 coordinate TXT file.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons or MultiPolygons (polygonal parts of collections are taken). In a CGCS2000
        Gauss-Krüger CRS (3° or 6°, with or without the zone prefix) it is written as it is;
        Xian 1980 and Beijing 1954 Gauss-Krüger too, with their own 坐标系 (a datum shift needs
        local parameters, so none is made). Any other CRS is reprojected to the CGCS2000 3°
        zone of the data's centre.
    path : str or Path, optional
        Where to write; the text is returned either way.
    id_field, name_field, land_use_field, purpose_field, sheet_field : str or None
        Columns written as 地块编号, 地块名称, 地类编码, 地块用途 and 图幅号. ``id_field`` must
        exist; the others are left blank when None or absent.
    producer : str
        数据产生单位.
    produced_on : date, optional
        数据产生日期 (today by default), written ISO (2024-05-01).
    encoding : str
        ``"gbk"`` (what bureau upload systems expect) by default; ``"utf-8-sig"`` or
        ``"gb18030"`` for text GBK cannot hold.

    Returns
    -------
    str
        The file's text, with CRLF line endings.

    Notes
    -----
    Per parcel: ``界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,地类编码,@`` with the
    area in 公顷 (4 decimals) and 界址点数 counting every point line (closing repeats
    included); then ``J<n>,<圈号>,<X>,<Y>`` with X = northing and Y = easting including the
    zone prefix, 3 decimals. Each polygon's exterior gets the next 圈号 (1 for the first),
    its holes the following ones; exteriors are written clockwise and holes counter-clockwise
    (the surveying habit); each ring ends with its first point repeated under the same 点号;
    J numbers restart at 1 for every parcel and run on across its rings. Commas and ``@`` in
    text fields are written full-width (，＠) so that they cannot break the record.

    Raises
    ------
    ValidationError
        ``id_field`` missing, a row without polygonal geometry, or text the encoding cannot
        represent.
    CRSError
        ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        raise CRSError("数据没有坐标系，无法写出坐标", "data has no CRS; cannot write coordinates")
    if id_field not in gdf.columns:
        raise ValidationError(
            f"没有地块编号字段「{id_field}」；现有字段：{', '.join(map(str, gdf.columns))}",
            f"no id field '{id_field}'; columns are: {', '.join(map(str, gdf.columns))}",
        )
    if gdf.empty:
        raise ValidationError("没有可写出的地块", "no parcel to write")
    info = gk_info(gdf.crs)
    geoseries = gdf.geometry
    if info is None:
        geoseries = geoseries.to_crs(workspace_crs_for(geoseries))
        info = gk_info(geoseries.crs)
        assert info is not None
    shift = 0.0 if info.prefixed else info.zone * 1_000_000.0

    geoms = np.empty(len(geoseries), dtype=object)
    geoms[:] = [_multipolygon(g) if g is not None else None for g in geoseries.values]
    empty = [i for i, g in enumerate(geoms) if g is None or g.is_empty]
    if empty:
        rows = ", ".join(str(i + 1) for i in empty[:10])
        raise ValidationError(
            f"第 {rows} 行没有面图形，无法写出",
            f"row(s) {rows} have no polygon geometry; cannot write",
        )
    geoms = shapely.orient_polygons(geoms, exterior_cw=True)
    areas_ha = shapely.area(geoms) / M2_PER_HA

    # rings of every parcel, coordinates and point numbers, all at once
    parts, part_parcel = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_parcel = part_parcel[ring_part]
    nrings = len(rings)
    parcel_first_ring = np.searchsorted(ring_parcel, np.arange(len(geoms)))
    ring_no = np.arange(nrings) - parcel_first_ring[ring_parcel] + 1
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_len = np.bincount(coord_ring, minlength=nrings)
    ring_start = np.cumsum(ring_len) - ring_len
    pos = np.arange(len(coords)) - ring_start[coord_ring]
    # distinct points before each ring in its parcel → J number base
    distinct = ring_len - 1
    cum = np.cumsum(distinct) - distinct
    base = cum - cum[parcel_first_ring[ring_parcel]]
    closing = pos == ring_len[coord_ring] - 1
    number = base[coord_ring] + np.where(closing, 0, pos) + 1
    coord_parcel = ring_parcel[coord_ring]
    per_parcel = np.bincount(coord_parcel, minlength=len(geoms))
    northing = coords[:, 1]
    easting = coords[:, 0] + shift
    point_lines = [
        f"J{j},{r},{x:.3f},{y:.3f}"
        for j, r, x, y in zip(
            number.tolist(),
            ring_no[coord_ring].tolist(),
            northing.tolist(),
            easting.tolist(),
            strict=True,
        )
    ]

    def column(name: str | None) -> list[str]:
        if name is None or name not in gdf.columns:
            return [""] * len(gdf)
        return [_text(v) for v in gdf[name]]

    ids, names = column(id_field), column(name_field)
    sheets, purposes, uses = column(sheet_field), column(purpose_field), column(land_use_field)
    made = produced_on or date.today()
    lines = [
        "[属性描述]",
        "格式版本号=1.01版本",
        f"数据产生单位={_text(producer)}",
        f"数据产生日期={made.isoformat()}",
        f"坐标系={_DATUM_HEADER[info.datum]}",
        f"几度分带={info.width}",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={info.zone}",
        "精度=0.001",
        "转换参数=,,,,,,",
        "[地块坐标]",
    ]
    first = np.cumsum(per_parcel) - per_parcel
    for i in range(len(geoms)):
        lines.append(
            f"{per_parcel[i]},{areas_ha[i]:.4f},{ids[i]},{names[i]},面,"
            f"{sheets[i]},{purposes[i]},{uses[i]},@"
        )
        lines.extend(point_lines[first[i] : first[i] + per_parcel[i]])
    text = "\r\n".join(lines) + "\r\n"
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise ValidationError(
            f"字符「{bad}」无法用 {encoding} 编码；请改用 encoding='gb18030' 或 'utf-8-sig'",
            f"character '{bad}' cannot be encoded in {encoding}; use encoding='gb18030' or "
            "'utf-8-sig'",
        ) from None
    if path is not None:
        Path(path).write_bytes(data)
    return text
