"""dideng's library: pure functions over GeoDataFrames (no web framework, no CLI)."""

__version__ = "0.1.0"
