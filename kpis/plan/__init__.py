"""The udviklingsplan: themes, recommendations, goals on KPIs and activities (docs/plan.md).

Plain Python like the rest of the engine; no streamlit import.
"""
