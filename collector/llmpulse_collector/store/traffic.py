"""Production and experiment traffic: which rows are offline experiment runs.

``llmpulse.experiment()`` runs every dataset item as a trace of its own whose spans
are all tagged ``experiment:<run name>`` (the SDK's context stamps its tags on every
span of the item; any OTel client can tag spans so too). Those traces are offline
results: the production reads (metrics, evaluations, drift, alert rules, traces,
users, sessions, cost, filter values) leave them out, the way Langfuse keeps SDK
experiments in an environment of their own; the experiment pages read them through
the experiment tables. A trace list shows them when asked (``experiments=include`` or
``only``, or a filter on an ``experiment:`` tag).

The tag is the one mark, so stores written before this rule read the same way; the
``is_experiment`` columns of spans and traces (migration 0018) are computed from it
by ClickHouse on insert, so a read tests a byte instead of every row's tags.
Conditions are SQL over one table's rows, for the query builders to splice; they bind
the parameters ``project``, ``t0`` and ``t1`` like ``queries._where.span_where``.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "EXPERIMENT_TAG_PREFIX",
    "EXPERIMENT_TRACE",
    "EXPERIMENT_TRACE_ROW",
    "PRODUCTION_SPAN",
    "Experiments",
    "is_experiment_tag",
    "production_evaluation",
]

#: The tag prefix of experiment runs (``experiment:<run name>``).
EXPERIMENT_TAG_PREFIX = "experiment:"

#: What a listing does with experiment traces: leave them out (the default of every
#: production read), show them with production traffic, or show only them.
Experiments = Literal["exclude", "include", "only"]


def is_experiment_tag(tag: str) -> bool:
    return tag.startswith(EXPERIMENT_TAG_PREFIX)


#: On the ``spans`` table: a span of production traffic (not of an experiment run).
PRODUCTION_SPAN = "is_experiment = 0"

#: On the ``traces`` summary: a partial row holding a span with an experiment tag.
EXPERIMENT_TRACE_ROW = "traces.is_experiment = 1"

#: On the ``traces`` summary grouped by trace: a trace with an experiment tag.
EXPERIMENT_TRACE = "max(traces.is_experiment) = 1"


def production_evaluation(traces_table: str) -> str:
    """On the ``evaluations`` table: an evaluation of a production trace. The
    experiment traces are looked up in the ``traces`` summary (``store.table``) from a
    day before ``t0`` (a trace starts before its evaluations) to a day after ``t1``."""
    return (
        f"trace_id NOT IN (SELECT trace_id FROM {traces_table} "  # noqa: S608  (table name)
        "WHERE traces.project_id = {project:String} "
        "AND traces.start_time >= fromUnixTimestamp64Nano({t0:Int64}) - INTERVAL 1 DAY "
        "AND traces.start_time < fromUnixTimestamp64Nano({t1:Int64}) + INTERVAL 1 DAY "
        f"AND {EXPERIMENT_TRACE_ROW})"
    )
