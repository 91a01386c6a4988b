"""Streamlit's own English, replaced: every multiselect without "Select all", and the uploader's
Danish limits made from the server's setting (the browser check is tests/browser/test_danish.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import streamlit as st

from pages._widgets import upload_limits_da

PAGES = Path(__file__).resolve().parent.parent / "pages"


def _calls(path: Path, name: str):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == name:
            yield node


def _multiselects(path: Path):
    return _calls(path, "multiselect")


@pytest.mark.parametrize("path", sorted(PAGES.glob("*.py")), ids=lambda p: p.name)
def test_no_multiselect_offers_the_english_select_all(path: Path):
    missing = [n.lineno for n in _multiselects(path)
               if not any(k.arg == "select_all" and isinstance(k.value, ast.Constant)
                          and k.value.value is False for k in n.keywords)]
    assert missing == []


def test_the_pages_have_multiselects_to_check():
    assert sum(len(list(_multiselects(p))) for p in PAGES.glob("*.py")) >= 4


def test_every_date_field_is_written_the_danish_way():
    """20.11.2026 in every date field (Streamlit's own default is 2026/11/20; the plan pages
    had 20-11-2026 beside the other pages' 20.11.2026)."""
    fields = [(p.name, n) for p in PAGES.glob("*.py") for n in _calls(p, "date_input")]
    assert len(fields) >= 8
    assert [(name, n.lineno) for name, n in fields
            if not any(k.arg == "format" and isinstance(k.value, ast.Name)
                       and k.value.id == "DATE_FORMAT" for k in n.keywords)] == []


def test_no_page_uses_streamlits_english_uploader_directly():
    direct = [p.name for p in PAGES.glob("*.py") if p.name != "_widgets.py"
              and "st.file_uploader(" in p.read_text(encoding="utf-8")]
    assert direct == []


def test_upload_limits_in_danish_follow_the_servers_setting(monkeypatch):
    assert upload_limits_da((".zip", ".xlsx")) == "Højst 200 MB pr. fil · ZIP eller XLSX"
    monkeypatch.setattr(st, "get_option", lambda name: {"server.maxUploadSize": 50}[name])
    assert upload_limits_da((".zip", ".csv", ".xlsx")) == "Højst 50 MB pr. fil · ZIP, CSV eller XLSX"
