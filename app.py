"""mrrsim's Streamlit entry point: the shared frame (scenario editor, share link, notices) and
the page router. Run it with ``streamlit run app.py``.

Pages are listed in a fixed order and included only when their file exists, so each page can
be added on its own.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from mrrsim import ui

HERE = Path(__file__).parent
PAGES = (
    ("planner.py", "Planner", ":material/insights:"),
    ("compare.py", "Compare", ":material/compare_arrows:"),
    ("predictability.py", "Predictability", ":material/ssid_chart:"),
    ("sensitivity.py", "Sensitivity", ":material/tune:"),
    ("cohorts.py", "Cohorts", ":material/stacked_bar_chart:"),
    ("your_data.py", "Your data", ":material/upload_file:"),
    ("methodology.py", "Methodology", ":material/menu_book:"),
)


def pages() -> list[st.Page]:
    """The pages whose files exist, in menu order; the planner is the default."""
    found = []
    for file, title, icon in PAGES:
        path = HERE / "pages" / file
        if path.exists():
            found.append(st.Page(path, title=title, icon=icon, default=file == "planner.py"))
    return found


def main() -> None:
    st.set_page_config(
        page_title="mrrsim",
        # A local image, served by Streamlit itself: a Material or emoji icon would be
        # fetched from a font CDN, which fails offline.
        page_icon=str(HERE / "mrrsim" / "assets" / "icon.png"),
        layout="wide",
        initial_sidebar_state=360,
    )
    page = st.navigation(pages())
    scenario = ui.render_editor()
    ui.sync_query_params(scenario)
    ui.show_notices()
    page.run()


main()
