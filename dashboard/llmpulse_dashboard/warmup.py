"""Finish the heavy imports before any session renders.

Streamlit runs every browser session's script in its own thread. Plotly looks up
numpy, pandas and PIL with ``sys.modules.get`` (``_plotly_utils.optional_imports.
get_module(..., should_load=False)``): while one session's thread is still importing
pandas, another session building a figure gets the half-initialized module
(``AttributeError: partially initialized module 'pandas' has no attribute 'Series'``).

Importing this module completes those imports, and draws and serializes one figure of
each kind the dashboard uses (so plotly's lazily loaded trace classes and validators
are loaded too). ``llmpulse_dashboard.serve`` imports it before the server starts;
``app.py`` imports it first as well, so ``streamlit run app.py`` is safe too: a second
session's ``import`` of a module that another thread is still importing waits for it.
"""

from __future__ import annotations

import importlib
import importlib.util

__all__ = ["warm_up"]

# what plotly and Streamlit load lazily, by plain import or by sys.modules lookup
_MODULES = (
    "numpy",
    "pandas",
    "pyarrow",
    "PIL.Image",
    "plotly.graph_objects",
    "plotly.subplots",
    "plotly.io",
    "plotly.express",
    "streamlit.elements.plotly_chart",
    "streamlit.dataframe_util",
)


def warm_up() -> None:
    for name in _MODULES:
        if importlib.util.find_spec(name.partition(".")[0]) is not None:
            importlib.import_module(name)
    pd = importlib.import_module("pandas")  # untyped (no stubs installed)
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.subplots import make_subplots

    x = pd.to_datetime(pd.Series([0, 60, 120]), unit="s", utc=True)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=[1.0, 2.0, 3.0], mode="lines+markers"))
    fig.add_trace(go.Bar(x=x, y=[3, 2, 1], marker_color="#2563eb"), secondary_y=True)
    fig.add_trace(go.Bar(x=[1, 2], y=["a", "b"], orientation="h"))
    fig.add_vrect(x0=x[0], x1=x[1], fillcolor="#dc2626", opacity=0.1, line_width=0)
    fig.update_layout(height=200, margin={"l": 0, "r": 0, "t": 0, "b": 0})
    pio.to_json(fig, validate=True)


warm_up()
