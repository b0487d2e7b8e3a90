"""Shared fixtures: small files made in tmp_path, never fetched from the network; the PostGIS
test database (a local server, skipped when absent)."""

import os
import uuid
from collections.abc import Iterator
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


# -- PostGIS ------------------------------------------------------------------------------------
DEFAULT_TEST_DATABASE_URL = "postgresql://dideng:dideng@localhost:5432/dideng_test"


def _without_schema(url: str) -> str:
    """A dideng workspace URL without its ``schema`` parameter (what libpq accepts)."""
    base, _, query = url.partition("?")
    kept = [item for item in query.split("&") if item and item.split("=", 1)[0] != "schema"]
    return base + ("?" + "&".join(kept) if kept else "")


@pytest.fixture(scope="session")
def postgis_url() -> str:
    """The PostGIS test database: ``$DIDENG_TEST_DATABASE_URL``, by default
    postgresql://dideng:dideng@localhost:5432/dideng_test (``.ci/postgis`` makes it). PostGIS
    tests skip with the reason when it is not reachable or lacks the postgis extension — and
    fail instead when ``DIDENG_REQUIRE_POSTGIS=1`` (CI, where nothing may be skipped)."""
    import psycopg

    from gis.workspace import mask_location

    url = _without_schema(os.environ.get("DIDENG_TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)
    try:
        with psycopg.connect(url, connect_timeout=5) as con:
            row = con.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
        reason = None if row else "the postgis extension is missing (CREATE EXTENSION postgis;)"
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
    if reason is not None:
        message = (f"PostGIS 不可用，跳过 PostGIS 测试 / PostGIS not reachable at "
                   f"{mask_location(url)}: {reason}; set DIDENG_TEST_DATABASE_URL or run "
                   ".ci/postgis")
        if os.environ.get("DIDENG_REQUIRE_POSTGIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def postgis_workspace_url(postgis_url: str) -> Iterator[str]:
    """A workspace URL on a fresh schema of the test database (not created yet), dropped after
    the test."""
    import psycopg
    from psycopg import sql

    schema = f"t_{uuid.uuid4().hex}"
    yield f"{postgis_url}{'&' if '?' in postgis_url else '?'}schema={schema}"
    with psycopg.connect(postgis_url, autocommit=True) as con:
        con.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
