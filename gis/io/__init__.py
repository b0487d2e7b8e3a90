"""Readers and writers of the files bureaus exchange (vector, table, 部标 TXT)."""

from __future__ import annotations

from pathlib import Path

from gis.errors import FormatError

__all__ = ["check_file"]


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
