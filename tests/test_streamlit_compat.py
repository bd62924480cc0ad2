"""The one Streamlit internal mrrsim touches (mrrsim.ui.compat): pinned to the Streamlit
versions it was verified against, and the behaviour it covers checked on the installed one."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from streamlit.runtime.pages_manager import PagesManager

from mrrsim.ui.compat import VERIFIED_STREAMLIT, leave_pages_folder_mode


def test_streamlit_is_a_version_the_shim_was_verified_against() -> None:
    """Upgrading Streamlit fails here first: re-check mrrsim.ui.compat (does a pages/ folder
    still start the legacy mode, is there a public switch now?), then widen the range."""
    assert Version(streamlit.__version__) in SpecifierSet(VERIFIED_STREAMLIT)


@pytest.fixture
def fresh_flag() -> object:
    saved = PagesManager.uses_pages_directory
    PagesManager.uses_pages_directory = None
    yield
    PagesManager.uses_pages_directory = saved


@pytest.mark.usefixtures("fresh_flag")
def test_a_pages_folder_starts_the_legacy_mode_and_the_shim_ends_it(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    PagesManager(str(tmp_path / "app.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is True  # the behaviour the shim covers
    leave_pages_folder_mode()
    assert PagesManager.uses_pages_directory is False


@pytest.mark.usefixtures("fresh_flag")
def test_without_a_pages_folder_there_is_nothing_to_end(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    PagesManager(str(tmp_path / "app.py"), setup_watcher=False)
    assert PagesManager.uses_pages_directory is False
    leave_pages_folder_mode()
    assert PagesManager.uses_pages_directory is False
