"""The menu: every page's file, Danish title, icon and the roles that see it, in menu order.
app.py builds the navigation from it; the audit log names a page by the same title.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

from pathlib import Path

from kpis.access.roles import Role

ROOT = Path(__file__).resolve().parent.parent

EVERYONE = frozenset(Role)
LEADERS = frozenset({Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMINISTRATOR})
ANALYSTS = frozenset({Role.ANALYST, Role.ADMINISTRATOR})
ADMINS = frozenset({Role.ADMINISTRATOR})

# (file, title, icon, roles that see it), in menu order. Material icons come with Streamlit
# (its own font file): they need no emoji font on the PC and no request beyond this server.
PAGES = [
    ("pages/overblik.py", "Overblik", ":material/dashboard:", EVERYONE),
    ("pages/noegletal.py", "Nøgletal", ":material/monitoring:", EVERYONE),
    ("pages/oversigt_data.py", "Data", ":material/database:", ANALYSTS),
    ("pages/afdeling.py", "Teams og sagsbehandlere", ":material/groups:", LEADERS),
    ("pages/fristoversigt.py", "Fristoversigt", ":material/schedule:", LEADERS),
    ("pages/sagsbelastning.py", "Sagsbelastning", ":material/work:", LEADERS),
    ("pages/sagsgennemgang.py", "Sagsgennemgang", ":material/fact_check:", LEADERS),
    ("pages/katalog.py", "Katalog", ":material/menu_book:", EVERYONE),
    ("pages/udviklingsplan.py", "Udviklingsplan", ":material/flag:", EVERYONE),
    ("pages/definitioner.py", "Nøgletalsdefinitioner", ":material/edit_note:", ANALYSTS),
    ("pages/planredigering.py", "Redigér udviklingsplan", ":material/edit_calendar:", ANALYSTS),
    ("pages/programmer.py", "Gennemgangsprogrammer", ":material/checklist:", ANALYSTS),
    ("pages/admin.py", "Administration", ":material/admin_panel_settings:", ADMINS),
]
PAGES = [p for p in PAGES if (ROOT / p[0]).exists()]
TITLES = {Path(f).stem: title for f, title, *_ in PAGES}  # address -> title


def pages_for(role: Role) -> list[tuple[str, str, str, frozenset[Role]]]:
    return [p for p in PAGES if role in p[3]]
