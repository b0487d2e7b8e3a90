"""Shared fixtures: small files made in tmp_path, never fetched from the network."""

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

X0, Y0 = 40_520_000.0, 3_353_000.0  # CGCS2000 3° zone 40 (EPSG:4528), near 120°E 30.3°N


@pytest.fixture
def gbk_shapefile(tmp_path: Path) -> Path:
    """A GBK shapefile without .cpg and without .prj: Chinese headers and values, zone-40
    coordinates with the zone prefix."""
    gdf = gpd.GeoDataFrame(
        {
            "宗地编号": ["330106001002GB00123W00000000", "330106001002GB00124W00000000"],
            "地块名称": ["东园一号地块", "东园二号地块"],
            "用途代码": ["100102", "110101"],
            "乡镇": ["城东街道", "城东街道"],
        },
        geometry=[box(X0, Y0, X0 + 300, Y0 + 200), box(X0 + 300, Y0, X0 + 400, Y0 + 150)],
        crs=4528,  # written with a .prj, which is then removed
    )
    path = tmp_path / "宗地.shp"
    gdf.to_file(path, encoding="GBK")
    for suffix in (".cpg", ".prj"):
        path.with_suffix(suffix).unlink(missing_ok=True)
    return path


def ring_lines(ring, ring_no, start):
    """部标 point lines (X = northing first, Y = easting with prefix) for a closed ring."""
    coords = list(ring.coords)
    lines = [f"J{start + i},{ring_no},{y:.3f},{x:.3f}" for i, (x, y) in enumerate(coords[:-1])]
    x, y = coords[0]
    lines.append(f"J{start},{ring_no},{y:.3f},{x:.3f}")
    return lines, start + len(coords) - 1


@pytest.fixture
def txt_with_holes_and_parts(tmp_path: Path) -> Path:
    """Two parcels: P-1 a 400×300 m square with a 100×100 m hole (ring 2 inside ring 1);
    P-2 two disjoint 100×100 m squares (rings 1 and 2 disjoint). GBK, CRLF, 带号 40."""
    outer = box(X0, Y0, X0 + 400, Y0 + 300).exterior
    hole = box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200).exterior
    a = box(X0 + 1000, Y0, X0 + 1100, Y0 + 100).exterior
    b = box(X0 + 1300, Y0, X0 + 1400, Y0 + 100).exterior
    lines = ["[属性描述]", "格式版本号=1.01版本", "坐标系=2000国家大地坐标系", "几度分带=3",
             "投影类型=高斯克吕格", "计量单位=米", "带号=40", "精度=0.001", "转换参数=,,,,,,",
             "[地块坐标]"]
    p1_1, n = ring_lines(outer, 1, 1)
    p1_2, _ = ring_lines(hole, 2, n)
    lines += [f"{len(p1_1) + len(p1_2)},11.0000,P-1,东园带孔地块,面,,工业,100102,@", *p1_1, *p1_2]
    p2_1, n = ring_lines(a, 1, 1)
    p2_2, _ = ring_lines(b, 2, n)
    lines += [f"{len(p2_1) + len(p2_2)},2.0000,P-2,东园两块地,面,,工业,100101,@", *p2_1, *p2_2]
    path = tmp_path / "报批坐标.txt"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    return path


@pytest.fixture
def bowtie() -> Polygon:
    return Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
