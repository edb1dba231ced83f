-- A number key per trace on the summary, for the reads that aggregate many traces of
-- a range (users, sessions, the cost of users and tags, the count of a trace list):
-- grouping partial rows by a UInt64 is far cheaper than by the trace_id string.
--   trace_key  cityHash64(trace_id), computed once by ClickHouse on insert
--              (MATERIALIZED: not in SELECT *, not written by the view or the writer).
-- Such a read groups by trace_key (it outputs no trace id), and every trace listing
-- leaves out the traces that started before its range by the keys of the day before
-- it (queries._where.trace_where) instead of aggregating that day's rows: two traces
-- of one project's range and the day around it sharing a 64-bit hash (and so counted
-- as one, or left out) is vanishingly unlikely, as for the span keys of migration 0013.
-- Parts written before this migration compute it when read (the same values) until
-- the MATERIALIZE mutation below has rewritten them, in the background.
ALTER TABLE {{table:traces}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS trace_key UInt64 MATERIALIZED cityHash64(trace_id);

-- The Distributed table declares the same MATERIALIZED column: inserts through it
-- leave it out (each shard computes it), reads fetch the shards' stored values.
-- cluster-only
ALTER TABLE {{database}}.traces {{on_cluster}}
    ADD COLUMN IF NOT EXISTS trace_key UInt64 MATERIALIZED cityHash64(trace_id);

ALTER TABLE {{table:traces}} {{on_cluster}} MATERIALIZE COLUMN trace_key;
