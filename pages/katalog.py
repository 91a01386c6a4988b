"""Katalog: every key figure as the definitions say it — what it measures, the law, how it is
counted, the target and its history, the owner and the last change. Generated from
config/kpis.yaml and the version history (kpis.present.catalogue), so it cannot disagree with
what the pages compute. For every user.
"""

from __future__ import annotations

import streamlit as st

from kpis.access.roles import Role
from kpis.present.catalogue import build_catalogue, fields_da
from kpis.rules.history import Action
from pages._auth import current_user
from pages._frame import current_snapshot
from pages._results import current_kpis
from pages._workspace import history

current_snapshot()
kpiset = current_kpis()
# The expressions themselves are for those who maintain the definitions; everyone reads the words.
for_analysts = current_user().role in (Role.ANALYST, Role.ADMINISTRATOR)
hist = history()
try:
    versions = hist.versions()
except OSError:
    versions = []  # a read-only installation: the catalogue still shows the definitions

st.title("Katalog")
st.caption("Alle nøgletal, som de er defineret i dag: hvad de måler, lovgrundlaget, hvordan de "
           "tælles, målet og dets historik, hvem der ejer definitionen, og hvornår den sidst blev "
           "ændret. Teksten dannes af definitionerne, den samme som beregningen bruger.")

@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def _catalogue(defs_version: str, history_dir: str, log: tuple, _kpiset, _versions, _text_of):
    """Every version is parsed once per change of the definitions or the history, not per view
    (the key: the definitions' version, the history's folder and its entries)."""
    return build_catalogue(_kpiset, _versions, _text_of)


entries = _catalogue(kpiset.version, str(hist.history_dir),
                     tuple((v.seq, v.hash, v.at, v.who, v.reason) for v in versions), kpiset,
                     versions, hist.text_of if versions else None)
sections = list(dict.fromkeys(e.section for e in entries))
c1, c2 = st.columns([2, 1])
query = c1.text_input("Søg", key="katalog_soeg", placeholder="fx undersøgelse, § 50 eller bfu")
chosen = c2.multiselect("Pejlemærke", sections, key="katalog_pejlemaerke",
                        placeholder="Alle pejlemærker", select_all=False)


def _matches(entry) -> bool:
    if chosen and entry.section not in chosen:
        return False
    if not query.strip():
        return True
    haystack = " ".join([entry.kpi_id, entry.name, entry.description, entry.owner,
                         *(ln.text for ln in entry.legal_basis)]).lower()
    return all(word in haystack for word in query.lower().split())


def _last_change_text(change) -> str:
    # Sentences start with a word, never a date: "25. november" would read as a numbered list.
    if change is None:
        return "Ingen historik endnu."
    v = change.version
    if v.action is Action.FIRST:
        return f"Uændret, siden historikken begyndte {change.when_da}."
    what = f" ({fields_da(change.fields)})" if change.fields else ""
    return (f"{change.what.capitalize()}{what} af {v.who} {change.when_da}. "
            f"Begrundelse: {v.reason}")


def _target_line(change) -> str:
    v = change.version
    target = change.target_after or "intet mål"
    if v.action is Action.FIRST:
        return f"- {target}: gældende, da historikken begyndte {change.when_da}"
    return f"- {target} fra {change.when_da} ({v.who}: {v.reason})"


shown = [e for e in entries if _matches(e)]
st.caption(f"Viser {len(shown)} af {len(entries)} nøgletal.")
if not shown:
    st.info("Ingen nøgletal passer til søgningen.")

for section in sections:
    group = [e for e in shown if e.section == section]
    if not group:
        continue
    st.subheader(section)
    for e in group:
        with st.container(border=True, key=f"katalog_{e.kpi_id}"):
            st.markdown(f"#### {e.name}")
            st.caption(f"Id `{e.kpi_id}` · {e.kind_da} · ejer: {e.owner}")
            st.write(e.description)
            left, right = st.columns([1, 1], gap="large")
            with left:
                st.markdown("**Lovgrundlag**")
                st.markdown("\n".join(f"- {ln.label}: {ln.text}" for ln in e.legal_basis)
                            if e.legal_basis else "Ikke knyttet til en bestemt paragraf.")
                st.markdown("**Mål og trafiklys**")
                st.markdown("\n".join(f"- {ln.label}: {ln.text}" for ln in e.goal)
                            if e.goal else "Intet mål (et konteksttal).")
            with right:
                st.markdown("**Senest ændret**")
                st.markdown(_last_change_text(e.last_change))
                if e.target_changes:
                    st.markdown("**Målets historik**")
                    st.markdown("\n".join(_target_line(c) for c in reversed(e.target_changes)))
            with st.expander("Sådan tælles det"):
                st.markdown("\n".join(f"- **{ln.label}:** {ln.text}" for ln in e.counted))
            if for_analysts:
                with st.expander("Definitionen med felter og udtryk (for analytikere)"):
                    st.markdown("\n".join(f"- **{ln.label}:** {ln.text}" for ln in e.definition))
