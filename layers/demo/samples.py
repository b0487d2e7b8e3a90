"""Sample bureau files cut from the demo county, in the forms bureaus really send them.

They make the README's tour runnable and show the importers at work:

- ``东园宗地.shp`` — 东园's parcels as a GBK shapefile with Chinese field names, **no .cpg and no
  .prj** (the encoding and the CRS are detected on import, with notes); 用地用海分类 is cut at
  the DBF's 10-byte name limit to 用地用海分, as bureaus' files have it (GDAL's remark on that
  is not shown: the importer knows the cut header);
- ``批次红线.txt`` — three approval batches as a 部标 coordinate TXT (GBK, CRLF, area in 公顷);
- ``企业名单.xlsx`` — the 2025 enterprise list with Chinese headers under a title row, and two
  rows that must be rejected (a wrong credit-code check digit, a negative tax).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis.io.txt import write_txt
from layers import catalogue

__all__ = ["write_samples"]


def write_samples(layers: dict[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """Write the sample files from built demo layers into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    parcels = layers["parcels"]
    east = parcels[parcels["zone_id"] == "KFQ-DY"].head(60)
    labels = {f.name: f.zh for f in catalogue["parcels"].fields}
    shp = folder / "东园宗地.shp"
    cols = ["parcel_id", "land_use", "name", "town", "status"]
    table = pd.DataFrame(east[cols]).assign(  # statuses as a bureau writes them: 储备, 已供 …
        status=east["status"].map(catalogue["parcels"].field("status").values))
    gbk = gpd.GeoDataFrame(table.rename(columns=labels), geometry=east.geometry.values,
                           crs=east.crs)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*Normalized/laundered field name", RuntimeWarning)
        gbk.to_file(shp, encoding="GBK")
    for suffix in (".cpg", ".prj"):
        shp.with_suffix(suffix).unlink(missing_ok=True)
    written.append(shp)

    approvals = layers["approvals"].head(3)
    txt = folder / "批次红线.txt"
    write_txt(approvals.rename(columns={"approval_id": "parcel_id"}), txt)
    written.append(txt)

    firms = layers["enterprises"]
    year = int(firms["year"].max())
    table = pd.DataFrame(firms[firms["year"] == year].drop(columns="geometry")).head(40).copy()
    table.iloc[1, table.columns.get_loc("credit_code")] = (
        table.iloc[1]["credit_code"][:17] + ("0" if table.iloc[1]["credit_code"][17] != "0"
                                             else "1"))
    table.iloc[2, table.columns.get_loc("tax_wan")] = -12.0
    table["above_scale"] = table["above_scale"].map({True: "是", False: "否"})
    headers = {f.name: f.zh for f in catalogue["enterprises"].fields}
    xlsx = folder / "企业名单.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xl:
        pd.DataFrame([[f"示范县{year}年度亩均效益评价企业名单"]]).to_excel(
            xl, index=False, header=False, sheet_name="企业名单")
        table.rename(columns=headers).to_excel(xl, index=False, startrow=2, sheet_name="企业名单")
    written.append(xlsx)
    return written
