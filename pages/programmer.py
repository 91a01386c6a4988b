"""Gennemgangsprogrammer: analysts and administrators configure the case-review programmes
(config/reviews.yaml) — the måleskema, the sampling rule and the rounds — with the editor every
configuration file has: validated as ``python -m kpis review validate`` does, saved with a
reason, kept in the history with diffs and restore, and an audit-log entry per change
(kpis.review.versions). Sagsgennemgang uses the saved file at once."""

from __future__ import annotations

import streamlit as st

from kpis.access.audit import AuditAction
from kpis.access.roles import may_configure
from kpis.review.present import programmes_table_da
from kpis.review.validate import ReviewConfigError, load_and_validate
from pages import _config_editor as ce
from pages._auth import current_user
from pages._frame import run_snapshot
from pages._results import kpis_path
from pages._workspace import reviews_history, who_input

run_snapshot()
user = current_user()

st.title("Gennemgangsprogrammer")
if not may_configure(user.role):
    st.error("Programmerne for sagsgennemgang sættes op af analytikere og administratorer.")
    st.stop()

ed = ce.Editor("progedit", reviews_history(), "Programmer (YAML)",
               AuditAction.REVIEW_CONFIG_CHANGE, "programmer",
               "fx Nyt spørgsmål om barnets perspektiv efter aftale med juristen")
versions, file_hash, history_ok = ce.load_versions(ed)
st.caption(f"Redigér `{ed.hist.path.name}`: programmer for ledelsestilsyn og sagsmåling, deres "
           "udtræk, runder og spørgsmål (måleskemaet). Hver ændring valideres, gemmes med din "
           "begrundelse og kan gendannes. Sagsgennemgang bruger den gemte version med det samme.")
who_input()

try:
    config = load_and_validate(ed.hist.path, kpis_file=kpis_path())
except ReviewConfigError as exc:
    st.error("Filen, som den ligger nu, er ugyldig (ændret uden for appen?). Ret den herunder, "
             "eller gendan en tidligere version under Historik.")
    ce.problem_list(exc.problems, ed.hist.current()[0])
else:
    # A table, not a grid: its few rows wrap and fit the page (the grid cut the last column).
    st.table(programmes_table_da(config), hide_index=True)

edit_tab, history_tab = st.tabs(["Redigér", "Historik"])
with edit_tab:
    ce.yaml_editor(ed, versions, file_hash, history_ok)
    st.caption("Filens opbygning og udtrykkene i applies_when og criteria er beskrevet i "
               "docs/case-review.md.")
with history_tab:
    ce.history_view(ed, versions, file_hash, history_ok)
