"""Your data: import a subscription export, see the actual MRR history, and calibrate a
scenario from it (the Streamlit code is in ``mrrsim.ui.data``)."""

from mrrsim import ui
from mrrsim.ui.data import render_your_data

render_your_data(ui.current_scenario())
