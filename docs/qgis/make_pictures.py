"""Make the README's QGIS pictures with QGIS itself (PyQGIS, headless).

Run with the Python that has QGIS (Debian: ``apt-get install python3-qgis qgis-providers
fonts-noto-cjk``), against a running service::

    dideng serve &                                   # the demo county on :8000
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 docs/qgis/make_pictures.py http://127.0.0.1:8000

It does what a planner does by hand — a new "OGC API – Features" (WFS / OGC API) connection
with the service's URL, then layers added from it — and saves:

* ``docs/qgis/connection.png``: QGIS's connection dialog with the URL to paste;
* ``docs/qgis/map.png``: the zones, reserve parcels and usable unsupplied pieces as QGIS
  draws them from the service (public, no key), in the county's Gauss-Krüger CRS.

It also prints the feature count QGIS read per layer, so it doubles as a check that QGIS reads
the service. Not run by the tests (QGIS is not a Python dependency of dideng).
"""

from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFillSymbol,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsPalLayerSettings,
    QgsProject,
    QgsRectangle,
    QgsTextFormat,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QFont

HERE = Path(__file__).resolve().parent

STYLES = {  # layer -> (title, fill, outline)
    "zones": ("园区 Zones", "255,255,255,0", "#1f4e79"),
    "parcels": ("储备宗地 Reserve parcels", "#f4a261", "#9c4a00"),
    "unsupplied_pieces": ("可供应批而未供 Usable unsupplied", "#2a9d8f", "#10564e"),
}


def connection_picture(base: str, out: Path) -> None:
    from qgis.gui import QgsNewHttpConnection

    dialog = QgsNewHttpConnection(None, QgsNewHttpConnection.ConnectionWfs,
                                  "qgis/connections-wfs/", "",
                                  QgsNewHttpConnection.FlagShowHttpSettings)
    dialog.setWindowTitle("新建 WFS / OGC API – Features 连接")
    from qgis.PyQt.QtWidgets import QLineEdit

    for edit in dialog.findChildren(QLineEdit):
        if edit.objectName() == "txtName":
            edit.setText("地等 dideng 示范县")
        elif edit.objectName() == "txtUrl":
            edit.setText(base + "/")
    dialog.resize(640, 560)
    dialog.grab().save(str(out))


def map_picture(base: str, out: Path) -> dict[str, int]:
    counts = {}
    layers = []
    for name, (title, fill, outline) in STYLES.items():
        layer = QgsVectorLayer(f"url='{base}' typename='{name}'", title, "OAPIF")
        if not layer.isValid():
            raise SystemExit(f"QGIS could not open {name} from {base}")
        counts[name] = layer.featureCount()
        layer.setRenderer(layer.renderer().clone())
        layer.renderer().setSymbol(QgsFillSymbol.createSimple(
            {"color": fill, "outline_color": outline, "outline_width": "0.4"}))
        if name == "zones":
            fmt = QgsTextFormat()
            fmt.setFont(QFont("Noto Sans CJK SC"))
            fmt.setSize(11)
            fmt.setColor(QColor("#1f4e79"))
            fmt.buffer().setEnabled(True)
            fmt.buffer().setSize(1.2)
            label = QgsPalLayerSettings()
            label.fieldName = "name"
            label.setFormat(fmt)
            layer.setLabeling(QgsVectorLayerSimpleLabeling(label))
            layer.setLabelsEnabled(True)
        QgsProject.instance().addMapLayer(layer)
        layers.append(layer)
    crs = QgsCoordinateReferenceSystem("EPSG:4528")
    settings = QgsMapSettings()
    settings.setLayers(list(reversed(layers)))
    settings.setDestinationCrs(crs)
    settings.setBackgroundColor(QColor("white"))
    settings.setOutputSize(QSize(1200, 900))
    from qgis.core import QgsCoordinateTransform

    zones = layers[0]
    to_gk = QgsCoordinateTransform(zones.crs(), crs, QgsProject.instance())
    extent: QgsRectangle = to_gk.transformBoundingBox(zones.extent())
    extent.scale(1.05)
    settings.setExtent(extent)
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(out))
    return counts


def main() -> None:
    base = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000").rstrip("/")
    app = QgsApplication([], True)
    app.initQgis()
    try:
        connection_picture(base, HERE / "connection.png")
        counts = map_picture(base, HERE / "map.png")
        for name, n in counts.items():
            print(f"QGIS read {n} features from {base}/collections/{name}")
    finally:
        app.exitQgis()


if __name__ == "__main__":
    main()
