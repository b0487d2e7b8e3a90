"""The sample bureau files cut from the demo county import as a planner would see them."""

import pytest

from gis.imports import import_file
from gis.workspace import open_workspace
from layers.demo import build_demo
from layers.demo.samples import write_samples


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    layers = build_demo()
    folder = tmp_path_factory.mktemp("samples")
    write_samples(layers, folder)
    return folder, layers


def test_gbk_shapefile_with_truncated_names_imports(samples, tmp_path):
    folder, layers = samples
    result = import_file(tmp_path / "w.gpkg", "parcels", folder / "东园宗地.shp")
    notes = result.report.codes("note")
    assert {"encoding.detected", "header.truncated", "crs.inferred_gauss_kruger"} <= set(notes)
    got = open_workspace(tmp_path / "w.gpkg").read("parcels").set_index("parcel_id")
    source = layers["parcels"].set_index("parcel_id").loc[got.index]
    assert (got["name"] == source["name"]).all()  # Chinese values survive GBK
    assert (got["land_use"] == source["land_use"]).all()
    assert (got["status"] == source["status"]).all()  # 储备/已供 mapped back to codes
    assert got.area.sum() == pytest.approx(source.area.sum(), rel=1e-9)


def test_txt_batches_import_with_defaults(samples, tmp_path):
    folder, layers = samples
    result = import_file(tmp_path / "w.gpkg", "approvals", folder / "批次红线.txt",
                         defaults={"approved_on": "2016-05-01", "kind": "城市批次"})
    assert result.written and result.rows_written == 3
    got = open_workspace(tmp_path / "w.gpkg").read("approvals").set_index("approval_id")
    source = layers["approvals"].set_index("approval_id").loc[got.index]
    assert got.area.to_numpy() == pytest.approx(source.area.to_numpy(), abs=0.01)


def test_enterprise_excel_rejects_exactly_the_two_planted_rows(samples, tmp_path):
    folder, _ = samples
    import_file(tmp_path / "w.gpkg", "parcels", folder / "东园宗地.shp")
    result = import_file(tmp_path / "w.gpkg", "enterprises", folder / "企业名单.xlsx")
    assert not result.written
    rejected = sorted((i.row, i.code) for i in result.report.issues if i.status == "rejected")
    assert rejected == [(5, "value.credit_code"), (6, "value.negative_money")]


def test_writing_the_samples_shows_no_gdal_remark(tmp_path):
    """``dideng demo`` writes the samples; GDAL's remark on the cut field name (undecodable
    GBK bytes in a RuntimeWarning) is not shown to the user."""
    import warnings

    layers = build_demo()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_samples(layers, tmp_path)
    assert not [w for w in caught if "laundered" in str(w.message)], \
        [str(w.message)[:120] for w in caught]
