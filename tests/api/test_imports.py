"""POST /imports/{layer} and GET /imports: every format through the service, the guards of an
upload (key, size, suffix, zips), and the live index taking the change by update."""

import asyncio
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, box

from api import imports
from api.imports import SUFFIXES, ImportAnswer, ImportLogLine
from gis.workspace import open_workspace
from layers import catalogue
from layers.demo.samples import write_samples
from tests.api.conftest import ADMIN, PLANNER, make_app


@pytest.fixture(scope="module")
def samples(demo_gpkg, tmp_path_factory) -> Path:
    """The bureau sample files (GBK shapefile, 部标 TXT, enterprise list) cut from the demo."""
    ws = open_workspace(demo_gpkg)
    folder = tmp_path_factory.mktemp("samples")
    write_samples({n: ws.read(n) for n in ("parcels", "approvals", "enterprises")}, folder)
    return folder


@pytest.fixture
def uploads(tmp_path, monkeypatch) -> Path:
    """The folder the service saves uploads in (to check it is left empty)."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def api(own_gpkg, uploads):
    """A client of the service over a private workspace; no upload may be left behind."""
    with TestClient(make_app(own_gpkg)) as client:
        yield client
    assert not list(uploads.iterdir()), "an upload was left on disk"


def post(client, layer, path: Path, *, name: str | None = None, headers=ADMIN, **form):
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()}
    with path.open("rb") as fh:
        return client.post(f"/imports/{layer}", headers=headers, data=data,
                           files={"file": (name or path.name, fh)})


def answer(response, status=200) -> ImportAnswer:
    assert response.status_code == status, response.text
    return ImportAnswer.model_validate(response.json())


def log_of(path: Path) -> pd.DataFrame:
    return open_workspace(path).import_log()


def zip_folder(files: list[Path], zpath: Path, inner: str = "") -> Path:
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f"{inner}{f.name}")
    return zpath


# -- every format ---------------------------------------------------------------------------------
def test_geojson_of_modified_parcels_replaces_the_layer(api, own_gpkg, tmp_path):
    parcels = open_workspace(own_gpkg).read("parcels").head(5)
    parcels["name"] = parcels["name"] + "·改"
    path = tmp_path / "宗地修改.geojson"
    parcels.to_crs(4490).to_file(path, driver="GeoJSON")  # CGCS2000 degrees, as sent

    got = answer(post(api, "parcels", path))
    assert got.written and got.rows_written == 5 and got.layer == "parcels"
    assert got.report.source == "宗地修改.geojson" and got.report.counts.rejected == 0
    now = open_workspace(own_gpkg).read("parcels").set_index("parcel_id")
    before = parcels.set_index("parcel_id")
    assert sorted(now.index) == sorted(before.index)
    assert (now["name"] == before.loc[now.index, "name"]).all()
    assert now.area.to_numpy() == pytest.approx(before.loc[now.index].area.to_numpy(), rel=1e-6)


def test_zipped_gbk_shapefile_keeps_its_chinese(api, own_gpkg, samples, tmp_path):
    shp = samples / "东园宗地.shp"
    zpath = zip_folder(sorted(samples.glob("东园宗地.*")), tmp_path / "东园宗地.zip", "成果/")
    got = answer(post(api, "parcels", zpath))
    assert got.written and got.rows_written == 60
    codes = {i.code for i in got.report.issues}
    assert {"encoding.detected", "crs.inferred_gauss_kruger"} <= codes
    # messages name the file the user sent, never the service's temporary copy
    text = " ".join(i.zh + i.en + (i.value or "") for i in got.report.issues)
    assert "upload.zip" not in text and "dideng-upload" not in text
    detected = next(i for i in got.report.issues if i.code == "encoding.detected")
    assert detected.zh.startswith("东园宗地.zip/成果/东园宗地.shp：编码检测为 GBK")
    sent = gpd.read_file(shp, encoding="GBK")
    now = open_workspace(own_gpkg).read("parcels")
    assert sorted(now["name"]) == sorted(sent["地块名称"])  # 东园… survives GBK


def test_geoparquet(api, own_gpkg, tmp_path):
    parcels = open_workspace(own_gpkg).read("parcels")
    path = tmp_path / "parcels.parquet"
    parcels.iloc[:100].to_parquet(path)
    got = answer(post(api, "parcels", path))
    assert got.rows_written == 100
    assert len(open_workspace(own_gpkg).read("parcels")) == 100


def test_txt_approvals_with_defaults(api, own_gpkg, samples):
    got = answer(post(api, "approvals", samples / "批次红线.txt",
                      defaults="approved_on=2016-05-01；kind=城市批次"))
    assert got.written and got.rows_written == 3
    assert "value.default" in {i.code for i in got.report.issues}
    approvals = open_workspace(own_gpkg).read("approvals")
    assert len(approvals) == 3 and (approvals["kind"] == "batch").all()  # 城市批次 → its code
    assert (approvals["approved_on"] == pd.Timestamp("2016-05-01")).all()


def test_csv_of_projects_with_chinese_headers(api, own_gpkg, tmp_path):
    projects = open_workspace(own_gpkg).read("projects")
    headers = {f.name: f.zh for f in catalogue["projects"].fields}
    path = tmp_path / "项目库.csv"
    projects.rename(columns=headers).to_csv(path, index=False, encoding="utf-8-sig")
    got = answer(post(api, catalogue["projects"].zh, path))  # the Chinese name works too
    assert got.layer == "projects" and got.rows_written == len(projects)
    now = open_workspace(own_gpkg).read("projects").set_index("project_id")
    assert sorted(now.index) == sorted(projects["project_id"])
    assert (now["name"] == projects.set_index("project_id").loc[now.index, "name"]).all()


def test_defaults_that_do_not_parse_are_a_400(api, samples):
    r = post(api, "approvals", samples / "批次红线.txt", defaults="approved_on")
    assert r.status_code == 400 and "FIELD=VALUE" in r.json()["en"]


# -- rejects ------------------------------------------------------------------------------------
def test_rejected_rows_change_nothing_until_allowed(api, own_gpkg, samples):
    ws = open_workspace(own_gpkg)
    before, log_before = ws.read("enterprises"), ws.import_log()
    stamp = ws.stamps()["enterprises"]

    r = post(api, "enterprises", samples / "企业名单.xlsx")
    got = answer(r, 422)
    assert not got.written and got.rows_written == 0 and got.report.counts.rejected == 2
    not_written = next(i for i in got.report.issues if i.code == "import.not_written")
    assert "allow_rejects=true" in not_written.zh and "allow_rejects=true" in not_written.en
    pd.testing.assert_frame_equal(ws.read("enterprises"), before)
    assert ws.stamps()["enterprises"] == stamp
    assert len(ws.import_log()) == len(log_before)

    got = answer(post(api, "enterprises", samples / "企业名单.xlsx", allow_rejects=True))
    assert got.written and got.rows_written == 38
    rejected = sorted((i.row, i.code, i.field) for i in got.report.issues
                      if i.status == "rejected")
    assert rejected == [(5, "value.credit_code", "credit_code"),
                        (6, "value.negative_money", "tax_wan")]
    assert all(i.zh and i.en for i in got.report.issues)
    assert len(ws.read("enterprises")) == 38


def test_the_import_log_names_the_file_and_the_key_holder(api, own_gpkg, samples):
    answer(post(api, "approvals", samples / "批次红线.txt",
                defaults="approved_on=2016-05-01;kind=城市批次"))
    r = api.get("/imports", headers=PLANNER)
    assert r.status_code == 200
    lines = [ImportLogLine.model_validate(x) for x in r.json()]
    assert len(lines) == len(log_of(own_gpkg))
    last = lines[-1]
    assert last.layer == "approvals" and last.source == "批次红线.txt (API demo-admin)"
    assert last.rows_written == 3 and last.at is not None and len(last.sha256 or "") == 64
    assert api.get("/imports").status_code == 403  # the public does not read the log


# -- the guards ---------------------------------------------------------------------------------
def _geojson(tmp_path: Path, rows: int) -> Path:
    x, y = 40_452_000.0, 3_392_000.0
    frame = gpd.GeoDataFrame(
        {"parcel_id": [f"330599001001GB9{i:04d}" for i in range(rows)],
         "name": ["测试地块"] * rows, "land_use": ["1001"] * rows},
        geometry=[MultiPolygon([box(x + 10 * i, y, x + 10 * i + 9, y + 9)]) for i in range(rows)],
        crs=4528)
    path = tmp_path / "big.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def _never(*args, **kwargs):
    raise AssertionError("the endpoint was reached")


def test_an_upload_over_the_limit_is_a_413_and_writes_nothing(own_gpkg, uploads, tmp_path,
                                                              monkeypatch):
    app = make_app(own_gpkg, max_upload_mb=0.001)  # 1 048 bytes
    ws = open_workspace(own_gpkg)
    stamps, log = ws.stamps(), len(ws.import_log())
    small = _geojson(tmp_path, 5)  # over the limit, within the multipart allowance
    assert 1048 < small.stat().st_size < 60_000
    with TestClient(app) as client:
        r = post(client, "parcels", small)
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "PayloadTooLarge" and "0.001 MB" in r.json()["en"]
        monkeypatch.setattr(imports, "_save", _never)  # the rest is refused before the endpoint
        big = _geojson(tmp_path, 600)  # over limit + allowance: refused on Content-Length
        assert big.stat().st_size > 70_000
        r = post(client, "parcels", big)
        assert r.status_code == 413 and "DIDENG_MAX_UPLOAD_MB" in r.json()["zh"]

        # no Content-Length (chunked): the body is counted as it arrives
        boundary = "dideng-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"big.geojson\"\r\n\r\n").encode() + big.read_bytes() + \
            f"\r\n--{boundary}--\r\n".encode()
        chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
        r = client.post("/imports/parcels", content=chunks, headers={
            **ADMIN, "content-type": f"multipart/form-data; boundary={boundary}"})
        assert r.status_code == 413 and r.json()["code"] == "PayloadTooLarge"
    assert ws.stamps() == stamps and len(ws.import_log()) == log
    assert not list(uploads.iterdir())


@pytest.mark.parametrize(("key", "status"), [("demo-planner", 403), ("", 403),
                                             ("nope", 401), ("demo-admin", 413)])
def test_an_upload_is_refused_before_its_body_is_read(own_gpkg, key, status):
    """A declared gigabyte from a planner, the public or an unknown key is refused without
    reading a byte of it; so is a gigabyte from an admin (over the limit)."""
    app = make_app(own_gpkg)
    reads, sent = [], []

    async def receive():
        reads.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"multipart/form-data; boundary=b"),
               (b"content-length", str(10**9).encode())]
    if key:
        headers.append((b"x-api-key", key.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/imports/parcels",
             "raw_path": b"/imports/parcels", "root_path": "", "query_string": b"",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == status
    assert reads == []


@pytest.mark.parametrize("name", ["宗地.shp", "setup.exe", "parcels", "宗地.GPKG.bak",
                                  "../../etc/passwd"])
def test_a_suffix_off_the_list_is_a_415(api, tmp_path, name):
    path = tmp_path / "f.bin"
    path.write_bytes(b"GPKG")
    r = post(api, "parcels", path, name=name)
    assert r.status_code == 415, r.text
    body = r.json()
    assert body["code"] == "UnsupportedMediaType" and all(s in body["en"] for s in SUFFIXES)
    if name.endswith(".shp"):
        assert ".zip" in body["zh"] and ".dbf" in body["zh"]


def test_the_client_file_name_is_never_a_path(api, own_gpkg, tmp_path):
    path = _geojson(tmp_path, 3)
    got = answer(post(api, "parcels", path, name="../../outside/..\\evil.geojson"))
    assert got.rows_written == 3 and got.report.source == "evil.geojson"
    assert not (tmp_path / "outside").exists()
    assert log_of(own_gpkg)["source"].iloc[-1] == "evil.geojson (API demo-admin)"


@pytest.mark.parametrize("evil", ["../../etc/evil.shp", "/tmp/evil.shp", "a/../../evil.dbf"])
def test_a_zip_with_path_traversal_is_a_400(api, own_gpkg, tmp_path, evil):
    stamps = open_workspace(own_gpkg).stamps()
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr(evil, b"\x00" * 10)
    r = post(api, "parcels", zpath)
    assert r.status_code == 400, r.text
    assert "不安全的路径" in r.json()["zh"] and evil in r.json()["en"]
    assert "upload" not in r.json()["en"]  # the user's file name, not the saved copy's
    assert open_workspace(own_gpkg).stamps() == stamps


def test_a_zip_bomb_is_a_400(api, tmp_path):
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("bomb.dbf", "w") as member:
        zeros = b"\x00" * (1 << 20)
        for _ in range(80):  # 80 MB of zeros → ~80 KB: over the 64 MB floor at ~1000:1
            member.write(zeros)
    assert zpath.stat().st_size < 200_000
    r = post(api, "parcels", zpath)
    assert r.status_code == 400, r.text
    assert "压缩比" in r.json()["zh"] and "zip bomb" in r.json()["en"]


def test_only_an_admin_imports(api, samples, tmp_path):
    txt = samples / "批次红线.txt"
    for headers, status in (({}, 403), (PLANNER, 403), ({"X-API-Key": "nope"}, 401)):
        r = post(api, "approvals", txt, headers=headers)
        assert r.status_code == status, r.text
        assert r.json()["code"] in ("Forbidden", "Unauthorized")
    r = post(api, "approvals", txt, headers={"Authorization": "Bearer demo-admin"},
             defaults="approved_on=2016-05-01;kind=城市批次")
    assert r.status_code == 200, r.text


def test_an_unknown_layer_is_a_404(api, samples):
    for layer in ("nosuch", "idle"):  # result layers are computed, not imported
        r = post(api, layer, samples / "批次红线.txt")
        assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_a_file_that_is_not_what_it_says_is_a_400(api, tmp_path):
    for name, content in (("parcels.geojson", b"{not json"), ("parcels.gpkg", b"GPKG nonsense"),
                          ("x.txt", "随便写点".encode()), ("empty.csv", b"")):
        path = tmp_path / name
        path.write_bytes(content)
        r = post(api, "parcels", path)
        assert r.status_code == 400, (name, r.text)
        assert r.json()["zh"] and r.json()["en"]


def test_the_route_is_documented(api):
    spec = api.get("/openapi.json").json()
    post_ = spec["paths"]["/imports/{layer}"]["post"]
    assert {"413", "415", "422"} <= set(post_["responses"])
    assert post_["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ImportAnswer")
    assert "imports" in post_["tags"]
    assert "get" in spec["paths"]["/imports"]


# -- the live index -------------------------------------------------------------------------------
def _ids_in(store, bbox) -> set[str]:
    snap, iids = store.query("parcels", bbox)
    return set(snap.ids[snap.frame.index.get_indexer(iids)].tolist())


def test_an_import_updates_the_live_index_in_place(api, own_gpkg, tmp_path):
    store = api.app.state.store
    parcels = open_workspace(own_gpkg).read("parcels")
    store.snapshot("parcels")  # served before the import: the index exists
    updates = store.index_updates("parcels")

    xmin, ymin, xmax, ymax = parcels.total_bounds
    gone, moved = parcels.iloc[10], parcels.iloc[20]
    gone_box, moved_box = tuple(gone.geometry.bounds), tuple(moved.geometry.bounds)
    assert moved.parcel_id in _ids_in(store, moved_box)
    dx = xmax - xmin + 5_000  # moved clear off the county, eastwards
    new = parcels.iloc[[0]].copy()
    new["parcel_id"] = "330599001001GB99999"
    new["name"] = "新增地块"
    new = new.set_geometry([MultiPolygon([box(xmin - 3_000, ymin - 3_000, xmin - 2_800,
                                              ymin - 2_800)])], crs=parcels.crs)
    changed = parcels.drop(index=gone.name).copy()
    changed.loc[moved.name, "geometry"] = translate(moved.geometry, xoff=dx)
    changed = pd.concat([changed, new], ignore_index=True)
    path = tmp_path / "宗地更新.parquet"
    changed.to_parquet(path)

    got = answer(post(api, "parcels", path))
    assert got.rows_written == len(parcels)

    assert store.index_updates("parcels") == updates + 1  # updated in place, not rebuilt
    assert "330599001001GB99999" in _ids_in(store, (xmin - 3_000, ymin - 3_000, xmin - 2_900,
                                                    ymin - 2_900))
    assert gone.parcel_id not in _ids_in(store, gone_box)
    assert moved.parcel_id not in _ids_in(store, moved_box)
    assert moved.parcel_id in _ids_in(store, (moved_box[0] + dx, moved_box[1],
                                              moved_box[2] + dx, moved_box[3]))
    snap, iids = store.query("parcels", (xmin - 10_000, ymin - 10_000, xmax + dx + 10_000,
                                         ymax + 10_000))
    assert len(iids) == len(snap.frame) == len(parcels)
