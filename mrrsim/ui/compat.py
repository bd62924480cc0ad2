"""The one place mrrsim touches a Streamlit internal, kept small and pinned by a test.

Streamlit behaviour covered: when a ``pages/`` folder sits next to the entry script, Streamlit
starts in its legacy pages-folder mode (``PagesManager.uses_pages_directory``, set when a
session's pages manager is created) and stays in it until some session calls
``st.navigation``. In that mode a session whose first request is a page's URL (a shared
``/compare?s=…`` link on a fresh server) runs the page file alone, outside app.py's frame.
Streamlit documents the switch ("as soon as any session executes st.navigation, the app
ignores the pages/ directory") but offers no setting to start without the legacy mode: its
advice is to name the folder something other than ``pages/`` (e.g. ``app_pages/``), and
mrrsim keeps its page files in ``pages/``. So a page found outside the frame switches the mode
off here and reruns through app.py (``editor.ensure_in_frame``).

Verified against the Streamlit versions in ``VERIFIED_STREAMLIT`` (tests/test_streamlit_compat.py
fails on any other version, so an upgrade re-checks this)."""

from __future__ import annotations

__all__ = ["VERIFIED_STREAMLIT", "leave_pages_folder_mode"]

# The Streamlit versions this shim was verified against (a pip specifier).
VERIFIED_STREAMLIT = ">=1.67,<1.68"


def leave_pages_folder_mode() -> None:
    """Switch Streamlit's legacy pages-folder mode off for the whole process, as the first
    ``st.navigation`` call does. Nothing happens on a Streamlit without that mode."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
