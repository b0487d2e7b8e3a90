"""The demo county 示范县: a deterministic, realistic county workspace for tours, tests and
benchmarks.

One provincial development zone, 示范经济开发区, of three parks (一区三园): 东园 装备制造,
西园 新材料 (chemicals), 南园 物流, on road grids, with about 2,500 parcels, building
footprints, approval batches 2014–2025 with partial supply, supply contracts whose dates
produce every idle case relative to :data:`DEMO_AS_OF`, about 700 enterprises with two years
of 亩均 figures, tenancies, zoning with 标准地 indicators, red lines, infrastructure and ten
investment projects — located around 119.2–119.8°E, 30.4–30.9°N (CGCS2000 zone 40).

>>> from layers.demo import DEMO_AS_OF, DEMO_CRS
>>> DEMO_AS_OF.isoformat(), DEMO_CRS
('2026-09-30', 'EPSG:4528')

``build_demo()`` returns the layers as frames (one per catalogue layer), ``build_demo(scale=100)``
a county a hundred times larger; ``write_demo(path)`` writes the workspace (``dideng demo``).
"""

from layers.demo.generate import DEMO_AS_OF, DEMO_CRS, DEMO_SEED, LAYERS, build_demo, write_demo

__all__ = ["DEMO_AS_OF", "DEMO_CRS", "DEMO_SEED", "LAYERS", "build_demo", "write_demo"]
