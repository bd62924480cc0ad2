"""The import contract: the engine is pure. Only ``mrrsim/ui`` imports Streamlit, importing
``mrrsim`` (or its pure modules) loads neither Streamlit nor Altair's Streamlit glue, and leaves
polars' global settings as they were."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mrrsim"


def _imported_roots(path: Path) -> set[str]:
    """The top-level package of every import statement in a file."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_mrrsim_ui_imports_streamlit() -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if "streamlit" in _imported_roots(path)
    )
    assert importers, "the scan found no Streamlit import at all (is mrrsim/ui still there?)"
    assert [p for p in importers if not p.startswith("mrrsim/ui/")] == []


def test_scan_sees_streamlit_imports(tmp_path: Path) -> None:
    """The scan above would catch both spellings of a Streamlit import."""
    module = tmp_path / "m.py"
    module.write_text("import streamlit as st\nfrom streamlit.testing import v1\nimport os\n")
    assert _imported_roots(module) == {"streamlit", "os"}


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    "modules",
    [
        "mrrsim",
        "mrrsim.cli",
        "mrrsim.formatting",
        "mrrsim.compare",
        "mrrsim.charts",
        "mrrsim.downloads",
        "mrrsim.fields",
        "mrrsim.headlines",
        "mrrsim.ui.text",
    ],
)
def test_pure_modules_do_not_load_streamlit(modules: str) -> None:
    code = f"import sys, {modules}\nprint('streamlit' in sys.modules)"
    assert _run(code) == "False"


def test_ui_loads_streamlit_when_a_page_helper_is_used() -> None:
    """The lazy ``mrrsim.ui`` still hands pages its Streamlit helpers."""
    code = (
        "import sys\nfrom mrrsim import ui\nloaded = 'streamlit' in sys.modules\n"
        "ui.money_column\nprint(loaded, 'streamlit' in sys.modules, ui.fmt_pct(0.25))"
    )
    assert _run(code) == "False True 25.0%"


def test_import_leaves_polars_settings_alone() -> None:
    code = (
        "import polars as pl\nbefore = pl.Config.state(if_set=True)\nimport mrrsim\n"
        "print(pl.Config.state(if_set=True) == before)"
    )
    assert _run(code) == "True"


def test_every_name_of_mrrsim_ui_resolves() -> None:
    """Each name ``mrrsim.ui`` lists comes from the submodule it names (a typo fails here)."""
    code = "from mrrsim import ui\nprint(all(getattr(ui, n) is not None for n in ui.__all__))"
    assert _run(code) == "True"
