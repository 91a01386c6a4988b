"""Data: what the current snapshot holds — tables, files, quarantined rows and the imports."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kpis.data import inventory
from kpis.present.formatting import format_date_da, format_datetime_da, format_int_da
from pages._frame import current_snapshot

QUARANTINE_SHOWN = 1000

COUNT = st.column_config.NumberColumn
TEXT = st.column_config.TextColumn


@st.cache_data(show_spinner="Henter oversigt …", max_entries=8, ttl=3600)
def _inventory(db: str, snapshot_id: str) -> inventory.Inventory:
    return inventory.load_inventory(Path(db), quarantine_limit=QUARANTINE_SHOWN)


db, meta = current_snapshot()
inv = _inventory(str(db), meta.snapshot_id)

st.title("Data")
st.caption("Hvad der er indlæst fra fagsystemets udtræk, og hvad der blev sat i karantæne.")
st.markdown(
    f"Udtrækket er opgjort pr. **{format_date_da(meta.as_of)}** og indlæst "
    f"{format_datetime_da(meta.imported_at)} med profilen `{meta.profile}`."
)

c1, c2, c3 = st.columns(3)
c1.metric("Rækker indlæst", format_int_da(inv.rows_loaded))
c2.metric("Rækker i karantæne", format_int_da(inv.rows_quarantined))
c3.metric("Filer", format_int_da(inv.files.height))

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
    st.dataframe(
        inv.quarantine_by_reason,
        hide_index=True,
        column_config={
            "reason": TEXT("Årsag"),
            "records": COUNT("Antal", format="localized"),
        },
    )
    shown = inv.quarantine_rows.height
    if inv.quarantine_records > shown:
        st.caption(
            f"Viser de første {format_int_da(shown)} af {format_int_da(inv.quarantine_records)}."
        )
    st.dataframe(
        inv.quarantine_rows,
        hide_index=True,
        column_order=["file", "row", "column_label", "value", "reason"],
        column_config={
            "file": TEXT("Fil"),
            "row": COUNT("Række", format="%d"),
            "column_label": TEXT("Kolonne"),
            "value": TEXT("Værdi"),
            "reason": TEXT("Årsag"),
        },
    )

st.subheader("Indlæsninger")
st.dataframe(
    inv.history,
    hide_index=True,
    column_order=["imported_at", "as_of", "source", "profile", "files", "read", "loaded",
                  "quarantined"],
    column_config={
        "imported_at": st.column_config.DatetimeColumn("Indlæst", format="DD.MM.YYYY [kl.] HH.mm"),
        "as_of": st.column_config.DateColumn("Opgjort pr.", format="DD.MM.YYYY"),
        "source": TEXT("Kilde"),
        "profile": TEXT("Profil"),
        "files": COUNT("Filer", format="localized"),
        "read": COUNT("Læst", format="localized"),
        "loaded": COUNT("Indlæst", format="localized"),
        "quarantined": COUNT("Karantæne", format="localized"),
    },
)
