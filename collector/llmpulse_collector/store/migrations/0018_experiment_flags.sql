-- Production reads leave experiment runs out (store.traffic): spans and traces tagged
-- experiment:<run>. The condition was arrayExists(startsWith) over every row's tags,
-- which read the tags arrays of the whole range for every summary, time series, cost
-- and trace listing (some 20 ms of CPU per 1M spans). These columns hold it, computed
-- by ClickHouse from the tags on insert (MATERIALIZED: not in SELECT *, not sent by
-- the writer), so a read tests one byte per row:
--   spans.is_experiment   1 when the span's tags hold an experiment tag;
--   traces.is_experiment  the same per partial row, merged with max, so a trace's
--                         max(is_experiment) says whether any of its spans has one.
-- The tag stays the one mark: parts written before this migration compute the columns
-- from their tags when read (the same values) until the MATERIALIZE mutations below
-- have rewritten them, in the background.
ALTER TABLE {{table:spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS is_experiment UInt8
        MATERIALIZED arrayExists(t -> startsWith(t, 'experiment:'), tags);

-- cluster-only
ALTER TABLE {{database}}.spans {{on_cluster}}
    ADD COLUMN IF NOT EXISTS is_experiment UInt8
        MATERIALIZED arrayExists(t -> startsWith(t, 'experiment:'), tags);

ALTER TABLE {{table:traces}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS is_experiment SimpleAggregateFunction(max, UInt8)
        MATERIALIZED arrayExists(t -> startsWith(t, 'experiment:'), tags);

-- cluster-only
ALTER TABLE {{database}}.traces {{on_cluster}}
    ADD COLUMN IF NOT EXISTS is_experiment SimpleAggregateFunction(max, UInt8)
        MATERIALIZED arrayExists(t -> startsWith(t, 'experiment:'), tags);

ALTER TABLE {{table:spans}} {{on_cluster}} MATERIALIZE COLUMN is_experiment;

ALTER TABLE {{table:traces}} {{on_cluster}} MATERIALIZE COLUMN is_experiment;
