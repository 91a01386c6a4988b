"""The README is a contract: its two commands exist and CI runs the test one; its links resolve."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)]


def test_exactly_two_commands_for_a_fresh_machine():
    blocks = _shell_blocks(README)
    assert blocks[:2] == ["bash scripts/start", "bash scripts/test"]
    for script in ("scripts/start", "scripts/test"):
        path = ROOT / script
        assert path.is_file()
        assert os.access(path, os.X_OK), f"{script} is not executable"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line.strip() for line in ci.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "exec bash scripts/test"


def test_test_command_fails_when_no_test_ran():
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert '"$rc" -eq 5' in script


def test_relative_links_and_images_exist():
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if "://" not in t]
    assert "docs/screenshots/committee-overblik.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == []


def test_documented_import_command_matches_the_cli():
    from kpis.cli import build_parser

    line = next(b for b in _shell_blocks(README) if "-m kpis import" in b).splitlines()[-1]
    argv = line.split("-m kpis ", 1)[1].replace("YYYY-MM-DD", "2025-06-30").split()
    args = build_parser().parse_args(argv)
    assert args.command == "import"
    assert args.profile == "dubu_dk"
