"""Read and write the 部标 coordinate TXT exchange format (勘测定界界址点坐标交换格式).

The format used to submit red-line boundaries in 建设用地报批, 勘测定界 and 用地预审
(DOMAIN.md §9)::

    [属性描述]
    格式版本号=1.01版本
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=40
    ...
    [地块坐标]
    5,6.0000,1,彭埠地块,面,,,,@
    J1,1,3353189.181,40520986.477
    ...

A parcel header line (``界址点数,地块面积,地块编号,地块名称,面,图幅号,地块用途,地类编码,@``) is
followed by its boundary points ``点号,圈号,X,Y`` with **X = northing** and **Y = easting with the
zone prefix**; in GIS order x = Y, y = X. :func:`read_txt` takes every variant of DOMAIN.md §9.2
and says what it inferred or repaired in a list of :class:`gis.report.Issue`; :func:`write_txt`
writes what bureau upload systems accept (GBK, CRLF, 3 decimals, area in 公顷).

Polygons are assembled by containment, never by ring number alone: a ring inside an odd number of
other rings of its parcel is a hole of the smallest of them, any other ring is a shell, and the
shells of one parcel make a MultiPolygon.

Layout
------
``parse``
    decoding, sections, header keys, parcel header lines and point lines;
``zone``
    the CRS from 坐标系 + 几度分带 + 带号, the Y zone prefix or the ``crs`` argument;
``build``
    rings → MultiPolygons by containment;
``declared``
    the header's 地块面积 (公顷 or m²) and 界址点数 checked against what was built;
``read``
    :func:`read_txt`, which runs the above and turns their findings into issues;
``write``
    :func:`write_txt`.

Examples
--------
>>> text = (
...     "[属性描述]\\n坐标系=2000国家大地坐标系\\n几度分带=3\\n带号=40\\n[地块坐标]\\n"
...     "5,6.0000,1,示例地块,面,,,,@\\n"
...     "J1,1,3353000.000,40520000.000\\nJ2,1,3353000.000,40520300.000\\n"
...     "J3,1,3352800.000,40520300.000\\nJ4,1,3352800.000,40520000.000\\n"
...     "J1,1,3353000.000,40520000.000\\n"
... )
>>> gdf, issues = read_txt(text)
>>> gdf.crs.to_epsg(), float(gdf.area.iloc[0]), gdf.loc[0, "name"]
(4528, 60000.0, '示例地块')
>>> float(gdf.loc[0, "declared_area_m2"])
60000.0
"""

from gis.io.txt.declared import AREA_TOLERANCE
from gis.io.txt.read import COLUMNS, read_txt
from gis.io.txt.write import write_txt

__all__ = ["AREA_TOLERANCE", "COLUMNS", "read_txt", "write_txt"]
