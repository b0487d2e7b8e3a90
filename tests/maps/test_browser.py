"""The HTML maps in headless Chromium: Leaflet runs, groups and legend show, no JS errors, and
a poisoned name stays text (no alert, no injected <img>). Offline: basemap none, Leaflet inline.

``python -m tests.maps.test_browser docs/maps/match_map.png`` writes the README screenshot.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from gis.access import Role
from tests.maps.conftest import PAYLOAD

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver"
                                          if Path("/usr/bin/chromedriver").exists() else None)

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="chromium and chromedriver are needed for browser tests")


def make_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,860",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"):
        options.add_argument(arg)  # a dead proxy: nothing may come from the network
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


@pytest.fixture(scope="module")
def driver():
    d = make_driver()
    yield d
    d.quit()


HOOK = "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"


def load(driver, path: Path) -> None:
    driver.get(path.as_uri())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ready = driver.execute_script(
            "return typeof L !== 'undefined' && "
            "document.querySelectorAll('.leaflet-control-layers-overlays label').length > 0")
        if ready:
            return
        time.sleep(0.1)
    raise AssertionError(f"Leaflet did not start on {path.name}")


def severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def write(m, path: Path) -> Path:
    path.write_text(m.get_root().render(), encoding="utf-8")
    return path


def maps(d, *, role=Role.planner):
    from gis.maps.interactive import cleanup_map, match_map, park_map, permu_map

    return {
        "cleanup": lambda: cleanup_map(d.cleanup, d.layers, basemap="none"),
        "evaluation": lambda: permu_map(d.evaluation, d.layers, basemap="none"),
        "match": lambda: match_map(d.answer, d.with_results, basemap="none"),
        "park": lambda: park_map(d.with_results, "KFQ-DY", role=role, basemap="none"),
    }


@pytest.mark.parametrize("name", ["cleanup", "evaluation", "match", "park"])
def test_map_renders(driver, demo, tmp_path, name):
    m = maps(demo, role=Role.public)[name]()
    page = write(m, tmp_path / f"{name}.html")
    load(driver, page)
    labels = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(l => l.textContent.trim())")
    from tests.maps.conftest import groups

    assert set(groups(m)) <= set(labels)
    legend = driver.find_element("id", "dd-legend")
    assert legend.is_displayed() and len(legend.text) > 10
    drawn = driver.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path').length")
    assert drawn > 0
    driver.save_screenshot(str(tmp_path / f"{name}.png"))
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert severe(driver) == []


@pytest.mark.parametrize("name", ["match", "park", "cleanup"])
def test_payload_stays_text(driver, poisoned, tmp_path, name):
    page = write(maps(poisoned)[name](), tmp_path / f"xss_{name}.html")
    load(driver, page)
    driver.execute_script(HOOK)
    # open the popup and the tooltip of features of every group, collect what they show
    found = driver.execute_script("""
        var texts = [];
        var paths = document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive');
        paths.forEach(function (p, i) { if (i % 7 === 0 || i < 40) {
            p.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
            p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 5, clientY: 5}));
            document.querySelectorAll('.leaflet-popup-content, .leaflet-tooltip')
              .forEach(function (e) { texts.push(e.textContent); });
        } });
        texts.push(document.getElementById('dd-legend').textContent);
        texts.push(document.title);
        return texts.join('\\n');""")
    assert PAYLOAD in found  # shown literally, as text
    assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert driver.execute_script("return window.__alerts") == []
    assert severe(driver) == []


def screenshot(out: Path) -> Path:
    """The README screenshot: the match map of the demo's first project."""
    from layers.demo import build_demo
    from tests.maps.conftest import _analyse

    d = _analyse(build_demo())
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    page = write(maps(d)["match"](), out.with_suffix(".html"))
    drv = make_driver()
    try:
        load(drv, page)
        time.sleep(0.5)
        drv.save_screenshot(str(out))
    finally:
        drv.quit()
        page.unlink()
    return out


if __name__ == "__main__":  # pragma: no cover
    print(screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/maps/match_map.png")))
