"""Finish the heavy imports before any session renders.

Streamlit runs every browser session's script in its own thread. A library that looks
a module up with ``sys.modules.get`` instead of importing it (plotly did, for pandas)
gets a half-initialized module while another session's thread is still importing it
(``AttributeError: partially initialized module 'pandas' has no attribute 'Series'``).

Importing this module completes the imports of what tables and charts use (numpy,
pandas, pyarrow, Streamlit's dataframe and Vega-Lite elements) and converts one small
table to Arrow the way ``st.dataframe`` does, so lazily loaded parts are loaded too.
``llmpulse_dashboard.serve`` imports it before the server starts; ``app.py`` imports it
first as well, so ``streamlit run app.py`` is safe too: a second session's ``import``
of a module that another thread is still importing waits for it.
"""

from __future__ import annotations

import importlib
import importlib.util

__all__ = ["warm_up"]

# what Streamlit loads lazily, by plain import or by sys.modules lookup
_MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "PIL.Image",
    "streamlit.dataframe_util",
    "streamlit.elements.arrow",
    "streamlit.elements.vega_charts",
)


def warm_up() -> None:
    for name in _MODULES:
        if importlib.util.find_spec(name.partition(".")[0]) is not None:
            importlib.import_module(name)
    pd = importlib.import_module("pandas")  # untyped (no stubs installed)
    from streamlit import dataframe_util

    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(pd.Series([0, 60, 120]), unit="s", utc=True),
            "value": [1.0, 2.0, None],
            "name": ["a", "b", "c"],
        }
    )
    dataframe_util.convert_anything_to_arrow_bytes(frame)
    dataframe_util.convert_anything_to_arrow_bytes([{"a": 1, "b": "x"}, {"a": 2, "b": None}])


warm_up()
