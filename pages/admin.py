"""Administration: the audit log (who saw case rows, exported, changed a definition, imported or
signed in) with filters and a CSV download, the users, and the municipality's settings. For
administrators only. Widgets → kpis.access → render.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

import kpis
from kpis.access import audit
from kpis.access.audit import AuditAction, AuditFilter
from kpis.access.roles import Role
from kpis.present.formatting import danish_today, format_int_da
from pages._access import audited_export
from pages._auth import current_user
from pages._frame import current_snapshot
from pages._menu import TITLES
from pages._widgets import DATE_FORMAT, DATETIME_FORMAT

SHOWN = 5000
ROLE_LABELS = {r.value: r.label_da for r in Role} | {"kommandolinje": "Kommandolinjen"}

current_snapshot()
if current_user().role is not Role.ADMINISTRATOR:  # the menu hides the page; a link ends here
    st.info("Siden er kun for administratorer.")
    st.stop()

st.title("Administration")
log_tab, users_tab, settings_tab = st.tabs(["Adgangslog", "Brugere", "Indstillinger"])

with log_tab:
    st.caption("Hver visning af sager, hver eksport, hver ændring af definitionerne, hver "
               "indlæsning og hvert login, med hvem, hvornår, rolle og adgang. Loggen kan kun "
               f"vokse: rettelser og sletninger afvises. Den ligger i `{audit.audit_path()}`.")
    c1, c2, c3, c4 = st.columns([1.2, 2, 1, 1])
    actor = c1.selectbox("Bruger", audit.actors(), index=None, placeholder="Alle brugere",
                         key="admin_bruger")
    actions = c2.multiselect("Handling", list(AuditAction), format_func=lambda a: a.label_da,
                             placeholder="Alle handlinger", key="admin_handling",
                             select_all=False)
    today = danish_today()  # the log's days are Danish days
    since = c3.date_input("Fra", value=today - timedelta(days=30), max_value=today,
                          format=DATE_FORMAT, key="admin_fra")
    until = c4.date_input("Til og med", value=today, format=DATE_FORMAT, key="admin_til")
    text = st.text_input("Søg i side, nøgletal, periode og detaljer", key="admin_soeg",
                         placeholder="fx Fristoversigt, bfu_4_mdr eller Team Nord")
    titled = tuple(page for page, title in TITLES.items()
                   if text.strip() and text.strip().lower() in title.lower())
    chosen = AuditFilter(actor=actor, actions=tuple(actions), since=since or None,
                         until=until or None, text=text or None, text_pages=titled)
    entries = audit.read(SHOWN, chosen)
    st.markdown(f"**{format_int_da(entries.height)}** "
                + ("hændelse" if entries.height == 1 else "hændelser")
                + (f" (de nyeste {format_int_da(SHOWN)})" if entries.height == SHOWN else ""))
    if entries.height:
        stem = f"adgangslog-{today.isoformat()}"
        st.download_button(
            "Hent som CSV",
            audited_export(lambda: audit.to_csv_bytes(audit.read(None, chosen)), "admin",
                           f"{stem}.csv"),
            file_name=f"{stem}.csv", mime="text/csv", key="admin_csv", on_click="ignore")
    st.dataframe(
        audit.table_da(entries, ROLE_LABELS, TITLES), hide_index=True, key="admin_log",
        # Access and details are the long texts: wide enough to read whole; the grid scrolls
        # sideways with the entry's number pinned.
        column_config={"Tidspunkt": st.column_config.DatetimeColumn(
                           "Tidspunkt", format=f"{DATETIME_FORMAT}.ss"),
                       "Nr.": st.column_config.NumberColumn("Nr.", pinned=True),
                       "Adgang": st.column_config.TextColumn("Adgang", width=420),
                       "Detaljer": st.column_config.TextColumn("Detaljer", width=400)})

with users_tab:
    from kpis.access.users import UsersFileError, list_users, users_path

    try:
        users = list_users()
    except UsersFileError as exc:
        st.error(str(exc))
        users = []
    st.caption(f"Lokale brugere fra `{users_path()}` (kun til at se). Brugere tilføjes og "
               "fjernes på kommandolinjen; ved login gennem kommunens identitetsudbyder kommer "
               "rolle og teams fra dens grupper.")
    st.dataframe(
        [{"Brugernavn": u.username, "Navn": u.display_name, "Rolle": u.role.label_da,
          "Teams": ", ".join(sorted(u.teams)) if u.teams else "Alle"} for u in users],
        hide_index=True, key="admin_brugere")

with settings_tab:
    path = kpis.CONFIG_DIR / "settings.yaml"
    st.caption(f"Kommunens indstillinger fra `{path}` (kun til at se; ændres i filen).")
    st.code(path.read_text(encoding="utf-8") if path.exists() else "# ingen fil: standardværdier",
            language="yaml")
