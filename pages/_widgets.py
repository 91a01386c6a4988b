"""Streamlit widgets whose built-in English is replaced by Danish.

Streamlit 1.67 writes some text itself, with no parameter to change it: the multiselect's
"Select all" (it can only be switched off: every page passes ``select_all=False``, a test
checks), the file uploader's "Upload" button and "200MB per file • ZIP, XLSX" line, and the
keyboard user's first stop on every page, the link "Skip to main content". The uploader's are
replaced by CSS whose Danish words are made here from the server's own limit, so they cannot
disagree with it; ``danish_chrome`` gives the uploader's button its Danish name for screen
readers and axe (which do not read CSS-generated text) and puts the skip link in Danish.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import streamlit as st

UPLOAD_BUTTON_DA = "Vælg fil"
SKIP_LINK_DA = "Gå til hovedindhold"
DATE_FORMAT = "DD.MM.YYYY"  # every date field, as Danish dates are written (20.11.2026)
DATETIME_FORMAT = f"{DATE_FORMAT} [kl.] HH.mm"  # 20.11.2026 kl. 16.16


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


def danish_chrome() -> None:
    """Once per page load (app.py, before the login): a script that keeps Streamlit's own skip
    link and uploader buttons Danish, also when Streamlit draws them anew. The skip link keeps its
    target, the main area (``#stMain``, focusable), which Streamlit's own click handler focuses."""
    st.html(f"""<script>(() => {{
  if (window.pejlemaerkerDanish) return;
  window.pejlemaerkerDanish = true;
  const skip = {json.dumps(SKIP_LINK_DA)}, upload = {json.dumps(UPLOAD_BUTTON_DA)};
  const danish = () => {{
    const link = document.querySelector('[data-testid="stSkipToContent"]');
    // the text node React made is changed in place, so React still owns the same node
    if (link && link.firstChild && link.firstChild.nodeValue !== skip) {{
      link.firstChild.nodeValue = skip;
      link.lang = "da";
    }}
    document.querySelectorAll('[data-testid="stFileUploaderDropzone"] button').forEach(b => {{
      if (b.getAttribute("aria-label") !== upload) b.setAttribute("aria-label", upload);
    }});
  }};
  danish();
  new MutationObserver(danish).observe(document.body, {{childList: true, subtree: true}});
}})();</script>""", unsafe_allow_javascript=True)


def button_row():
    """A row for download buttons side by side, each as wide as its label; it wraps (at 200 %
    zoom) instead of cutting a label, as fixed columns did."""
    return st.container(horizontal=True, gap="small")
