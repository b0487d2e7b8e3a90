"""API keys: hashes from the settings or a keys file, Bearer or X-API-Key, 401 for a key nobody
knows, placeholder keys refused in production, and ``dideng key new`` end to end."""

import re
import tomllib
import zipfile

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import Settings, create_app
from api.auth import PLACEHOLDER_KEYS, hash_key, new_key
from api.errors import OGCException
from gis.cli import app as cli
from gis.errors import ValidationError
from gis.workspace import open_workspace

PLANNER_KEY, ADMIN_KEY = new_key(), new_key()


def service(workspace, **settings) -> TestClient:
    return TestClient(create_app(Settings(workspace=workspace, refresh_seconds=0, **settings)))


def can_read_log(client, headers) -> int:
    return client.get("/imports", headers=headers).status_code


def can_import(client, headers) -> int:
    """The status of an upload that passes the key check only to fail on its suffix (415):
    403/401 mean the key was not taken for an admin's. Nothing is written."""
    return client.post("/imports/parcels", headers=headers,
                       files={"file": ("x.exe", b"MZ")}).status_code


def test_keys_from_the_settings_are_hashes_with_a_role_and_a_holder(demo_gpkg):
    with service(demo_gpkg, api_keys=[f"planner:{hash_key(PLANNER_KEY)}:规划科",
                                      f"admin:{hash_key(ADMIN_KEY).upper()}:信息中心"]) as c:
        planner, admin = {"X-API-Key": PLANNER_KEY}, {"X-API-Key": ADMIN_KEY}
        assert can_read_log(c, planner) == 200 and can_read_log(c, admin) == 200
        assert can_read_log(c, {}) == 403
        assert can_import(c, planner) == 403 and can_import(c, admin) == 415
        assert can_import(c, {"X-API-Key": "demo-admin"}) == 401  # no demo keys here
        body = c.get("/imports", headers={}).json()
        assert "X-API-Key" in body["zh"] and "planner" in body["en"]


def test_keys_from_a_keys_file(demo_gpkg, tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[[key]]\nname = "规划科"\nrole = "planner"\nsha256 = "{hash_key(PLANNER_KEY)}"\n'
                    f'\n[[key]]\nname = "信息中心"\nrole = "admin"\nsha256 = "{hash_key(ADMIN_KEY)}"\n',
                    encoding="utf-8")
    with service(demo_gpkg, keys_file=keys) as c:
        assert can_read_log(c, {"X-API-Key": PLANNER_KEY}) == 200
        assert can_import(c, {"X-API-Key": PLANNER_KEY}) == 403
        assert can_import(c, {"X-API-Key": ADMIN_KEY}) == 415


@pytest.mark.parametrize("entry", [f"planner:{PLANNER_KEY}:规划科", "admin:demo-admin",
                                   "planner:" + "g" * 64])
def test_a_plain_key_in_the_settings_is_refused(demo_gpkg, entry):
    with pytest.raises(ValidationError) as err:
        create_app(Settings(workspace=demo_gpkg, api_keys=[entry]))
    assert "SHA-256" in err.value.zh and "not keys" in err.value.en
    assert PLANNER_KEY not in str(err.value)  # the message does not echo a secret


def test_a_plain_key_in_a_keys_file_is_refused(demo_gpkg, tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[[key]]\nname = "x"\nrole = "admin"\nsha256 = "{ADMIN_KEY}"\n',
                    encoding="utf-8")
    with pytest.raises(ValidationError, match=re.escape(str(keys))):
        create_app(Settings(workspace=demo_gpkg, keys_file=keys))


def test_an_unknown_role_is_refused(demo_gpkg):
    with pytest.raises(ValidationError, match="unknown role"):
        create_app(Settings(workspace=demo_gpkg, api_keys=[f"boss:{hash_key(ADMIN_KEY)}:x"]))


def test_an_unknown_key_is_a_401_with_an_ogc_body(demo_gpkg):
    with service(demo_gpkg, api_keys=[f"planner:{hash_key(PLANNER_KEY)}:规划科"]) as c:
        for headers in ({"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"},
                        {"X-API-Key": PLANNER_KEY + "x"}):
            r = c.get("/imports", headers=headers)
            assert r.status_code == 401
            body = OGCException.model_validate(r.json())
            assert body.code == "Unauthorized" and body.zh == "API 密钥无效"
            assert body.en == "unknown API key" and body.description
            assert r.headers["www-authenticate"] == "ApiKey"


def test_a_bearer_token_works_as_well(demo_gpkg):
    with service(demo_gpkg, api_keys=[f"admin:{hash_key(ADMIN_KEY)}:信息中心"]) as c:
        assert can_read_log(c, {"Authorization": f"Bearer {ADMIN_KEY}"}) == 200
        assert can_read_log(c, {"Authorization": f"bearer   {ADMIN_KEY} "}) == 200
        assert can_import(c, {"Authorization": f"Bearer {ADMIN_KEY}"}) == 415
        assert can_read_log(c, {"Authorization": f"Basic {ADMIN_KEY}"}) == 403  # not a key


@pytest.mark.parametrize("settings", [
    {"demo_keys": True},
    {"api_keys": [f"admin:{hash_key('changeme')}:x"]},
    {"api_keys": [f"planner:{hash_key('demo-planner')}:x"]},
])
def test_placeholder_and_demo_keys_are_refused_in_production(demo_gpkg, settings):
    with pytest.raises(ValidationError) as err:
        create_app(Settings(workspace=demo_gpkg, environment="production", **settings))
    assert "dideng key new" in err.value.en and "占位密钥" in err.value.zh
    create_app(Settings(workspace=demo_gpkg, **settings))  # fine in development


def test_real_keys_are_fine_in_production(demo_gpkg):
    assert "changeme" in PLACEHOLDER_KEYS
    with service(demo_gpkg, environment="production",
                 api_keys=[f"planner:{hash_key(PLANNER_KEY)}:规划科"]) as c:
        assert can_read_log(c, {"X-API-Key": PLANNER_KEY}) == 200
        assert can_read_log(c, {"X-API-Key": "demo-planner"}) == 401


def test_key_new_writes_only_the_hash_and_the_service_takes_the_key(own_gpkg, tmp_path):
    keys = tmp_path / "dideng-keys.toml"
    result = CliRunner().invoke(cli, ["key", "new", "--role", "admin", "--name", "测试",
                                      "--keys-file", str(keys)])
    assert result.exit_code == 0, result.output
    printed = re.findall(r"\bdd_[A-Za-z0-9_-]{40,}", result.output)
    assert len(printed) == 1
    key = printed[0]

    text = keys.read_text(encoding="utf-8")
    assert key not in text
    assert keys.stat().st_mode & 0o777 == 0o600
    (entry,) = tomllib.loads(text)["key"]
    assert entry == {"name": "测试", "role": "admin", "sha256": hash_key(key)}

    with service(own_gpkg, keys_file=keys) as c:
        assert can_read_log(c, {"X-API-Key": key}) == 200
        assert can_import(c, {"X-API-Key": key}) == 415  # past the admin check
        # a real import names the key's holder in the log
        parcels = open_workspace(own_gpkg).read("parcels").head(3)
        path = tmp_path / "三宗地.gpkg"
        parcels.to_file(path, layer="parcels")
        zpath = tmp_path / "三宗地.zip"
        with zipfile.ZipFile(zpath, "w") as zf:
            zf.write(path, "三宗地.gpkg")
        r = c.post("/imports/parcels", headers={"Authorization": f"Bearer {key}"},
                   files={"file": (zpath.name, zpath.read_bytes())})
        assert r.status_code == 200, r.text
        assert open_workspace(own_gpkg).import_log()["source"].iloc[-1] == "三宗地.zip (API 测试)"

    # a second key is appended, not a replacement
    assert CliRunner().invoke(cli, ["key", "new", "--role", "planner", "--keys-file",
                                    str(keys)]).exit_code == 0
    assert [k["role"] for k in tomllib.loads(keys.read_text(encoding="utf-8"))["key"]] == [
        "admin", "planner"]
