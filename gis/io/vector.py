"""Raw vector readers and writers: GeoPackage, Shapefile (also zipped, GBK-aware), GeoJSON and
GeoParquet.

The readers return the file's own field names and declared CRS, geometry exactly as read (no
promotion to multi, no repair), plus an int column ``_row``: the feature's ordinal in the file,
1-based, as a user counting features in QGIS would. File-level findings (the encoding that was
used and why, an alias table beside a shapefile…) come back as :class:`~gis.report.Issue` notes.
Header mapping, validation and CRS inference happen later, elsewhere.

Shapefile encodings
-------------------
A DBF often lies about its code page: Chinese shapefiles written by older tools carry GBK bytes
with no ``.cpg`` and an LDID byte (offset 29) that says nothing or "Western", and some carry a
``.cpg`` claiming UTF-8. The bytes themselves (field names and character fields of the records)
decide, in this order:

1. an explicit ``encoding=`` argument wins;
2. text that decodes as strict UTF-8 is UTF-8 (GBK text almost never does) — unless the file
   declares a CJK multi-byte code page that also decodes it and reads as more plausible Chinese;
3. a declared multi-byte code page (``.cpg`` first, then the LDID byte) is honoured when the
   bytes decode under it; GBK, GB2312 and CP936 are read as GB18030, their superset;
4. text that decodes as GB18030 is GBK/GB18030;
5. a declared Western single-byte code page is trusted only when neither UTF-8 nor GB18030 decode;
6. otherwise the file is refused with :class:`~gis.errors.FormatError` (pass ``encoding=``).

Examples
--------
>>> import geopandas as gpd, shapely, tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> gdf = gpd.GeoDataFrame({"宗地编号": ["A1"]}, geometry=[shapely.Point(1, 2)], crs=4490)
>>> [i.code for i in write_vector(gdf, tmp / "p.shp")]
['shp.fields_renamed']
>>> back, notes = read_vector(tmp / "p.shp")
>>> back[["F1", "_row"]].to_dict("records")
[{'F1': 'A1', '_row': 1}]
"""

from __future__ import annotations

import codecs
import csv
import glob
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyogrio.errors
from pyproj import CRS

from gis.errors import CRSError, FormatError
from gis.io import check_file
from gis.report import ROW, Issue

__all__ = [
    "VECTOR_SUFFIXES",
    "list_layers",
    "read_field_table",
    "read_vector",
    "write_vector",
]

VECTOR_SUFFIXES = (".gpkg", ".shp", ".zip", ".geojson", ".json", ".parquet", ".geoparquet")

#: a zip whose members add up to more than this is refused (zip bomb guard)
MAX_UNZIPPED_BYTES = 2 * 1024**3
#: ... and so is one that expands more than this many times ...
MAX_ZIP_RATIO = 200
#: ... once it expands to more than this: a DBF of blank padded text fields compresses far
#: beyond 200:1, and a small file cannot hurt
ZIP_RATIO_FLOOR_BYTES = 64 * 1024**2
#: how much of a DBF is read to detect its encoding
DBF_SAMPLE_BYTES = 32 * 1024**2

_OGR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_FIELD_TABLE_SUFFIX = "_fields.csv"
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")

# dBase language driver ids (DBF byte 29) -> Python codec; 0 means "not declared"
_LDID = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x13: "cp932",
    0x26: "cp866",
    0x4D: "gbk",
    0x4E: "cp949",
    0x4F: "cp950",
    0x57: "cp1252",
    0x58: "cp1252",
    0x59: "cp1252",
    0x64: "cp852",
    0x65: "cp866",
    0x78: "cp950",
    0x79: "cp949",
    0x7A: "gbk",
    0x7B: "cp932",
    0x7C: "cp874",
    0x7D: "cp1255",
    0x7E: "cp1256",
    0xC8: "cp1250",
    0xC9: "cp1251",
    0xCA: "cp1254",
    0xCB: "cp1253",
}
_GBK_FAMILY = frozenset({"gbk", "gb2312", "gb18030", "cp936"})
_UTF8 = "utf-8"
_GB18030 = "gb18030"


# -- small helpers ---------------------------------------------------------------------------
def _note(code: str, zh: str, en: str, **kw: str | None) -> Issue:
    return Issue("note", code, zh, en, **kw)


def _codec(name: str) -> str | None:
    """Canonical Python codec name, or None when Python does not know it."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _label(codec: str) -> str:
    """How an encoding is named to users: GB18030 (read for GBK files) is shown as GBK."""
    if codec in _GBK_FAMILY:
        return "GBK"
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8"}.get(codec, codec.upper())


def _is_single_byte(codec: str) -> bool:
    if codec.startswith("utf"):
        return False
    high = bytes(range(0x80, 0x100))
    return len(high.decode(codec, errors="replace")) == len(high)


def _codec_from_cpg(text: str) -> str | None:
    """Codec named by a .cpg file ("UTF-8", "936", "ANSI 1252", "88591", "GBK", …)."""
    raw = text.strip().strip("\x00").strip()
    if not raw:
        return None
    m = re.fullmatch(r"(?:ANSI|CP|WINDOWS|MS)?[\s_-]*(\d{3,5})", raw, flags=re.IGNORECASE)
    if m:
        number = int(m.group(1))
        if number == 65001:
            return _UTF8
        if 88591 <= number <= 88599:  # ESRI's spelling of ISO 8859-n
            return _codec(f"iso8859-{number - 88590}")
        if 28591 <= number <= 28599:  # Windows code page ids of ISO 8859-n
            return _codec(f"iso8859-{number - 28590}")
        return _codec(f"cp{number}")
    return _codec(raw)


def _decodes(chunks: Iterable[bytes], codec: str) -> bool:
    """Every chunk decodes strictly (a multi-byte character cut at the field's end is allowed)."""
    for chunk in chunks:
        try:
            codecs.getincrementaldecoder(codec)("strict").decode(chunk, final=False)
        except UnicodeDecodeError:
            return False
    return True


def _cjk_share(chunks: Iterable[bytes], codec: str) -> float:
    """Share of the non-ASCII characters that are Chinese characters or CJK punctuation."""
    text = "".join(c.decode(codec, errors="ignore") for c in chunks)
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 0.0
    cjk = sum(
        1
        for ch in wide
        if 0x3000 <= ord(ch) <= 0x303F
        or 0x3400 <= ord(ch) <= 0x4DBF
        or 0x4E00 <= ord(ch) <= 0x9FFF
        or 0xF900 <= ord(ch) <= 0xFAFF
        or 0xFF00 <= ord(ch) <= 0xFFEF
    )
    return cjk / len(wide)


# -- DBF inspection ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _DbfText:
    """The non-ASCII text of a DBF: field names and distinct character values."""

    names: tuple[bytes, ...]
    values: tuple[bytes, ...]
    ldid: int

    @property
    def chunks(self) -> tuple[bytes, ...]:
        return self.names + self.values


def _dbf_text(data: bytes) -> _DbfText:
    """Pull field names and character values out of DBF bytes (header plus a sample)."""
    if len(data) < 33:
        raise FormatError("DBF 文件不完整", "the DBF file is truncated")
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    ldid = data[29]
    names: list[bytes] = []
    char_fields: list[tuple[int, int]] = []
    offset = 1  # the deletion flag
    pos = 32
    while pos + 32 <= min(header_len, len(data)) and data[pos] != 0x0D:
        desc = data[pos : pos + 32]
        name = desc[:11].split(b"\x00", 1)[0]
        ftype = chr(desc[11])
        length = desc[16]
        if ftype == "C":
            length += desc[17] << 8  # long character fields (FoxPro/Clipper) use the next byte
            char_fields.append((offset, length))
        if any(b > 0x7F for b in name):
            names.append(name)
        offset += length
        pos += 32
    values: set[bytes] = set()
    if record_len > 0 and char_fields and len(data) > header_len:
        n = (len(data) - header_len) // record_len
        recs = np.frombuffer(data, dtype=np.uint8, count=n * record_len, offset=header_len)
        recs = recs.reshape(n, record_len)
        recs = recs[recs[:, 0] != 0x1A]  # end-of-file marker
        for off, length in char_fields:
            block = recs[:, off : off + length]
            wide = block[(block > 0x7F).any(axis=1)]
            values.update(bytes(row).rstrip(b" \x00") for row in np.unique(wide, axis=0))
    return _DbfText(tuple(names), tuple(sorted(values)), ldid)


@dataclass(frozen=True)
class _Declared:
    codec: str | None
    source_zh: str
    source_en: str


def _declared(cpg: bytes | None, ldid: int) -> _Declared:
    if cpg is not None:
        text = cpg.decode("ascii", errors="ignore")
        codec = _codec_from_cpg(text)
        if codec is not None:
            return _Declared(codec, f"{_label(codec)}（.cpg 文件）", f"{_label(codec)} (.cpg file)")
    codec = _LDID.get(ldid)
    if codec is not None:
        codec = _codec(codec) or codec
        return _Declared(
            codec,
            f"{_label(codec)}（DBF 语言驱动标志 0x{ldid:02X}）",
            f"{_label(codec)} (DBF language driver id 0x{ldid:02X})",
        )
    return _Declared(None, "无", "nothing")


def _choose_encoding(text: _DbfText, declared: _Declared, where: str) -> tuple[str, Issue]:
    """Decide how to decode a DBF; see the module docstring for the rules."""
    chunks = text.chunks
    claimed = declared.codec
    if claimed in _GBK_FAMILY:
        claimed = _GB18030
    utf8_ok = _decodes(chunks, _UTF8)

    def detected(codec: str) -> tuple[str, Issue]:
        if declared.codec is None:
            zh = f"编码检测为 {_label(codec)}（DBF 未声明编码）"
            en = f"encoding detected as {_label(codec)} (the DBF declares none)"
        else:
            zh = f"编码检测为 {_label(codec)}（DBF 声明为 {declared.source_zh}，与内容不符）"
            en = (
                f"encoding detected as {_label(codec)} (the DBF declares {declared.source_en}, "
                "which its bytes contradict)"
            )
        note = _note("encoding.detected", f"{where}：{zh}", f"{where}: {en}", value=codec.upper())
        return codec, note

    def as_declared(codec: str, why_zh: str = "", why_en: str = "") -> tuple[str, Issue]:
        note = _note(
            "encoding.declared",
            f"{where}：按声明的编码 {declared.source_zh} 读取{why_zh}",
            f"{where}: read as declared, {declared.source_en}{why_en}",
            value=codec.upper(),
        )
        return codec, note

    multibyte = claimed is not None and claimed != _UTF8 and not _is_single_byte(claimed)
    if multibyte and claimed is not None and _decodes(chunks, claimed):
        # a CJK multi-byte declaration is honoured when it decodes, unless the bytes are UTF-8
        # and read as Chinese better that way (UTF-8 Chinese often "decodes" as GBK too)
        if utf8_ok and _cjk_share(chunks, _UTF8) > _cjk_share(chunks, claimed):
            return detected(_UTF8)
        return as_declared(claimed)
    if utf8_ok:
        return as_declared(_UTF8) if claimed == _UTF8 else detected(_UTF8)
    if _decodes(chunks, _GB18030):
        return detected(_GB18030)
    if claimed is not None and _is_single_byte(claimed):
        return as_declared(
            claimed,
            "（内容既不是 UTF-8 也不是 GBK）",
            " (the bytes are neither UTF-8 nor GBK)",
        )
    raise FormatError(
        f"{where}：无法识别 DBF 文件的字符编码（不是 UTF-8，也不是 GBK；声明为 {declared.source_zh}），"
        "请指定 encoding",
        f"{where}: cannot tell the DBF's character encoding (neither UTF-8 nor GBK; it declares "
        f"{declared.source_en}); give it with encoding=",
    )


# -- sources: a file on disk or a member of a zip ---------------------------------------------
@dataclass(frozen=True)
class _Dataset:
    """One readable dataset: its GDAL path, kind and how to reach its sidecar files."""

    gdal_path: str
    suffix: str
    stem: str
    #: how messages name it: the file name, or "archive.zip/dir/member.shp"
    label: str
    #: inside a zip: the member's path as the user named it
    inner: str | None
    #: reads a sidecar by suffix (".dbf", ".cpg"), at most ``limit`` bytes; None when absent
    sidecar: Callable[[str, int], bytes | None]


def _file_dataset(path: Path) -> _Dataset:
    def sidecar(suffix: str, limit: int) -> bytes | None:
        # the sidecar's suffix may differ in case from the .shp's (parcels.SHP, parcels.dbf)
        wanted = (path.stem + suffix).lower()
        found = next(
            (
                p
                for p in path.parent.glob(f"{glob.escape(path.stem)}.*")
                if p.name.lower() == wanted and p.is_file()
            ),
            None,
        )
        if found is None:
            return None
        with found.open("rb") as f:
            return f.read(limit)

    return _Dataset(str(path), path.suffix.lower(), path.stem, path.name, None, sidecar)


@dataclass(frozen=True)
class _Member:
    name: str  # as zipfile and GDAL see it
    display: str  # as the user named it (CP936 names re-decoded)

    @property
    def path(self) -> PurePosixPath:
        return PurePosixPath(self.display.replace("\\", "/"))

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @property
    def stem(self) -> str:
        return self.path.stem


def _display_name(info: zipfile.ZipInfo) -> str:
    """Zips made on Chinese Windows store names in CP936 without the UTF-8 flag; zipfile (and
    GDAL) read them as CP437. Recover the Chinese name for display and for ``layer=``."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode(_GB18030)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _zip_members(zf: zipfile.ZipFile, label: str) -> list[_Member]:
    """The zip's files, refusing path traversal, encryption and zip bombs."""
    total = compressed = 0
    members: list[_Member] = []
    for info in zf.infolist():
        norm = info.filename.replace("\\", "/")
        parts = PurePosixPath(norm).parts
        if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm) or ".." in parts:
            raise FormatError(
                f"{label}：压缩包含有不安全的路径 {info.filename!r}（绝对路径或 ..），拒绝读取",
                f"{label}: the zip holds an unsafe member path {info.filename!r} (absolute or "
                "with ..); refused",
            )
        if info.flag_bits & 0x1:
            raise FormatError(
                f"{label}：压缩包有密码保护，请解压后再导入",
                f"{label}: the zip is password-protected; unpack it first",
            )
        total += info.file_size
        compressed += info.compress_size
        if info.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
            continue
        members.append(_Member(info.filename, _display_name(info)))
    gib = total / 1024**3
    if total > MAX_UNZIPPED_BYTES:
        raise FormatError(
            f"{label}：压缩包解压后共 {gib:.1f} GB，超过 2 GB 上限（疑似压缩炸弹），拒绝读取",
            f"{label}: the zip expands to {gib:.1f} GB, over the 2 GB limit (a zip bomb?); refused",
        )
    ratio = total / max(compressed, 1)
    if total > ZIP_RATIO_FLOOR_BYTES and ratio > MAX_ZIP_RATIO:
        raise FormatError(
            f"{label}：压缩包压缩比 {ratio:.0f}:1，超过 {MAX_ZIP_RATIO}:1（疑似压缩炸弹），拒绝读取",
            f"{label}: the zip's compression ratio is {ratio:.0f}:1, over {MAX_ZIP_RATIO}:1 "
            "(a zip bomb?); refused",
        )
    return members


def _zip_datasets(path: Path) -> list[_Dataset]:
    label = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            members = _zip_members(zf, label)
    except zipfile.BadZipFile as e:
        raise FormatError(
            f"{label}：不是有效的 zip 文件（{e}）", f"{label}: not a valid zip ({e})"
        ) from None
    by_lower = {m.name.lower(): m for m in members}
    root = f"/vsizip/{path.resolve()}"

    def make(member: _Member) -> _Dataset:
        base = member.name[: len(member.name) - len(member.suffix)]

        def sidecar(suffix: str, limit: int) -> bytes | None:
            m = by_lower.get((base + suffix).lower())
            if m is None:
                return None
            with zipfile.ZipFile(path) as zf, zf.open(m.name) as f:
                return f.read(limit)

        return _Dataset(
            f"{root}/{member.name}",
            member.suffix,
            member.stem,
            f"{label}/{member.display}",
            member.display,
            sidecar,
        )

    return [make(m) for m in members if m.suffix in _OGR_SUFFIXES]


def _pick_zip_dataset(path: Path, layer: str | None) -> tuple[_Dataset, str | None]:
    """The dataset inside a zip, and the layer to read from it (for a GeoPackage)."""
    datasets = _zip_datasets(path)
    if not datasets:
        raise FormatError(
            f"{path.name}：压缩包中没有 Shapefile、GeoPackage 或 GeoJSON 文件",
            f"{path.name}: the zip holds no shapefile, GeoPackage or GeoJSON",
        )
    if len(datasets) == 1:
        ds = datasets[0]
        if ds.suffix == ".gpkg":
            return ds, layer
        if layer is None or layer.casefold() in _zip_keys(ds):
            return ds, None
    if layer is not None:
        hits = [d for d in datasets if layer.casefold() in _zip_keys(d)]
        if len(hits) == 1:
            return hits[0], None
    names = "、".join(_zip_names(datasets))
    names_en = ", ".join(_zip_names(datasets))
    if layer is None:
        raise FormatError(
            f"{path.name}：压缩包中有多个图层：{names}；请用 layer 指定其一",
            f"{path.name}: the zip holds several layers: {names_en}; choose one with layer=",
        )
    raise FormatError(
        f"{path.name}：压缩包中没有图层 {layer!r}，可选：{names}",
        f"{path.name}: the zip holds no layer {layer!r}; choose one of: {names_en}",
    )


def _zip_keys(ds: _Dataset) -> set[str]:
    """What ``layer=`` may say to pick a dataset in a zip: its stem, or its path in the zip."""
    inner = PurePosixPath((ds.inner or "").replace("\\", "/"))
    return {
        ds.stem.casefold(),
        inner.as_posix().casefold(),
        inner.with_suffix("").as_posix().casefold(),
    }


def _zip_names(datasets: list[_Dataset]) -> list[str]:
    stems = [d.stem for d in datasets]
    if len(set(stems)) == len(stems):
        return stems
    return [d.inner or d.stem for d in datasets]


# -- OGR reading ------------------------------------------------------------------------------
def _ogr_layers(gdal_path: str, label: str) -> list[tuple[str, str | None]]:
    try:
        raw = pyogrio.list_layers(gdal_path)
    except (pyogrio.errors.DataSourceError, OSError) as e:
        raise FormatError(f"{label}：无法打开（{e}）", f"{label}: cannot be opened ({e})") from None
    return [(str(name), None if gtype is None else str(gtype)) for name, gtype in raw]


def _pick_layer(ds: _Dataset, layer: str | None) -> str | None:
    """The layer of a (possibly multi-layer) OGR dataset to read."""
    layers = _ogr_layers(ds.gdal_path, ds.label)
    names = [n for n, _ in layers]
    if layer is not None:
        if layer in names:
            return layer
        raise FormatError(
            f"{ds.label}：没有图层 {layer!r}，可选：{'、'.join(names)}",
            f"{ds.label}: no layer {layer!r}; choose one of: {', '.join(names)}",
        )
    if len(names) <= 1:
        return names[0] if names else None
    spatial = [n for n, g in layers if g is not None]
    if len(spatial) == 1:
        return spatial[0]
    choices = spatial or names
    raise FormatError(
        f"{ds.label}：文件中有多个图层：{'、'.join(choices)}；请用 layer 指定其一",
        f"{ds.label}: the file holds several layers: {', '.join(choices)}; choose one with layer=",
    )


def _shapefile_encoding(ds: _Dataset, encoding: str | None) -> tuple[str | None, list[Issue]]:
    if encoding is not None:
        codec = _codec(encoding)
        if codec is None:
            raise FormatError(f"未知的编码 {encoding!r}", f"unknown encoding {encoding!r}")
        return encoding, [
            _note(
                "encoding.given",
                f"{ds.label}：按指定的编码 {encoding} 读取",
                f"{ds.label}: read as {encoding}, as given",
                value=encoding.upper(),
            )
        ]
    dbf = ds.sidecar(".dbf", DBF_SAMPLE_BYTES)
    if dbf is None:
        return None, []
    text = _dbf_text(dbf)
    if not text.chunks:  # plain ASCII: any encoding reads it
        return None, []
    declared = _declared(ds.sidecar(".cpg", 1024), text.ldid)
    codec, note = _choose_encoding(text, declared, ds.label)
    return (codec.upper() if codec else None), [note]


def _read_ogr(
    ds: _Dataset, layer: str | None, encoding: str | None
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    issues: list[Issue] = []
    if ds.suffix == ".shp":
        encoding, issues = _shapefile_encoding(ds, encoding)
        layer = None
    elif ds.suffix == ".gpkg":
        layer = _pick_layer(ds, layer)
        encoding = None
    else:
        layer, encoding = None, None
    try:
        try:
            info, df = _ogr_read(ds, layer, encoding=encoding)
        except UnicodeDecodeError:
            if encoding is None:
                raise
            # Writers that cut text at a byte count (GDAL itself, for field names longer than
            # 10 bytes) leave half characters behind, which strict decoding refuses. GDAL's
            # own recoding (iconv) drops them; "UTF8" is spelled so that GDAL recodes at all.
            iconv = "UTF8" if _codec(encoding) == _UTF8 else encoding.upper().replace("_", "-")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                info, df = _ogr_read(ds, layer, encoding=None, ENCODING=iconv)
            gdal_says = "；".join(dict.fromkeys(str(w.message) for w in caught))
            issues.append(
                _note(
                    "encoding.damaged_text",
                    f"{ds.label}：部分字段名或取值末尾有残缺的 {_label(_codec(encoding) or encoding)} "
                    "字符（写出程序按字节截断），已去掉残缺字节"
                    + (f"（{gdal_says}）" if gdal_says else ""),
                    f"{ds.label}: some field names or values end in a broken "
                    f"{_label(_codec(encoding) or encoding)} character (cut at a byte count by the "
                    "writer); the broken bytes were dropped"
                    + (f" ({gdal_says})" if gdal_says else ""),
                )
            )
    except UnicodeDecodeError as e:
        raise FormatError(
            f"{ds.label}：按 {encoding or '文件声明的编码'} 无法解码（{e.reason}），请指定正确的 encoding",
            f"{ds.label}: cannot be decoded as {encoding or 'the declared encoding'} "
            f"({e.reason}); give the right encoding=",
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as e:
        raise FormatError(
            f"{ds.label}：无法读取（{e}）", f"{ds.label}: cannot be read ({e})"
        ) from None
    # Date fields come back as datetime64; give them back as dates, as the file has them
    for name, ogr_type in zip(info["fields"], info["ogr_types"], strict=True):
        if ogr_type == "OFTDate" and name in df.columns:
            df[name] = _as_dates(df[name])
    if not isinstance(df, gpd.GeoDataFrame):  # a table without geometry (GeoPackage attributes)
        df = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([None] * len(df), index=df.index))
    return df, issues


def _ogr_read(
    ds: _Dataset, layer: str | None, *, encoding: str | None, **open_options: str
) -> tuple[dict[str, Any], pd.DataFrame]:
    info = pyogrio.read_info(ds.gdal_path, layer=layer, encoding=encoding, **open_options)
    df = pyogrio.read_dataframe(ds.gdal_path, layer=layer, encoding=encoding, **open_options)
    return info, df


def _as_dates(s: pd.Series) -> pd.Series:
    values = [None if pd.isna(v) else pd.Timestamp(v).date() for v in s]
    return pd.Series(values, index=s.index, dtype=object, name=s.name)


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_parquet(path)
    except ValueError as e:
        if "geo metadata" in str(e):
            raise FormatError(
                f"{path.name}：不是 GeoParquet（缺少 geo 元数据），这是普通 Parquet 表格",
                f"{path.name}: not GeoParquet (no 'geo' metadata); it is a plain Parquet table",
            ) from None
        raise FormatError(
            f"{path.name}：无法读取（{e}）", f"{path.name}: cannot be read ({e})"
        ) from None
    except (pa.ArrowException, OSError) as e:
        raise FormatError(
            f"{path.name}：不是有效的 Parquet 文件（{e}）",
            f"{path.name}: not a valid Parquet file ({e})",
        ) from None
    if isinstance(gdf.index, pd.RangeIndex):
        return gdf.reset_index(drop=True)
    return gdf.reset_index()


def _check_path(path: Path) -> str:
    return check_file(path, VECTOR_SUFFIXES, "矢量", "vector")


# -- public API -------------------------------------------------------------------------------
def list_layers(path: str | Path) -> list[str]:
    """Names that ``read_vector(path, layer=…)`` accepts.

    A GeoPackage lists its layers; a zip with several datasets lists their stems (a zip with one
    GeoPackage lists that GeoPackage's layers); single-layer files list their stem.
    """
    path = Path(path)
    suffix = _check_path(path)
    if suffix == ".gpkg":
        return [n for n, _ in _ogr_layers(str(path), path.name)]
    if suffix == ".zip":
        datasets = _zip_datasets(path)
        if len(datasets) == 1 and datasets[0].suffix == ".gpkg":
            return [n for n, _ in _ogr_layers(datasets[0].gdal_path, datasets[0].label)]
        return _zip_names(datasets)
    return [path.stem]


def read_vector(
    path: str | Path, *, layer: str | None = None, encoding: str | None = None
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Read a vector file as it is: own field names, declared CRS, geometry untouched.

    Parameters
    ----------
    path
        ``.gpkg``, ``.shp``, ``.zip`` (holding a shapefile, GeoPackage or GeoJSON),
        ``.geojson``/``.json``, ``.parquet``/``.geoparquet`` (GeoParquet).
    layer
        The layer of a GeoPackage, or the stem of one dataset in a zip. Required only when there
        are several.
    encoding
        Shapefile character encoding (e.g. ``"GBK"``); overrides detection.

    Returns
    -------
    (GeoDataFrame, notes)
        The frame carries an int column ``_row``: the feature's 1-based ordinal in the file.

    Raises
    ------
    FormatError
        Unsupported or unreadable file, ambiguous layer, unsafe zip, undecidable encoding.
    """
    path = Path(path)
    suffix = _check_path(path)
    issues: list[Issue] = []
    if suffix in _PARQUET_SUFFIXES:
        gdf = _read_parquet(path)
    elif suffix == ".zip":
        ds, inner = _pick_zip_dataset(path, layer)
        gdf, issues = _read_ogr(ds, inner, encoding)
        issues.insert(
            0,
            _note(
                "zip.member",
                f"读取压缩包中的 {ds.inner}",
                f"read {ds.inner} from the zip",
                value=ds.label,
            ),
        )
    else:
        gdf, issues = _read_ogr(_file_dataset(path), layer, encoding)
        if suffix == ".shp":
            table = _field_table_path(path)
            if table.is_file():
                issues.append(
                    _note(
                        "shp.field_table",
                        f"旁边有字段对照表 {table.name}（Shapefile 短字段名 → 原字段名）",
                        f"a field table {table.name} lies beside it (short shapefile names → "
                        "original names)",
                        value=table.name,
                    )
                )
    if ROW in gdf.columns:
        issues.append(
            _note(
                "row.replaced",
                f"文件自带的 {ROW} 列已被本次读取的行号替换",
                f"the file's own {ROW} column was replaced by this read's row numbers",
            )
        )
    gdf[ROW] = np.arange(1, len(gdf) + 1, dtype="int64")
    return gdf, issues


def read_field_table(path: str | Path) -> dict[str, str]:
    """The ``<stem>_fields.csv`` written beside a shapefile: short name → original name.

    Empty when there is none. ``path`` is the ``.shp`` (or the table itself).
    """
    path = Path(path)
    table = path if path.name.endswith(_FIELD_TABLE_SUFFIX) else _field_table_path(path)
    if not table.is_file():
        return {}
    with table.open(encoding="utf-8-sig", newline="") as f:
        return {r["shp_name"]: r["name"] for r in csv.DictReader(f)}


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    layer: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> list[Issue]:
    """Write a layer by suffix: ``.gpkg``, ``.geojson``/``.json``, ``.parquet``/``.geoparquet``,
    ``.shp`` or ``.zip`` (a zipped shapefile).

    - GeoPackage: the layer (default: the file's stem) is created or replaced; other layers of
      the file stay.
    - GeoJSON: reprojected to EPSG:4326 as RFC 7946 requires (with a note when it was not).
    - Shapefile: field names that are longer than 10 bytes or not ASCII are mapped to unique
      short ASCII names; ``<stem>_fields.csv`` beside it (shp_name, name, alias — alias from
      ``aliases``) says which is which, and a ``.cpg`` declares UTF-8. Datetimes with a time of
      day are written as text (the format has dates only).
    - Dates (``datetime.date`` values) are written as Date fields and datetimes as DateTime, so
      both come back from GeoPackage and GeoParquet as they went in.

    Returns the notes (renamed fields, reprojection).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise FormatError(
            f"{path.name}：不支持写出 {suffix or '（无扩展名）'} 格式",
            f"{path.name}: cannot write {suffix or '(no suffix)'} files",
        )
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"write_vector needs a GeoDataFrame, got {type(gdf).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    issues: list[Issue] = []
    out, text_cols = _arrow_safe(gdf)
    if text_cols:
        issues.append(
            _note(
                "write.mixed_as_text",
                f"列 {'、'.join(text_cols)} 的值类型混杂，已按文本写出",
                f"columns {', '.join(text_cols)} hold mixed value types; written as text",
            )
        )
    if suffix == ".gpkg":
        _write_ogr(out, path, driver="GPKG", layer=layer or path.stem)
    elif suffix in (".geojson", ".json"):
        issues += _write_geojson(out, path)
    elif suffix in _PARQUET_SUFFIXES:
        path.unlink(missing_ok=True)
        out.to_parquet(path, index=False)
    elif suffix == ".shp":
        issues += _write_shapefile(out, path, aliases or {})
    else:  # .zip
        stem = layer or path.stem
        with tempfile.TemporaryDirectory() as tmp:
            shp = Path(tmp) / f"{stem}.shp"
            issues += _write_shapefile(out, shp, aliases or {})
            path.unlink(missing_ok=True)
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(Path(tmp).iterdir()):
                    zf.write(f, f.name)
    return issues


# -- writing helpers --------------------------------------------------------------------------
def _arrow_safe(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A copy whose object columns Arrow can type; mixed ones become text."""
    out = gdf.copy()
    geom = gdf.geometry.name
    text_cols: list[str] = []
    for col in out.columns:
        if col == geom or out[col].dtype != object:
            continue
        try:
            pa.array(out[col], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out[col] = pd.Series(
                [None if _isna(v) else str(v) for v in out[col]], index=out.index, dtype="str"
            )
            text_cols.append(str(col))
    return out, text_cols


def _isna(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA


def _write_ogr(gdf: gpd.GeoDataFrame, path: Path, *, driver: str, **kw: object) -> None:
    try:
        with warnings.catch_warnings():
            # GDAL says so when it writes a Polygon/MultiPolygon mix as MultiPolygon
            warnings.filterwarnings("ignore", message=".*promot", category=RuntimeWarning)
            pyogrio.write_dataframe(gdf, path, driver=driver, use_arrow=True, **kw)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise FormatError(
            f"{path.name}：写出失败（{e}）", f"{path.name}: cannot be written ({e})"
        ) from None


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path) -> list[Issue]:
    issues: list[Issue] = []
    if gdf.crs is None:
        raise CRSError(
            f"{path.name}：数据没有坐标系，无法按 RFC 7946 写出 GeoJSON（WGS 84 经纬度）",
            f"{path.name}: the data has no CRS, so it cannot be written as RFC 7946 GeoJSON "
            "(WGS 84 longitude/latitude)",
        )
    if CRS.from_user_input(gdf.crs).to_epsg() != 4326:
        name = gdf.crs.name
        gdf = gdf.to_crs(4326)
        issues.append(
            _note(
                "geojson.reprojected",
                f"GeoJSON 按 RFC 7946 使用 WGS 84 经纬度（EPSG:4326），已从 {name} 转换",
                f"GeoJSON uses WGS 84 longitude/latitude (EPSG:4326) per RFC 7946; "
                f"reprojected from {name}",
            )
        )
    path.unlink(missing_ok=True)
    _write_ogr(gdf, path, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    return issues


def _shp_names(columns: list[str]) -> dict[str, str]:
    """Map each field name to a unique (case-insensitive) ASCII name of at most 10 bytes."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        if col.isascii() and 0 < len(col) <= 10 and col.upper() not in used:
            out[col] = col
            used.add(col.upper())
    for i, col in enumerate(columns, start=1):
        if col in out:
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", col)[:10] if col.isascii() else f"F{i}"
        name, n = base, 1
        while name.upper() in used:
            n += 1
            tail = f"_{n}"
            name = base[: 10 - len(tail)] + tail
        out[col] = name
        used.add(name.upper())
    return out


def _write_shapefile(gdf: gpd.GeoDataFrame, path: Path, aliases: Mapping[str, str]) -> list[Issue]:
    geom = gdf.geometry.name
    columns = [str(c) for c in gdf.columns if c != geom]
    mapping = _shp_names(columns)
    out = gdf.rename(columns=lambda c: c if c == geom else mapping[str(c)])
    for col in out.columns:
        if col != geom and pd.api.types.is_datetime64_any_dtype(out[col]):
            s = out[col]
            if (s.dropna() == s.dropna().dt.normalize()).all():
                out[col] = _as_dates(s)  # whole days: a DBF Date field
    for suffix in (*_SHP_SIDECARS, _FIELD_TABLE_SUFFIX):
        path.with_name(path.stem + suffix).unlink(missing_ok=True)
    _write_ogr(out, path, driver="ESRI Shapefile", encoding="UTF-8")
    path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    table = _field_table_path(path)
    with table.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["shp_name", "name", "alias"])
        for col in columns:
            w.writerow([mapping[col], col, aliases.get(col, "")])
    renamed = [(c, s) for c, s in mapping.items() if c != s]
    if not renamed:
        return []
    pairs_zh = "、".join(f"{c}→{s}" for c, s in renamed)
    pairs_en = ", ".join(f"{c} → {s}" for c, s in renamed)
    return [
        _note(
            "shp.fields_renamed",
            f"Shapefile 字段名最多 10 个英文字节，已改名：{pairs_zh}；对照表见 {table.name}",
            f"shapefile field names are at most 10 ASCII bytes; renamed: {pairs_en}; "
            f"see {table.name}",
            value=table.name,
        )
    ]


def _field_table_path(shp: Path) -> Path:
    return shp.with_name(shp.stem + _FIELD_TABLE_SUFFIX)
