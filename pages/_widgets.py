"""Streamlit widgets whose built-in English is replaced by Danish.

Streamlit 1.67 writes some text itself, with no parameter to change it: the multiselect's
"Select all" (it can only be switched off: every page passes ``select_all=False``, a test
checks) and the file uploader's "Upload" button and "200MB per file • ZIP, XLSX" line. The
uploader's are replaced by CSS whose Danish words are made here from the server's own limit, so
they cannot disagree with it.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

UPLOAD_BUTTON_DA = "Vælg fil"


def upload_limits_da(types: Sequence[str]) -> str:
    """The uploader's limits in Danish, e.g. "Højst 200 MB pr. fil · ZIP eller XLSX"."""
    names = [t.lstrip(".").upper() for t in types]
    kinds = " eller ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return f"Højst {st.get_option('server.maxUploadSize')} MB pr. fil · {kinds}"


def _css_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def file_uploader(label: str, types: Sequence[str], **kwargs):
    """``st.file_uploader`` with its button and its limits in Danish."""
    drop = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{drop} button [data-testid="stMarkdownContainer"] p {{ display: none; }}
{drop} button [data-testid="stMarkdownContainer"]::after {{ content: {_css_text(UPLOAD_BUTTON_DA)}; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] div::after {{
  content: {_css_text(upload_limits_da(types))}; }}
</style>""")
    return st.file_uploader(label, type=[t.lstrip(".") for t in types], **kwargs)
