"""The two stores behind one face: `dideng copy` between GeoPackage and PostGIS, and the CLI and
the service working unchanged on a PostGIS workspace (DIDENG_DATABASE_URL)."""

from __future__ import annotations

import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import Settings, create_app
from gis.cli import app as cli
from gis.errors import WorkspaceError
from gis.workspace import open_workspace
from gis.workspace.copy import copy_workspace, layer_digest
from layers.demo import DEMO_AS_OF, write_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("stores") / "demo.gpkg"
    write_demo(path)
    return path


def digests(location) -> dict[str, str]:
    ws = open_workspace(location)
    return {name: layer_digest(ws.read(name)) for name in ws.layers()}


def test_copy_between_geopackages_is_identical(demo, tmp_path):
    report = copy_workspace(demo, tmp_path / "copy.gpkg")
    assert digests(tmp_path / "copy.gpkg") == digests(demo)
    src, dst = open_workspace(demo), open_workspace(tmp_path / "copy.gpkg")
    assert report.rows == sum(src.info(n)["features"] for n in src.layers())
    assert dst.get_meta("demo_as_of") == DEMO_AS_OF.isoformat()
    # the history comes along, then one line of mode "copy" per layer
    log = dst.import_log()
    n = len(src.import_log())
    assert log.iloc[:n][["layer", "source", "rows_written"]].equals(
        src.import_log()[["layer", "source", "rows_written"]])
    assert log.iloc[n:]["mode"].eq("copy").all() and len(log) == n + len(src.layers())


def test_copy_refuses_an_existing_target_and_checks_the_read_back(demo, tmp_path, monkeypatch):
    copy_workspace(demo, tmp_path / "copy.gpkg", layers=["zones"])
    with pytest.raises(WorkspaceError) as exc:
        copy_workspace(demo, tmp_path / "copy.gpkg", layers=["zones"])
    assert "已存在" in exc.value.zh
    # a store that loses a row on the way is caught, not reported as a copy
    from gis.workspace.gpkg import GeoPackageWorkspace

    real = GeoPackageWorkspace.read

    def lossy(self, name, **kw):
        frame = real(self, name, **kw)
        return frame.iloc[:-1] if self.path.name == "lossy.gpkg" else frame

    monkeypatch.setattr(GeoPackageWorkspace, "read", lossy)
    with pytest.raises(WorkspaceError) as exc:
        copy_workspace(demo, tmp_path / "lossy.gpkg", layers=["zones"])
    assert "校验不一致" in exc.value.zh and "zones" in exc.value.en


def test_round_trip_through_postgis_is_lossless(demo, tmp_path, postgis_workspace_url):
    before = digests(demo)
    result = runner.invoke(cli, ["copy", "--from", str(demo), "--to", postgis_workspace_url])
    assert result.exit_code == 0, result.output
    assert "校验一致" in result.output
    password = postgis_workspace_url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    assert not password or f":{password}@" not in result.output  # shown masked
    pg = open_workspace(postgis_workspace_url)
    assert pg.crs.to_epsg() == 4528
    assert digests(postgis_workspace_url) == before
    zones = pg.read("zones").set_index("zone_id")
    assert zones.loc["KFQ-DY", "name"] == open_workspace(demo).read("zones").set_index(
        "zone_id").loc["KFQ-DY", "name"]
    back = tmp_path / "back.gpkg"
    result = runner.invoke(cli, ["copy", "--from", postgis_workspace_url, "--to", str(back)])
    assert result.exit_code == 0, result.output
    assert digests(back) == before
    parcels_a, parcels_b = open_workspace(demo).read("parcels"), open_workspace(back).read(
        "parcels")
    assert shapely.equals_exact(parcels_a.geometry.values, parcels_b.geometry.values,
                                tolerance=0).all()
    # without --overwrite an existing target is refused with exit code 3 (workspace error)
    again = runner.invoke(cli, ["copy", "--from", str(demo), "--to", postgis_workspace_url])
    assert again.exit_code == 3 and "已存在" in again.output


def test_cli_and_service_work_unchanged_on_postgis(demo, tmp_path, postgis_workspace_url,
                                                   monkeypatch):
    copy_workspace(demo, postgis_workspace_url)
    local = tmp_path / "local.gpkg"
    copy_workspace(demo, local)
    day = DEMO_AS_OF.isoformat()
    monkeypatch.delenv("DIDENG_WORKSPACE", raising=False)
    monkeypatch.setenv("DIDENG_DATABASE_URL", postgis_workspace_url)
    on_pg = runner.invoke(cli, ["cleanup", "--as-of", day])
    assert on_pg.exit_code == 0, on_pg.output
    monkeypatch.delenv("DIDENG_DATABASE_URL")
    on_file = runner.invoke(cli, ["cleanup", "--as-of", day, "-w", str(local)])
    assert on_file.exit_code == 0, on_file.output
    pg, gp = open_workspace(postgis_workspace_url), open_workspace(local)
    for name in ("idle", "unsupplied_batches", "unsupplied_pieces", "low_efficiency"):
        assert layer_digest(pg.read(name)) == layer_digest(gp.read(name)), name
    assert len(pg.read("unsupplied_pieces")) > 0

    with TestClient(create_app(Settings(database_url=postgis_workspace_url,
                                        refresh_seconds=0))) as client:
        page = client.get("/collections/parcels/items", params={"limit": 5})
        assert page.status_code == 200
        reserve = (gp.read("parcels")["status"] == "reserve").sum()
        assert page.json()["numberMatched"] == reserve  # the public sees reserve parcels
        missing = client.get("/collections/nope/items")
        assert missing.status_code == 404


def test_copy_onto_its_own_source_is_refused_even_with_overwrite(demo, tmp_path, monkeypatch,
                                                                 postgis_workspace_url):
    monkeypatch.chdir(demo.parent)
    with pytest.raises(WorkspaceError) as exc:
        copy_workspace(demo, demo.name, overwrite=True)  # the same file, written another way
    assert "相同" in exc.value.zh
    assert open_workspace(demo).layers()  # untouched
    copy_workspace(demo, postgis_workspace_url, layers=["zones"])
    host, rest = postgis_workspace_url.split("@", 1)
    other_spelling = f"{host}@{rest.replace('localhost:5432', 'localhost')}&sslmode=prefer"
    with pytest.raises(WorkspaceError):
        copy_workspace(postgis_workspace_url, other_spelling, overwrite=True)
    assert open_workspace(postgis_workspace_url).layers() == ["zones"]


def test_both_workspace_variables_set_differently_is_an_error(demo, monkeypatch):
    monkeypatch.setenv("DIDENG_WORKSPACE", str(demo))
    monkeypatch.setenv("DIDENG_DATABASE_URL", "postgresql://u@localhost/db")
    result = runner.invoke(cli, ["layers"])
    assert result.exit_code == 3
    assert "同时设置" in result.output and "ambiguous" in result.output


def test_the_service_refuses_two_different_workspaces_too(demo):
    settings = Settings(workspace=demo, database_url="postgresql://u@localhost/db")
    with pytest.raises(WorkspaceError) as exc:
        create_app(settings)
    assert "同时设置" in exc.value.zh and "ambiguous" in exc.value.en
    with pytest.raises(WorkspaceError) as exc:
        create_app(Settings(database_url=str(demo)))  # a file is not a database URL
    assert "postgresql://" in exc.value.en
