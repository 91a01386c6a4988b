"""An uploaded export: a zip unpacked safely into the folder the importer reads, a workbook saved
as it is, and which pseudonym key an upload uses (never the key itself in a message)."""

from __future__ import annotations

import io
import stat
import struct
import zipfile

import pytest

from kpis.data.errors import ImportRefused
from kpis.data.pseudonym import DEMO_KEY
from kpis.data.upload import demo_key_info, key_info, source_label, unpack
from kpis.settings import PrivacySettings


def zipped(files: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return buf.getvalue()


def lying_zip(files: dict[str, bytes], liar: str, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip whose central directory claims ``liar`` is 10 bytes long, packed and unpacked (a zip
    bomb's trick: the size check reads the headers, the data is larger)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in files.items():
            z.writestr(name, data)
    data = bytearray(buf.getvalue())
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len].decode() == liar:
            struct.pack_into("<II", data, at + 20, 10, 10)  # compressed, uncompressed size
        at = data.find(b"PK\x01\x02", at + 46)
    return bytes(data)


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_whose_headers_lie_about_a_size_is_refused(tmp_path, compression):
    rows = b"sag_id;modtaget\n" + b"S1;2025-01-02\n" * 500
    data = lying_zip({"eksport/sager.csv": b"a\n", "eksport/underretninger.csv": rows},
                     "eksport/underretninger.csv", compression)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("eksport/underretninger.csv").file_size == 10
    with pytest.raises(ImportRefused, match="udtraek.zip er beskadiget: filen "
                       "'eksport/underretninger.csv' kan ikke pakkes ud"):
        unpack("udtraek.zip", data, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-unpacked is left


def test_zip_with_files_in_its_root(tmp_path):
    path = unpack("Udtræk marts.zip", zipped({"sager.csv": b"a\n", "underretninger.csv": b"b\n"}),
                  tmp_path)
    assert sorted(p.name for p in path.iterdir()) == ["sager.csv", "underretninger.csv"]
    assert path == tmp_path / "Udtræk_marts"  # the import records it as its source


def test_source_label():
    assert source_label("/tmp/pejlemaerker-upload-ab12/udtraek/eksport") == "upload: udtraek/eksport"
    assert source_label("/tmp/pejlemaerker-upload-x/Marts.xlsx") == "upload: Marts.xlsx"
    assert source_label("/data/export") == "/data/export"


def test_zip_with_one_folder_and_mac_debris(tmp_path):
    data = zipped({"eksport/sager.csv": b"a\n", "eksport/notes.txt": b"x",
                   "__MACOSX/eksport/._sager.csv": b"junk"})
    path = unpack("udtraek.zip", data, tmp_path)
    assert path.name == "eksport" and (path / "sager.csv").read_bytes() == b"a\n"


@pytest.mark.parametrize("files, links, message", [
    ({"../evil.csv": b"x"}, (), "peger uden for eksporten"),
    ({"/abs/evil.csv": b"x"}, (), "peger uden for eksporten"),
    ({"sager.csv": b"x"}, ("link.csv",), "peger uden for eksporten"),
    ({"a/sager.csv": b"x", "b/underretninger.csv": b"y"}, (), "flere mapper"),
    ({"readme.txt": b"x"}, (), "ingen CSV- eller Parquet-filer"),
])
def test_unsafe_or_useless_zips_are_refused_before_writing(tmp_path, files, links, message):
    with pytest.raises(ImportRefused, match=message):
        unpack("udtraek.zip", zipped(files, links), tmp_path / "ud")
    assert not any(tmp_path.rglob("evil.csv"))


def test_not_a_zip_and_unknown_kinds(tmp_path):
    with pytest.raises(ImportRefused, match="ikke en gyldig zip-fil"):
        unpack("udtraek.zip", b"not a zip", tmp_path)
    with pytest.raises(ImportRefused, match="zip-fil med CSV-filer"):
        unpack("udtraek.csv", b"a;b\n", tmp_path)


def test_workbook_is_saved_as_it_is(tmp_path):
    path = unpack("Eksport Marts.xlsx", b"PK-workbook-bytes", tmp_path)
    assert path == tmp_path / "Eksport Marts.xlsx" and path.read_bytes() == b"PK-workbook-bytes"


def test_key_from_environment_file_or_none(tmp_path, monkeypatch):
    privacy = PrivacySettings(pseudonym_key_file=str(tmp_path / "nokey"))
    monkeypatch.delenv(privacy.pseudonym_key_env, raising=False)
    none = key_info(privacy)
    assert none.key is None and "ingen nøgle fundet" in none.source_da

    (tmp_path / "nokey").write_bytes(b"a-long-secret-key-from-a-file\n")
    from_file = key_info(privacy)
    assert from_file.key == b"a-long-secret-key-from-a-file" and not from_file.is_demo
    assert from_file.source_da == f"filen {tmp_path / 'nokey'}"

    monkeypatch.setenv(privacy.pseudonym_key_env, DEMO_KEY.decode())
    demo = key_info(privacy)
    assert demo.is_demo and demo.source_da == f"miljøvariablen {privacy.pseudonym_key_env}"
    assert DEMO_KEY.decode() not in demo.source_da

    monkeypatch.setenv(privacy.pseudonym_key_env, "short")
    short = key_info(privacy)  # too short: said, not used
    assert short.key is None and short.source_da == "den fundne nøgle er for kort (mindst 16 tegn)"


def test_demo_key_only_by_choice():
    info = demo_key_info()
    assert info.key == DEMO_KEY and info.is_demo


def test_an_imports_source_reads_as_what_it_was():
    from kpis.data.upload import DEMO_SOURCE_DA, source_label

    assert source_label("/tmp/pejlemaerker-upload-ab12cd/udtraek-november/udtraek") \
        == "upload: udtraek-november/udtraek"
    assert source_label("/tmp/pejlemaerker-demo-5xyknuy3") == DEMO_SOURCE_DA
    assert source_label("/srv/udtraek/2026-11-20") == "/srv/udtraek/2026-11-20"  # a folder as given
