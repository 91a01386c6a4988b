"""Data: what the current snapshot holds — tables, coverage, files, quarantined rows and the
imports — and the upload of a new export. Widgets → kpis.data → render: unpacking and the key are
in kpis.data.upload, the import in kpis.data.importer, the views in inventory and coverage.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import streamlit as st

from kpis.access.audit import AuditAction
from kpis.data import inventory
from kpis.data.coverage import Coverage, load_coverage
from kpis.data.cpr import masked
from kpis.data.export_date import export_date
from kpis.data.importer import ImportRefused, run_import
from kpis.data.schema import TABLE_ORDER
from kpis.data.snapshot import HeldSnapshot
from kpis.data.upload import (
    ACCEPTED_SUFFIXES,
    UPLOAD_DIR_PREFIX,
    demo_key_info,
    key_info,
    source_label,
    unpack,
)
from kpis.present.coverage_charts import months_alt_text, months_chart, since, with_order
from kpis.present.formatting import (
    danish_time_columns,
    danish_today,
    format_date_da,
    format_datetime_da,
    format_int_da,
)
from kpis.settings import default_settings
from pages._access import audited_export, record
from pages._auth import sign_out_demo_user_beside_real_data
from pages._frame import run_snapshot
from pages._widgets import DATE_FORMAT, DATETIME_FORMAT, file_uploader

QUARANTINE_SHOWN = 1000
COVERAGE_SPANS = {"Seneste 3 år": 3, "Seneste 5 år": 5, "Hele perioden": None}

COUNT = st.column_config.NumberColumn
TEXT = st.column_config.TextColumn
S = st.session_state


@st.cache_data(show_spinner="Henter oversigt …", max_entries=8, ttl=3600)
def _inventory(_snapshot: HeldSnapshot, snapshot_id: str) -> inventory.Inventory:
    return inventory.load_inventory(_snapshot, quarantine_limit=QUARANTINE_SHOWN)


@st.cache_data(show_spinner="Optæller rækker pr. måned …", max_entries=8, ttl=3600)
def _coverage(_snapshot: HeldSnapshot, snapshot_id: str) -> Coverage:
    return load_coverage(_snapshot)


def _run_with_clock(progress, path: Path, db: Path, as_of: date, key: bytes | None):
    """``run_import`` in a worker thread while the page counts the seconds: the importer reports
    no steps of its own, and a long import must not look like a hung page."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(run_import, path, db, as_of=as_of, pseudonym_key=key)
        started = time.monotonic()
        while not job.done():
            time.sleep(0.5)
            seconds = int(time.monotonic() - started)
            progress.progress(0.2, text=f"Læser og kontrollerer hver række … ({seconds} s)")
        return job.result()  # an ImportRefused is raised here, in the page's thread


def _import(db: Path, upload, as_of: date, key: bytes | None) -> None:
    """Unpack and import with progress; the outcome is kept for the next run of the page."""
    progress = st.progress(0.0, text="Pakker udtrækket ud …")
    name = masked(upload.name)  # a CPR number in the file's name is never shown nor stored
    with st.status("Indlæser udtrækket …", expanded=True) as status, \
            tempfile.TemporaryDirectory(prefix=UPLOAD_DIR_PREFIX) as tmp:
        try:
            st.write(f"Pakker {name} ud …")
            path = unpack(name, upload.getvalue(), Path(tmp))
            progress.progress(0.2, text="Læser og kontrollerer hver række …")
            st.write("Læser og kontrollerer hver række (det tager et øjeblik for et stort "
                     "udtræk) …")
            result = _run_with_clock(progress, path, db, as_of, key)
        except ImportRefused as exc:
            progress.progress(1.0, text="Afvist")
            status.update(label="Importen er afvist", state="error")
            record(AuditAction.IMPORT, page="oversigt_data",
                   detail=f"{name}: afvist ({exc.message})")
            S.data_import = ("refused", f"{exc.message} Databasen er ikke ændret.")
            return
        record(AuditAction.IMPORT, page="oversigt_data", period=as_of.isoformat(),
               detail=f"{name}: " + ("uændret" if result.unchanged
                                            else f"snapshot {result.snapshot_id}"))
        progress.progress(1.0, text="Færdig")
        status.update(label="Udtrækket er indlæst", state="complete", expanded=False)
        # The temporary folder means nothing to a reader: name the uploaded file instead.
        S.data_upload_gen = S.get("data_upload_gen", 0) + 1  # an empty uploader for the next one
        S.data_import = ("done", result.summary_text().replace(str(path.resolve()), name),
                         result.unchanged)
    if not result.unchanged:  # a demo user who put real data here can no longer see it
        sign_out_demo_user_beside_real_data(result.source, after_own_import=True)


def _demo_logins_end(db: Path) -> bool:
    """Before an import over the demo: say that the demo's users stop working, and hold the
    import back until a real administrator exists (or it is acknowledged). True: held back."""
    from kpis.access.demo_users import lockout_by_import
    from pages._auth import current_user, oidc_provider

    lockout = lockout_by_import(db)
    if lockout is None:
        return False
    names = ", ".join(f"»{n}«" for n in lockout.demo_usernames)
    if lockout.locks_everyone_out and oidc_provider() is None:
        st.error(
            "Her er demodata, og demobrugerne er de eneste brugere. Når et rigtigt udtræk er "
            f"indlæst, kan demobrugerne ({names}) ikke længere logge ind – heller ikke "
            "administratoren – og så kan ingen logge ind. Opret først en rigtig administrator "
            "på serveren:\n\n`.venv/bin/python -m kpis users add NAVN --role admin`\n\n"
            "Indlæsningen kan startes, når den findes (se docs/authentication.md).")
        return True
    admins = ", ".join(f"»{n}«" for n in lockout.real_administrators)
    yourself = (" – heller ikke den, du er logget ind som nu"
                if current_user().username in lockout.demo_usernames else "")
    st.warning(
        f"Når udtrækket er indlæst, er her ikke længere demodata: demobrugerne ({names}) kan "
        f"ikke længere logge ind{yourself}. "
        + (f"Log ind med en rigtig bruger bagefter (administrator: {admins})." if admins
           else "Log ind med kommunens login bagefter."))
    return not st.checkbox("Jeg forstår, at demobrugerne holder op med at virke",
                           key="data_demo_logins_end")


snapshot = run_snapshot()
db, meta = snapshot.db, snapshot.meta

st.title("Data")
st.caption("Hvad der er indlæst fra fagsystemets udtræk, hvad der blev sat i karantæne, og om "
           "der mangler måneder eller værdier. Her indlæses også et nyt udtræk.")
st.markdown(
    f"Udtrækket er opgjort pr. **{format_date_da(meta.as_of)}** og indlæst "
    f"{format_datetime_da(meta.imported_at)} med profilen `{meta.profile}`."
)

inv = _inventory(snapshot, meta.snapshot_id)
c1, c2, c3 = st.columns(3)
c1.metric("Rækker indlæst", format_int_da(inv.rows_loaded))
c2.metric("Rækker i karantæne", format_int_da(inv.rows_quarantined))
c3.metric("Filer", format_int_da(inv.files.height))

# --- upload ---------------------------------------------------------------------------------------
st.subheader("Indlæs et nyt udtræk")
outcome = S.pop("data_import", None)
if outcome and outcome[0] == "refused":
    st.error(f"Importen er afvist: {outcome[1]}")
elif outcome:
    (st.info if outcome[2] else st.success)(
        "Udtrækket er uændret siden sidste import: intet er ændret." if outcome[2]
        else "Udtrækket er indlæst. Alle sider viser nu de nye data.")
    with st.expander("Opsummering af importen", expanded=True):
        st.code(outcome[1], language=None)

privacy = default_settings().privacy
keys = key_info(privacy)
with st.container(border=True):
    upload = file_uploader(
        "Udtræk: en zip-fil med CSV-filer eller en Excel-projektmappe (.xlsx)",
        ACCEPTED_SUFFIXES,
        key=f"data_upload_{S.get('data_upload_gen', 0)}")
    c1, c2 = st.columns([1, 2])
    # A sentinel, not None: with nothing uploaded the first run must still propose a date.
    if "data_as_of" not in S or (upload.file_id if upload else None) != S.get("_data_as_of_for"):
        # A new file: propose its own date (when it has one) instead of today — Denmark's today,
        # not the server's (a UTC server's date turns an hour or two late).
        S._data_as_of_for = upload.file_id if upload else None
        today = danish_today()
        found = export_date(upload.name, upload.getvalue(), today) if upload else None
        S.data_as_of = found.day if found else today
        S._data_as_of_from = found.source_da if found else None
    as_of = c1.date_input("Opgjort pr. (den dag udtrækket blev taget)",
                          max_value=danish_today() + timedelta(days=1), format=DATE_FORMAT,
                          key="data_as_of")
    if S.get("_data_as_of_from"):
        c1.caption(f"Foreslået ud fra {S._data_as_of_from}. Ret den, hvis udtrækket blev taget "
                   "en anden dag.")
    with c2:
        if keys.key is None:
            no_key = st.empty()  # the warning goes once a key is chosen below
            if st.checkbox("Brug demokommunens offentlige nøgle (kun til demodata)",
                           key="data_demo_key"):
                keys = demo_key_info()
            else:
                no_key.warning(f"Pseudonymnøgle: {keys.source_da}. Et udtræk med CPR-numre "
                               "afvises uden nøgle.")
        if keys.is_demo:
            st.info(f"Pseudonymnøgle: demokommunens offentlige nøgle ({keys.source_da}). Brug "
                    "den kun til demodata: med en offentlig nøgle kan et pseudonym føres tilbage "
                    "til CPR-nummeret.")
        elif keys.key is not None:
            st.caption(f"Pseudonymnøgle: fra {keys.source_da}. CPR-numre gemmes aldrig; de "
                       "erstattes af et pseudonym ved indlæsningen.")
    held_back = _demo_logins_end(db)
    if st.button("Indlæs udtrækket", type="primary", key="data_import_button",
                 disabled=upload is None or held_back):
        _import(db, upload, as_of, keys.key)
        st.rerun()
st.subheader("Tabeller")
st.dataframe(
    inv.tables,
    hide_index=True,
    column_order=["label_da", "table", "rows"],
    column_config={
        "label_da": TEXT("Tabel"),
        "table": TEXT("Navn i datamodellen"),
        "rows": COUNT("Rækker", format="localized"),
    },
)

st.subheader("Dækning")
st.caption("Rækker pr. måned efter hver tabels egen dato (fx modtaget for underretninger). En "
           "måned uden rækker er markeret med en trekant: er det et hul i udtrækket, bliver "
           "nøgletallene for den måned forkerte.")
cov = _coverage(snapshot, meta.snapshot_id)
span = st.radio("Vis", list(COVERAGE_SPANS), horizontal=True, key="data_coverage_span",
                label_visibility="collapsed")
years = COVERAGE_SPANS[span]
first = date(meta.as_of.year - years, meta.as_of.month, 1) if years else None
months = with_order(since(cov.months, first), list(TABLE_ORDER))
if months.is_empty():
    st.info("Ingen rækker i perioden.")
else:
    st.altair_chart(months_chart(months), width="stretch", theme=None,
                    alt=months_alt_text(months))
    gaps = since(cov.gaps(), first)
    if gaps.is_empty():
        st.caption("Ingen tomme måneder i den viste periode.")
    else:
        listed = ", ".join(f"{r['label_da']} {format_date_da(r['month'])[3:]}"
                           for r in gaps.head(12).iter_rows(named=True))
        more = f" og {gaps.height - 12} flere" if gaps.height > 12 else ""
        st.warning(f"{gaps.height} tomme måneder i den viste periode: {listed}{more}.")
st.markdown("**Manglende værdier pr. kolonne**")
st.dataframe(
    cov.missing.filter(cov.missing["rows"] > 0),
    hide_index=True, key="data_missing",
    column_order=["label_da", "column_label", "column", "rows", "missing", "share_missing"],
    column_config={
        "label_da": TEXT("Tabel"),
        "column_label": TEXT("Kolonne"),
        "column": TEXT("Navn i datamodellen"),
        "rows": COUNT("Rækker", format="localized"),
        "missing": COUNT("Uden værdi", format="localized"),
        "share_missing": st.column_config.ProgressColumn(
            "Andel uden værdi", format="percent", min_value=0.0, max_value=1.0),
    },
)
st.caption("Mange kolonner må være tomme (fx lukket for en åben sag); se efter en kolonne, der "
           "er tommere end sidst.")

st.subheader("Filer i seneste indlæsning")
st.caption("For hver fil gælder: læst = indlæst + karantæne.")
st.dataframe(
    inv.files,
    hide_index=True,
    column_order=["file", "label_da", "read", "loaded", "quarantined", "ignored_columns"],
    column_config={
        "file": TEXT("Fil"),
        "label_da": TEXT("Tabel"),
        "read": COUNT("Læst", format="localized"),
        "loaded": COUNT("Indlæst", format="localized"),
        "quarantined": COUNT("Karantæne", format="localized"),
        "ignored_columns": TEXT("Ignorerede kolonner"),
    },
)

st.subheader("Karantæne")
if inv.quarantine_records == 0:
    st.success("Ingen rækker i karantæne.")
else:
    st.markdown(
        f"**{format_int_da(inv.rows_quarantined)}** rækker kunne ikke indlæses. De rettes i "
        "fagsystemet og kommer med i næste udtræk. En række med flere fejl står her én gang pr. fejl."
    )
    if inv.findings_kept:
        st.markdown(
            f"**{format_int_da(inv.findings_kept)}** fejl holdt ikke rækken tilbage (»indlæst« "
            "i kolonnen Rækken): en dato efter opgørelsesdatoen regnes som endnu ikke sket, så "
            "fristen tæller stadig med som afventende eller overskredet. Ret datoen i fagsystemet."
        )
    st.dataframe(
        inv.quarantine_by_reason,
        hide_index=True,
        column_config={
            "reason": TEXT("Årsag"),
            "records": COUNT("Antal", format="localized"),
            "row_state": TEXT("Rækken"),
        },
    )
    quarantine_file = f"karantaene-{meta.as_of.isoformat()}.csv"
    st.download_button("Hent hele karantænen som CSV",  # made when clicked, and logged then
                       data=audited_export(lambda: inventory.quarantine_csv(snapshot), "oversigt_data",
                                           quarantine_file),
                       file_name=quarantine_file, mime="text/csv",
                       key="data_quarantine_csv", on_click="ignore")
    shown = inv.quarantine_rows.height
    if inv.quarantine_records > shown:
        st.caption(
            f"Viser de første {format_int_da(shown)} af {format_int_da(inv.quarantine_records)}."
        )
    st.dataframe(
        inv.quarantine_rows,
        hide_index=True,
        column_order=["file", "row", "column_label", "value", "reason", "row_state"],
        column_config={
            "file": TEXT("Fil"),
            "row": COUNT("Række", format="%d"),
            "column_label": TEXT("Kolonne"),
            "value": TEXT("Værdi"),
            "reason": TEXT("Årsag"),
            "row_state": TEXT("Rækken"),
        },
    )

st.subheader("Indlæsninger")
st.dataframe(
    danish_time_columns(inv.history, "imported_at").with_columns(
        pl.col("source").map_elements(source_label, return_dtype=pl.String)),
    hide_index=True,
    column_order=["imported_at", "as_of", "source", "profile", "files", "read", "loaded",
                  "quarantined"],
    column_config={
        "imported_at": st.column_config.DatetimeColumn("Indlæst", format=DATETIME_FORMAT),
        "as_of": st.column_config.DateColumn("Opgjort pr.", format=DATE_FORMAT),
        "source": TEXT("Kilde"),
        "profile": TEXT("Profil"),
        "files": COUNT("Filer", format="localized"),
        "read": COUNT("Læst", format="localized"),
        "loaded": COUNT("Indlæst", format="localized"),
        "quarantined": COUNT("Karantæne", format="localized"),
    },
)
