"""Nøgletalsdefinitioner: the analysts' editor for config/kpis.yaml — validate, preview the effect
on the current data, save with a reason, look back in the history and restore. Widgets → kpis →
render; every rule is in kpis.rules (history, blocks, templates) and kpis.present.preview.

The draft lives in session state; every button works through a callback, which runs before the
page is drawn, so a message or a new editor content is on the screen in the same click.
"""

from __future__ import annotations

import streamlit as st

from kpis.access.audit import AuditAction
from kpis.compute.periods import PeriodKind, parse_period
from kpis.present.formatting import format_datetime_da
from kpis.present.period_choice import choices, latest_complete, period_label_da
from kpis.present.preview import compare, counts
from kpis.rules import blocks
from kpis.rules.definitions import Kind
from kpis.rules.history import (
    InvalidDefinitions,
    NothingToSave,
    SaveConflict,
    text_hash,
    validate_draft,
)
from kpis.rules.templates import KIND_LABELS_DA, PLACEHOLDER_IDS, add_template, delete_kpi
from pages import _config_editor as ce
from pages._access import record
from pages._auth import current_scope
from pages._frame import current_snapshot
from pages._results import definitions, get_results, kpis_path
from pages._workspace import EXTRA_CHECKS, history, who, who_input

S = st.session_state
VIEW_FILE, VIEW_ONE = "Hele filen", "Ét nøgletal"
EDITOR_HEIGHT = 560

db, meta = current_snapshot()
path = kpis_path()
hist = history()
try:
    versions = hist.versions()  # also records an edit made outside the app
    history_ok = True
except OSError as exc:  # a read-only installation: the definitions can be read, not changed
    st.error(f"Historikken kan ikke læses eller skrives ({exc}). Gem og Gendan er slået fra.")
    versions, history_ok = [], False
file_text, file_hash = hist.current()
by_hash = {v.hash: v for v in reversed(versions)}  # the newest version with each text


# The draft's state (defs_draft, defs_opened, …) and the history view are the shared editor's.
EDITOR = ce.Editor("defs", hist, "Definitioner (YAML)", AuditAction.DEFINITION_CHANGE,
                   "definitioner", "fx Målet blev ændret ved en fejl",
                   in_use_da="Alle sider regner nu med den.", forget=("preview",))


def _open_file() -> None:
    """Put the file as it is now into the editor."""
    ce.open_file(EDITOR)


def _editor_key() -> str:
    if S.get("defs_view") == VIEW_ONE and S.get("defs_kpi"):
        return f"defs_kpi_{S.defs_kpi}_{S.defs_gen}"
    return f"defs_full_{S.defs_gen}"


def _current_draft() -> str:
    """The draft including what is in the editor now (a callback runs before the page)."""
    key = _editor_key()
    if key not in S:
        return S.defs_draft
    if key.startswith("defs_full_"):
        return S[key]
    try:
        return blocks.replace_kpi(S.defs_draft, S.defs_kpi, S[key])
    except blocks.BlockError:
        return S.defs_draft


if "defs_draft" not in S:
    _open_file()
elif S.defs_opened != file_hash and "defs_conflict" not in S \
        and _current_draft() == S.defs_opened_text:
    # The file changed and this analyst has changed nothing (counting what is being typed into
    # the editor right now): just follow it.
    _open_file()


def _set_draft(text: str, message: str | None = None) -> None:
    S.defs_draft = text
    S.defs_gen += 1  # new editor widgets, filled from the draft
    if message:
        S.defs_flash = message


def _validate() -> None:
    S.defs_draft = _current_draft()
    _, problems = validate_draft(S.defs_draft, path.name, EXTRA_CHECKS)
    S.defs_checked = (text_hash(S.defs_draft), problems)


def _preview() -> None:
    _validate()
    S.defs_preview = (text_hash(S.defs_draft), S.defs_period)


def _save() -> None:
    S.defs_draft = _current_draft()
    try:
        version = hist.save(S.defs_draft, opened_hash=S.defs_opened, who=who(),
                            reason=S.get(f"defs_reason_{S.defs_gen}", ""))
    except SaveConflict as conflict:
        S.defs_conflict = conflict
        return
    except InvalidDefinitions as exc:
        S.defs_checked = (text_hash(S.defs_draft), exc.problems)
        S.defs_error = "Intet er gemt: definitionerne har problemer (se listen)."
        return
    except NothingToSave:
        S.defs_error = "Der er ingen ændringer at gemme."
        return
    except ValueError as exc:
        S.defs_error = f"Intet er gemt: {exc}."
        return
    except OSError as exc:  # a read-only installation or a full disk: the file is untouched
        S.defs_error = f"Intet er gemt: filen eller historikken kan ikke skrives ({exc})."
        return
    record(AuditAction.DEFINITION_CHANGE, page="definitioner",
           detail=f"gemt som version {version.seq}: {version.reason}")
    _open_file()
    S.defs_flash = (f"Gemt som version {version.seq}. Alle sider regner nu med de nye "
                    "definitioner.")


def _merge() -> None:
    """Lay the analyst's KPIs on top of the file as it is now, into the editor (not saved)."""
    conflict: SaveConflict = S.defs_conflict
    theirs, digest = hist.current()
    try:
        merged = blocks.merge_by_kpi(S.defs_opened_text, theirs, conflict.mine)
    except (blocks.MergeConflict, blocks.BlockError) as exc:
        S.defs_error = (f"Ændringerne kan ikke lægges sammen automatisk: {exc}. Ret dem i hånden "
                        "ud fra forskellene herunder.")
        return
    S.defs_opened, S.defs_opened_text = digest, theirs
    S.pop("defs_conflict", None)
    _set_draft(merged, "Dine ændringer er lagt oven i den nye version. Forhåndsvis, og gem igen.")


def _add_template(kind: str) -> None:
    try:
        text = add_template(_current_draft(), Kind(kind))
    except blocks.BlockError as exc:
        S.defs_error = f"Skabelonen kan ikke tilføjes: {exc}."
        return
    new_id = PLACEHOLDER_IDS[Kind(kind)]
    S.defs_view, S.defs_kpi = VIEW_ONE, new_id
    _set_draft(text, f"Skabelonen står nu i udkastet med id'et `{new_id}`. Giv den sit eget id, "
               "navn og beskrivelse, forhåndsvis og gem.")


def _delete(kpi_id: str) -> None:
    S.pop("defs_confirm_delete", None)
    try:
        text = delete_kpi(_current_draft(), kpi_id)
    except blocks.BlockError as exc:
        S.defs_error = f"Nøgletallet kan ikke slettes: {exc}."
        return
    S.defs_view = VIEW_FILE
    _set_draft(text, f"`{kpi_id}` er fjernet fra udkastet. Forhåndsvis og gem med en "
               "begrundelse for at slette det; indtil da regner alle sider med det.")


# --- the page -----------------------------------------------------------------------------------
# YAML is read by its indentation: the editor gets a monospaced font (Streamlit ships it).
st.html("<style>[class*='st-key-defs_full_'] textarea, [class*='st-key-defs_kpi_'] textarea "
        "{font-family: 'Source Code Pro', monospace; font-size: 13px; line-height: 1.45;}</style>")
st.title("Nøgletalsdefinitioner")
st.caption(f"Redigér `{path.name}`: valider, forhåndsvis virkningen på de aktuelle data, og gem "
           "med en begrundelse. Alle sider bruger den gemte version med det samme.")

loaded = definitions()
if loaded.problems:
    st.error("Filen, som den ligger nu, er ugyldig (ændret uden for appen?). Alle sider regner "
             "videre med den sidst gyldige version. Ret problemerne herunder, eller gendan en "
             "tidligere version under Historik.")
    ce.problem_list(loaded.problems, file_text)

opened = by_hash.get(S.defs_opened)
unsaved = S.defs_draft != S.defs_opened_text
left, right = st.columns([1, 2])
with left:
    who_input()
with right:
    st.markdown(
        (f"Du har åbnet **version {opened.seq}** ({ce.made(opened)})." if opened
         else "Du har åbnet filen.")
        + (" **Du har ændringer, der ikke er gemt.**" if unsaved else " Ingen ændringer endnu."))
    if S.defs_opened != file_hash and "defs_conflict" not in S:
        latest = versions[0] if versions else None
        st.warning("Filen er ændret, siden du åbnede den"
                   + (f" (version {latest.seq}, {latest.who}, {format_datetime_da(latest.at)})"
                      if latest else "") + ". Når du gemmer, får du vist forskellen.")

edit_tab, history_tab, new_tab = st.tabs(["Redigér", "Historik", "Nyt nøgletal eller slet"])

with edit_tab:
    for key, show in (("defs_flash", st.success), ("defs_error", st.error)):
        if key in S:
            show(S.pop(key))

    conflict: SaveConflict | None = S.get("defs_conflict")
    if conflict is not None:
        ce.conflict_notice(conflict)
        c1, c2, c3 = st.columns(3)
        c1.button("Læg dine ændringer oven i den nye version", key="defs_merge",
                  on_click=_merge, type="primary",
                  help="Nøgletal, som kun du har ændret, lægges ind i den nye version. Har I "
                       "begge ændret det samme nøgletal, skal du rette i hånden.")
        c2.download_button("Hent din tekst", conflict.mine.encode("utf-8"),
                           file_name=f"mit-udkast-{path.name}", mime="text/yaml",
                           key="defs_download_mine")
        c3.button("Åbn den nye version (dit udkast forkastes)", key="defs_reopen",
                  on_click=_open_file)

    view = st.radio("Vis", [VIEW_FILE, VIEW_ONE], key="defs_view", horizontal=True,
                    label_visibility="collapsed")
    draft = S.defs_draft
    if view == VIEW_ONE:
        try:
            ids = blocks.kpi_ids(draft)
        except blocks.BlockError as exc:
            st.warning(f"Udkastet kan ikke deles op i nøgletal ({exc}). Ret det i hele filen.")
            ids = []
        if ids:
            if "defs_kpi_renamed" in S:  # the id was changed in the editor: stay on that KPI
                S.defs_kpi = S.pop("defs_kpi_renamed")
            if S.get("defs_kpi") not in ids:
                S.defs_kpi = ids[0]
            kpi_id = st.selectbox("Nøgletal", ids, key="defs_kpi")
            block = blocks.kpi_block(draft, kpi_id)
            edited = st.text_area(f"Definitionen af {kpi_id} (YAML)", block,
                                  key=f"defs_kpi_{kpi_id}_{S.defs_gen}", height=EDITOR_HEIGHT)
            if edited != block:
                S.defs_draft = blocks.replace_kpi(draft, kpi_id, edited)
                try:
                    renamed = [i for i in blocks.kpi_ids(S.defs_draft) if i not in ids]
                except blocks.BlockError:
                    renamed = []
                if renamed:
                    S.defs_kpi_renamed = renamed[0]
                    st.rerun()
    else:
        S.defs_draft = st.text_area("Definitioner (YAML)", draft, key=f"defs_full_{S.defs_gen}",
                                    height=EDITOR_HEIGHT)
    st.caption("Sproget er beskrevet i docs/kpi-definitions.md. Ctrl+Enter eller et klik uden "
               "for feltet tager ændringen med.")

    as_of = meta.as_of
    quarters = [p.label for p in choices(PeriodKind.QUARTER, as_of)]
    c1, c2, c3, c4 = st.columns([1, 1, 1.4, 1.2], vertical_alignment="bottom")
    c1.button("Valider", key="defs_validate", on_click=_validate, width="stretch")
    c2.button("Forhåndsvis", key="defs_preview_button", on_click=_preview, width="stretch")
    default_period = latest_complete(PeriodKind.QUARTER, as_of).label
    if S.get("defs_period") not in quarters:
        S.defs_period = default_period
    c3.selectbox("Periode til forhåndsvisning", quarters, key="defs_period",
                 format_func=lambda p: period_label_da(parse_period(p)))
    c4.button("Fortryd mine ændringer", key="defs_reset", on_click=_open_file, width="stretch")

    current = text_hash(S.defs_draft)
    checked = S.get("defs_checked")
    if checked and checked[0] == current:
        if checked[1]:
            st.error(f"{ce.problems_da(len(checked[1]))}. Intet gemmes, før de er rettet.")
            ce.problem_list(checked[1], S.defs_draft)
        else:
            st.success("Ingen problemer: definitionerne kan gemmes.")

    shown = S.get("defs_preview")
    if shown and shown[0] == current and checked and not checked[1]:
        new_kpis, _ = validate_draft(S.defs_draft, path.name, EXTRA_CHECKS)
        old_kpis = loaded.kpis
        period = shown[1]
        with st.spinner("Beregner de gamle og de nye tal …"):
            new_results = get_results(db, meta.snapshot_id, new_kpis, [period],
                                      scope=current_scope())
            old_results = (get_results(db, meta.snapshot_id, old_kpis, [period],
                                       scope=current_scope())
                           if old_kpis is not None else new_results.clear())
        table = compare(old_kpis, old_results, new_kpis, new_results, period)
        n = counts(table)
        st.subheader(f"Forhåndsvisning, {period_label_da(parse_period(period))}")
        st.markdown(f"**{n['ændret']}** ændret · **{n['ny']}** nye · **{n['fjernet']}** fjernet · "
                    f"{n['uændret']} uændret. Intet er gemt endnu.")
        changed = table.filter(table["change"] != "uændret")
        st.markdown("\n".join(f"- **{r['change'].capitalize()}: {r['name']}** — {r['summary']}"
                              for r in changed.iter_rows(named=True))
                    or "Ingen tal ændrer sig.")
        st.dataframe(
            table, hide_index=True, key="defs_preview_table", height=35 * (table.height + 1) + 3,
            column_order=["change", "name", "old_text", "new_text", "old_target_text",
                          "new_target_text", "old_status_text", "new_status_text", "old_n",
                          "new_n", "what_changed"],
            column_config={
                "change": st.column_config.TextColumn("Ændring"),
                "name": st.column_config.TextColumn("Nøgletal", width="large"),
                "old_text": "Før", "new_text": "Efter", "old_target_text": "Mål før",
                "new_target_text": "Mål efter", "old_status_text": "Status før",
                "new_status_text": "Status efter",
                "old_n": st.column_config.NumberColumn("n før", format="localized"),
                "new_n": st.column_config.NumberColumn("n efter", format="localized"),
                "what_changed": "Hvad er ændret",
            })

    st.subheader("Gem")
    st.text_input("Begrundelse (kræves)", key=f"defs_reason_{S.defs_gen}",
                  placeholder="fx Udvalget hævede målet på mødet 12. marts")
    st.button("Gem", type="primary", key="defs_save", on_click=_save, disabled=not history_ok)
    st.caption("Gem validerer først; en ugyldig tekst gemmes aldrig. Hver gemt version kommer i "
               "historikken med navn, tidspunkt og begrundelse.")

with history_tab:
    ce.history_view(EDITOR, versions, file_hash, history_ok)

with new_tab:
    st.subheader("Nyt nøgletal fra en skabelon")
    kind = st.selectbox("Type", [k.value for k in Kind], key="defs_template_kind",
                        format_func=lambda k: KIND_LABELS_DA[Kind(k)])
    st.button("Tilføj skabelonen til udkastet", key="defs_add_template", on_click=_add_template,
              args=(kind,))
    st.caption("Skabelonen er gyldig, som den står, men den kan ikke gemmes, før den har fået sit "
               "eget id.")

    st.subheader("Slet et nøgletal")
    try:
        draft_ids = blocks.kpi_ids(S.defs_draft)
    except blocks.BlockError:
        draft_ids = []
    doomed = st.selectbox("Nøgletal", draft_ids, key="defs_delete_kpi", index=None,
                          placeholder="Vælg et nøgletal")
    if st.button("Slet …", key="defs_delete", disabled=doomed is None):
        S.defs_confirm_delete = doomed
    if S.get("defs_confirm_delete") and S.defs_confirm_delete == doomed:
        st.warning(f"Vil du fjerne `{doomed}` fra definitionerne? Rapporter og historik henviser "
                   "til nøgletal ved deres id; et slettet id bør ikke genbruges.")
        c1, c2 = st.columns(2)
        c1.button("Ja, fjern det fra udkastet", key="defs_delete_yes", type="primary",
                  on_click=_delete, args=(doomed,))
        c2.button("Annullér", key="defs_delete_no",
                  on_click=lambda: S.pop("defs_confirm_delete", None))
