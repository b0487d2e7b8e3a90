"""Readers and writers of the files bureaus exchange (vector, table, 部标 TXT)."""

from __future__ import annotations

import codecs
from pathlib import Path

from gis.errors import FormatError

__all__ = ["check_file", "detect_text"]

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def detect_text(data: bytes) -> tuple[str, str]:
    """Decode bureau text: a BOM names its encoding; else strict UTF-8; else GB18030 (a superset
    of GBK and GB2312). Returns (text without BOM, codec: utf-8-sig | utf-16 | utf-8 | gb18030);
    raises :class:`UnicodeDecodeError` when none applies.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec), codec
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030"), "gb18030"


def check_file(path: Path, suffixes: tuple[str, ...], kind_zh: str, kind_en: str) -> str:
    """The lower-case suffix of an existing file of a supported kind, else :class:`FormatError`."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise FormatError(
            f"{path.name}：不支持的{kind_zh}格式 {suffix or '（无扩展名）'}，支持：{'、'.join(suffixes)}",
            f"{path.name}: unsupported {kind_en} format {suffix or '(no suffix)'}; "
            f"supported: {', '.join(suffixes)}",
        )
    if not path.is_file():
        raise FormatError(f"文件不存在：{path}", f"no such file: {path}")
    return suffix
