"""Pejlemærker engine: import, KPI definitions, deadline rules, computation. No UI code here."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB = DATA_DIR / "pejlemaerker.duckdb"
DEFAULT_KPIS = CONFIG_DIR / "kpis.yaml"
