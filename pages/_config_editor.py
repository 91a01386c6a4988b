"""The editor a configuration file gets in the app: its YAML with *Valider*, *Gem* with a required
reason, the difference shown when someone else saved meanwhile, and the history with diffs and
*Gendan*. Used for the udviklingsplan (Redigér udviklingsplan) and the case-review programmes
(Gennemgangsprogrammer); the KPI definitions' page has more (one KPI at a time, preview,
templates, merge) and shares the problem list and version labels from here.

Streamlit glue only: saving, validation, conflicts and restore are ``kpis.rules.history``'s. Not a
page (app.py lists the pages explicitly). The draft lives in session state under the editor's own
prefix; every button works through a callback, which runs before the page is drawn, so a message
or a new editor content is on the screen in the same click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import streamlit as st

from kpis.access.audit import AuditAction
from kpis.present.formatting import danish_time, format_datetime_da
from kpis.rules.history import (
    Action,
    ConfigHistory,
    InvalidText,
    NothingToSave,
    SaveConflict,
    Version,
    text_hash,
)
from pages._access import record
from pages._widgets import DATETIME_FORMAT
from pages._workspace import who

S = st.session_state
EDITOR_HEIGHT = 560


@dataclass(frozen=True)
class Editor:
    key: str  # the session-state prefix, one per file
    hist: ConfigHistory
    label: str  # the text area's label, e.g. "Udviklingsplan (YAML)"
    audit_action: AuditAction
    page: str  # the page name the audit log records
    reason_hint: str  # an example reason
    in_use_da: str = ""  # said after a save or restore: where the new version is used
    forget: tuple[str, ...] = ()  # more draft state to drop when the file is opened again

    def k(self, name: str) -> str:
        return f"{self.key}_{name}"


# --- shared with the definitions' page --------------------------------------------------------

def problems_da(n: int) -> str:
    return f"{n} problem" if n == 1 else f"{n} problemer"


def problem_list(problems, text: str | None = None) -> None:
    """Each problem on its own line: where (line, item, field), what, a hint, and the line itself
    (the editor has no line numbers)."""
    source = text.splitlines() if text else []
    lines = []
    for p in problems:
        where = " · ".join(x for x in (f"Linje {p.line}" if p.line else "", p.kpi or "",
                                       p.field) if x)
        hint = f" — {p.hint}" if p.hint else ""
        quoted = source[p.line - 1].strip() if p.line and p.line <= len(source) else ""
        shown = f" (`{quoted}`)" if quoted and "`" not in quoted else ""
        lines.append(f"- **{where}:** {p.message}{hint}{shown}")
    st.markdown("\n".join(lines))


def conflict_notice(conflict: SaveConflict) -> None:
    """Who changed the file meanwhile, what they changed, and the person's text against it."""
    names = ", ".join(dict.fromkeys(f"{v.who} ({format_datetime_da(v.at)})"
                                    for v in conflict.versions_since)) or "nogen"
    st.error(f"Filen er ændret, siden du åbnede den — af {names}. Intet er gemt, og din tekst "
             "står stadig i editoren.")
    with st.expander("Det er ændret i filen, siden du åbnede den", expanded=True):
        st.code(conflict.changed_since or "(ingen forskel)", language="diff")
    with st.expander("Din tekst sammenlignet med filen nu"):
        st.code(conflict.mine_vs_current or "(ingen forskel)", language="diff")


def made(v: Version) -> str:
    if v.action in (Action.FIRST, Action.OUTSIDE):
        return f"{v.action.label_da.lower()}, registreret {format_datetime_da(v.at)}"
    return f"{v.action.label_da.lower()} {format_datetime_da(v.at)} af {v.who}"


def version_label(v: Version) -> str:
    return (f"Nr. {v.seq} · {format_datetime_da(v.at)} · {v.action.label_da} · {v.who}"
            f" · {v.reason}")


# --- the draft ------------------------------------------------------------------------------------

def open_file(ed: Editor) -> None:
    """Put the file as it is now into the editor."""
    text, digest = ed.hist.current()
    S[ed.k("draft")], S[ed.k("opened")], S[ed.k("opened_text")] = text, digest, text
    S[ed.k("gen")] = S.get(ed.k("gen"), 0) + 1
    for name in ("conflict", "checked", *ed.forget):
        S.pop(ed.k(name), None)


def _draft(ed: Editor) -> str:
    """The draft including what is in the editor now (a callback runs before the page)."""
    return S.get(ed.k(f"text_{S[ed.k('gen')]}"), S[ed.k("draft")])


def follow_file(ed: Editor, file_hash: str) -> None:
    """Open the file the first time; afterwards follow it when it changed and the person has
    changed nothing (a form's save, another analyst's)."""
    untouched_but_behind = ed.k("draft") in S and S[ed.k("opened")] != file_hash \
        and ed.k("conflict") not in S and _draft(ed) == S[ed.k("opened_text")]
    if ed.k("draft") not in S or untouched_but_behind:
        open_file(ed)


def saved(ed: Editor, version: Version, what: str) -> None:
    """After any save or restore of the file: one audit-log entry, and the editor follows the
    file unless it holds unsaved changes."""
    record(ed.audit_action, page=ed.page, detail=f"{what} som version {version.seq}: "
                                                  f"{version.reason}")
    if _draft(ed) == S[ed.k("opened_text")]:
        open_file(ed)


def _validate(ed: Editor) -> None:
    S[ed.k("draft")] = _draft(ed)
    S[ed.k("checked")] = (text_hash(S[ed.k("draft")]), ed.hist.problems_of(S[ed.k("draft")]))


def refusal_da(exc: Exception, verb: str) -> str:
    """Why nothing was written (``verb``: gemt, gendannet), for the history's refusals other
    than an invalid text (each view says that its own way)."""
    if isinstance(exc, NothingToSave):
        return "Filen er allerede magen til den tekst: der er intet at gemme."
    if isinstance(exc, SaveConflict):
        return ("Filen er ændret, mens du så på den. Se den nyeste version øverst i historikken, "
                "og prøv igen.")
    if isinstance(exc, OSError):  # a read-only installation or a full disk: the file is untouched
        return f"Intet er {verb}: filen eller historikken kan ikke skrives ({exc})."
    return f"Intet er {verb}: {exc}."


REFUSALS = (SaveConflict, InvalidText, NothingToSave, ValueError, OSError)


def _save(ed: Editor) -> None:
    S[ed.k("draft")] = text = _draft(ed)
    try:
        version = ed.hist.save(text, opened_hash=S[ed.k("opened")], who=who(),
                               reason=S.get(ed.k(f"reason_{S[ed.k('gen')]}"), ""))
    except SaveConflict as conflict:
        S[ed.k("conflict")] = conflict  # shown with both differences, the text kept
        return
    except REFUSALS as exc:
        if isinstance(exc, InvalidText):
            S[ed.k("checked")] = (text_hash(text), exc.problems)
            S[ed.k("error")] = "Intet er gemt: filen har problemer (se listen)."
        else:
            S[ed.k("error")] = refusal_da(exc, "gemt")
        return
    S[ed.k("opened_text")] = text  # what is in the editor is what was saved
    saved(ed, version, "gemt")
    S[ed.k("flash")] = f"Gemt som version {version.seq}. {ed.in_use_da}".strip()


def _restore(ed: Editor, seq: int, seen_hash: str) -> None:
    try:
        version = ed.hist.restore(seq, opened_hash=seen_hash, who=who(),
                                  reason=S.get(ed.k("restore_reason"), ""))
    except REFUSALS as exc:
        S[ed.k("herror")] = (
            "Versionen kan ikke gendannes, fordi den ikke er gyldig efter de nuværende regler: "
            f"{exc.problems[0]}" if isinstance(exc, InvalidText) else refusal_da(exc, "gendannet"))
        return
    saved(ed, version, f"version {seq} gendannet")
    S[ed.k("restore_reason")] = ""
    S[ed.k("hflash")] = (f"Version {seq} er gendannet som version {version.seq}. "
                         f"{ed.in_use_da}").strip()


def _flashes(ed: Editor, *names: str) -> None:
    for name, show in zip(names, (st.success, st.error)):
        if ed.k(name) in S:
            show(S.pop(ed.k(name)))


# --- the two views --------------------------------------------------------------------------------

def yaml_editor(ed: Editor, versions: list[Version], file_hash: str, history_ok: bool) -> None:
    """The file's YAML: Valider, Gem with a reason, Fortryd, and a conflict when it comes."""
    by_hash = {v.hash: v for v in reversed(versions)}
    opened = by_hash.get(S[ed.k("opened")])
    unsaved = _draft(ed) != S[ed.k("opened_text")]
    st.markdown((f"Du har åbnet **version {opened.seq}** ({made(opened)})." if opened
                 else "Du har åbnet filen.")
                + (" **Du har ændringer, der ikke er gemt.**" if unsaved
                   else " Ingen ændringer endnu."))
    if S[ed.k("opened")] != file_hash and ed.k("conflict") not in S:
        st.warning("Filen er ændret, siden du åbnede den. Når du gemmer, får du vist forskellen.")
    _flashes(ed, "flash", "error")

    conflict: SaveConflict | None = S.get(ed.k("conflict"))
    if conflict is not None:
        conflict_notice(conflict)
        c1, c2 = st.columns(2)
        c1.download_button("Hent din tekst", conflict.mine.encode("utf-8"),
                           file_name=f"mit-udkast-{ed.hist.path.name}", mime="text/yaml",
                           key=ed.k("download_mine"))
        c2.button("Åbn den nye version (dit udkast forkastes)", key=ed.k("reopen"),
                  on_click=open_file, args=(ed,))

    S[ed.k("draft")] = st.text_area(ed.label, S[ed.k("draft")],
                                    key=ed.k(f"text_{S[ed.k('gen')]}"), height=EDITOR_HEIGHT)
    st.caption("Ctrl+Enter eller et klik uden for feltet tager ændringen med.")
    c1, c2 = st.columns(2)
    c1.button("Valider", key=ed.k("validate"), on_click=_validate, args=(ed,), width="stretch")
    c2.button("Fortryd mine ændringer", key=ed.k("reset"), on_click=open_file, args=(ed,),
              width="stretch")
    checked = S.get(ed.k("checked"))
    if checked and checked[0] == text_hash(S[ed.k("draft")]):
        if checked[1]:
            st.error(f"{problems_da(len(checked[1]))}. Intet gemmes, før de er rettet.")
            problem_list(checked[1], S[ed.k("draft")])
        else:
            st.success("Ingen problemer: filen kan gemmes.")

    st.text_input("Begrundelse (kræves)", key=ed.k(f"reason_{S[ed.k('gen')]}"),
                  placeholder=ed.reason_hint)
    st.button("Gem", type="primary", key=ed.k("save"), on_click=_save, args=(ed,),
              disabled=not history_ok)
    st.caption("Gem validerer først; en ugyldig tekst gemmes aldrig. Hver gemt version kommer i "
               "historikken med navn, tidspunkt og begrundelse.")


def history_view(ed: Editor, versions: list[Version], file_hash: str, history_ok: bool,
                 show_version: Callable[[Version], None] | None = None) -> None:
    """Every version with who, when and why; a chosen one as a diff (and, for the plan, read as
    a plan); Gendan with a reason."""
    _flashes(ed, "hflash", "herror")
    if not versions:
        st.info("Der er ingen historik endnu.")
        return
    st.dataframe(
        pl.DataFrame([{"seq": v.seq, "at": danish_time(v.at), "who": v.who,
                       "action": v.action.label_da + (f" fra nr. {v.restored_from}"
                                                      if v.restored_from else ""),
                       "reason": v.reason} for v in versions]),
        hide_index=True, key=ed.k("versions"),
        column_config={
            "seq": st.column_config.NumberColumn("Nr.", format="%d", width="small"),
            "at": st.column_config.DatetimeColumn("Tidspunkt", format=DATETIME_FORMAT),
            "who": "Hvem", "action": "Handling",
            "reason": st.column_config.TextColumn("Begrundelse", width="large"),
        })
    seqs = [v.seq for v in versions]
    # Opens on the newest version, and moves to a version saved since (here or elsewhere).
    if S.get(ed.k("version")) not in seqs or S.get(ed.k("newest")) != seqs[0]:
        S[ed.k("version")] = seqs[0]
    S[ed.k("newest")] = seqs[0]
    chosen_seq = st.selectbox("Version", seqs, key=ed.k("version"),
                              format_func=lambda s: version_label(
                                  next(v for v in versions if v.seq == s)))
    chosen = next(v for v in versions if v.seq == chosen_seq)
    if show_version is not None:
        show_version(chosen)
    against = st.radio("Sammenlign med", ["forrige version", "filen nu"], horizontal=True,
                       key=ed.k("diff_against"))
    older = [v for v in versions if v.seq < chosen.seq]
    if against == "filen nu":
        st.code(ed.hist.diff(chosen, None) or "(ingen forskel)", language="diff")
    elif older:
        st.code(ed.hist.diff(older[0], chosen) or "(ingen forskel)", language="diff")
    else:  # not the whole file as a diff from nothing
        st.info(f"Version {chosen.seq} er "
                + ("installationens startversion" if chosen.action is Action.FIRST
                   else "den første i historikken")
                + ": der er ingen tidligere version at sammenligne med. Vælg »filen nu« for at "
                "se, hvad der er ændret siden.")

    is_current = chosen.hash == file_hash
    st.text_input("Begrundelse for at gendanne (kræves)", key=ed.k("restore_reason"),
                  placeholder="fx Ændringen blev lavet ved en fejl")
    st.button(f"Gendan version {chosen.seq}", key=ed.k("restore"),
              disabled=is_current or not history_ok, on_click=_restore,
              args=(ed, chosen.seq, file_hash))
    st.caption("Denne version er den, filen har nu." if is_current else
               "Gendan skriver versionen tilbage som en ny version (med navn og begrundelse); "
               "intet i historikken slettes.")


def load_versions(ed: Editor) -> tuple[list[Version], str, bool]:
    """(versions newest first, the file's hash now, whether the history can be written)."""
    try:
        versions = ed.hist.versions()  # also records an edit made outside the app
        ok = True
    except OSError as exc:  # a read-only installation: the file can be read, not changed
        st.error(f"Historikken kan ikke læses eller skrives ({exc}). Gem og Gendan er slået fra.")
        versions, ok = [], False
    file_hash = ed.hist.current()[1]
    follow_file(ed, file_hash)
    return versions, file_hash, ok
