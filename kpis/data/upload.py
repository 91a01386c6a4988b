"""An export uploaded in the browser: unpack it safely into a folder ``run_import`` can read, and
say which pseudonym key the import will use.

A zip holds CSV or Parquet files (in its root or in one folder); a workbook is one .xlsx. A zip is
never trusted: names that climb out of the folder, links and oversized contents are refused
before anything is written.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath

from kpis.data.cpr import masked
from kpis.data.errors import ImportRefused
from kpis.data.pseudonym import DEMO_KEY, MIN_KEY_BYTES, MissingKey, resolve_key
from kpis.data.readers import DATA_SUFFIXES, WORKBOOK_SUFFIX
from kpis.settings import PrivacySettings

MAX_UNPACKED_BYTES = 4 * 1024**3  # a national five-year export is far below this
MAX_FILES = 200
ACCEPTED_SUFFIXES = (".zip", WORKBOOK_SUFFIX)
UPLOAD_DIR_PREFIX = "pejlemaerker-upload-"  # the temporary folder an upload is unpacked into
DEMO_SOURCE_PREFIX = "pejlemaerker-demo-"  # the temporary folder the demo is generated into
_UPLOAD_DIR = re.compile(rf"^.*[/\\]{UPLOAD_DIR_PREFIX}[^/\\]+[/\\]")
DEMO_SOURCE_DA = "demokommunen (dannet ved første start)"


def source_label(source: str) -> str:
    """An import's source as a person reads it: an upload's temporary folder becomes "upload:",
    the demo's generated folder says that it is the demo."""
    if Path(source).name.startswith(DEMO_SOURCE_PREFIX):
        return DEMO_SOURCE_DA
    return _UPLOAD_DIR.sub("upload: ", source)


def unpack(name: str, data: bytes, dest: Path) -> Path:
    """The path to import: the folder holding the zip's data files, or the saved workbook.

    The import records this path as its source: a CPR number in the upload's name or in a folder or
    file name in the zip is masked in it.
    """
    name = masked(name)
    suffix = Path(name).suffix.lower()
    dest.mkdir(parents=True, exist_ok=True)
    if suffix == WORKBOOK_SUFFIX:
        target = dest / Path(name).name
        target.write_bytes(data)
        return target
    if suffix != ".zip":
        raise ImportRefused(
            f"{name}: upload en zip-fil med CSV-filer eller en Excel-projektmappe (.xlsx).")
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise ImportRefused(f"{name} er ikke en gyldig zip-fil.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_members(name, members)
        # Named after the upload: the import records this path as its source.
        root = dest / (re.sub(r"[^\w.-]+", "_", Path(name).stem).strip("._") or "eksport")
        try:
            _extract(name, archive, members, root)
        except ImportRefused:
            shutil.rmtree(root, ignore_errors=True)  # nothing half-unpacked is left behind
            raise
    return _data_folder(name, root)


# What reading a damaged zip raises: sizes in the headers that do not match the data (a checksum
# error, as zipfile reads no further than the declared size), a cut-off stream, a broken deflate
# stream, or an encrypted or unsupported entry.
_DAMAGED = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError)


def _extract(name: str, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo],
             root: Path) -> None:
    for member in members:
        target = root.joinpath(*(masked(p) for p in PurePosixPath(member.filename).parts))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(member) as src, target.open("wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
        except _DAMAGED:
            raise ImportRefused(
                f"{name} er beskadiget: filen {member.filename!r} kan ikke pakkes ud (zip-filens "
                "oplysninger om størrelse og kontrolsum passer ikke med indholdet)."
            ) from None


def _check_members(name: str, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_FILES:
        raise ImportRefused(f"{name} indeholder {len(members)} filer; højst {MAX_FILES}.")
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise ImportRefused(f"{name} fylder for meget pakket ud.")
    for m in members:
        path = PurePosixPath(m.filename.replace("\\", "/"))
        mode = (m.external_attr >> 16) & 0o170000
        if path.is_absolute() or ".." in path.parts or mode == 0o120000:
            raise ImportRefused(f"{name}: filen {m.filename!r} peger uden for eksporten.")


def _data_folder(name: str, root: Path) -> Path:
    """The one folder of the zip that holds data files (the root, or a single folder in it)."""
    folders = {p.parent for p in root.rglob("*")
               if p.is_file() and p.suffix.lower() in DATA_SUFFIXES
               and not p.name.startswith((".", "~$")) and "__MACOSX" not in p.parts}
    if not folders:
        raise ImportRefused(f"{name} indeholder ingen CSV- eller Parquet-filer.")
    if len(folders) > 1:
        shown = ", ".join(sorted(str(f.relative_to(root)) for f in folders))
        raise ImportRefused(f"{name} har datafiler i flere mapper ({shown}): læg dem i én mappe.")
    return folders.pop()


@dataclass(frozen=True)
class KeyInfo:
    key: bytes | None
    source_da: str  # where it comes from, in words
    is_demo: bool  # the public demo key: fine for demo data, never for real cases


def key_info(privacy: PrivacySettings) -> KeyInfo:
    """The key an upload uses, found the way ``python -m kpis import`` finds it."""
    try:
        key = resolve_key(None, privacy)
    except MissingKey:
        return KeyInfo(None, f"den fundne nøgle er for kort (mindst {MIN_KEY_BYTES} tegn)", False)
    if key is None:
        return KeyInfo(None, "ingen nøgle fundet (hverken miljøvariablen "
                       f"{privacy.pseudonym_key_env} eller filen {privacy.pseudonym_key_file})",
                       False)
    where = (f"miljøvariablen {privacy.pseudonym_key_env}"
             if os.environ.get(privacy.pseudonym_key_env)
             else f"filen {privacy.pseudonym_key_file}")
    return KeyInfo(key, where, key == DEMO_KEY)


def demo_key_info() -> KeyInfo:
    return KeyInfo(DEMO_KEY, "valgt her på siden", True)
