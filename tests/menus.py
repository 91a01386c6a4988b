"""The menu each role must get, written out by hand (app.py builds it; these are what it must
build). Shared by the AppTests and the browser tests of signing in."""

from kpis.access.roles import Role

MENUS = {
    Role.COMMITTEE: ["Overblik", "Nøgletal", "Katalog", "Udviklingsplan"],
    Role.DEPARTMENT_HEAD: ["Overblik", "Nøgletal", "Teams og sagsbehandlere", "Fristoversigt",
                           "Sagsbelastning", "Sagsgennemgang", "Katalog", "Udviklingsplan"],
    Role.ANALYST: ["Overblik", "Nøgletal", "Data", "Teams og sagsbehandlere", "Fristoversigt",
                   "Sagsbelastning", "Sagsgennemgang", "Katalog", "Udviklingsplan",
                   "Nøgletalsdefinitioner", "Redigér udviklingsplan", "Gennemgangsprogrammer"],
    Role.ADMINISTRATOR: ["Overblik", "Nøgletal", "Data", "Teams og sagsbehandlere",
                         "Fristoversigt", "Sagsbelastning", "Sagsgennemgang", "Katalog",
                         "Udviklingsplan", "Nøgletalsdefinitioner", "Redigér udviklingsplan",
                         "Gennemgangsprogrammer", "Administration"],
}
