"""The CJK font of print maps: found in the pip-installed ``mplfonts``, registered once.

Chinese text drawn with matplotlib's default DejaVu Sans comes out as empty boxes (with a
"Glyph … missing from font" warning) — a known trap. Print maps therefore draw with a CJK font
that installs with pip: Noto Sans CJK SC, shipped by ``mplfonts`` (other CJK fonts it ships are
fallbacks). The family is set for print figures only, inside :func:`print_context`, never in the
global ``rcParams``; PDFs embed it as TrueType/CID (``pdf.fonttype`` 42) so the text stays
selectable and extractable.

>>> cjk_font().family
'Noto Sans CJK SC'
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager

from gis.errors import SetupError

__all__ = ["PREFERRED", "CJKFont", "CJKFontMissing", "cjk_font", "print_context", "print_rc"]

#: font files looked for in the ``mplfonts`` package, best first (sans serif before serif)
PREFERRED = ("NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf",
             "SourceHanSansCN-Regular.otf", "SimHei.ttf", "NotoSansMonoCJKsc-Regular.otf",
             "SourceHanSerifSC-Regular.otf", "NotoSerifCJKsc-Regular.otf")

#: one figure at a time inside the rcParams context (rcParams are process-wide)
RENDER_LOCK = threading.RLock()


class CJKFontMissing(SetupError):
    """No CJK font to draw Chinese text with."""


@dataclass(frozen=True)
class CJKFont:
    """A registered CJK font: its family name and file."""

    family: str
    path: Path


def _mplfonts_dir() -> Path | None:
    try:
        import mplfonts
    except ImportError:
        return None
    return Path(mplfonts.__file__).resolve().parent / "fonts"


@lru_cache(maxsize=1)
def cjk_font() -> CJKFont:
    """Find, register (once) and return the CJK font of print maps.

    Raises
    ------
    CJKFontMissing
        ``mplfonts`` is not installed or ships none of :data:`PREFERRED`.
    """
    folder = _mplfonts_dir()
    candidates = [folder / name for name in PREFERRED] if folder else []
    if folder and folder.is_dir():  # any other CJK font the package may ship
        candidates += sorted(p for p in folder.iterdir()
                             if p.suffix.lower() in {".otf", ".ttf"} and p not in candidates)
    for path in candidates:
        if not path.is_file():
            continue
        with RENDER_LOCK:
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
        return CJKFont(family=family, path=path)
    raise CJKFontMissing(
        "找不到中文字体：请安装 mplfonts（pip install mplfonts），其中带有 Noto Sans CJK SC；"
        "否则地图中的中文会显示为方框",
        "no CJK font found: install mplfonts (pip install mplfonts), which ships Noto Sans CJK "
        "SC; without it Chinese text in maps would print as empty boxes",
    )


def print_rc() -> dict[str, object]:
    """The rcParams of print figures: the CJK font first, TrueType embedding in PDF."""
    font = cjk_font()
    return {
        "font.family": [font.family, "DejaVu Sans"],
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "axes.unicode_minus": False,  # U+2212 is not in every CJK font
        "svg.fonttype": "none",
        "figure.max_open_warning": 0,
    }


@contextmanager
def print_context() -> Iterator[None]:
    """Build and save a print figure inside this (rcParams for this figure only, serialized)."""
    rc = print_rc()
    with RENDER_LOCK, matplotlib.rc_context(rc):
        yield
