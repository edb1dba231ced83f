-- The nested-LLM rule (store.schema.nested_llm_span) without hashing ids at read.
-- A read decides which LLM spans are wrappers (the parent of an LLM span carrying
-- usage) over the spans of its range, as the inner span may arrive in another insert
-- than its wrapper, either first or last. Until now it hashed every span's trace and
-- span id strings twice per query; these columns hold the hashes, computed once by
-- ClickHouse on insert (MATERIALIZED: not in SELECT *, not sent by the writer):
--   llm_key         an LLM span's cityHash64(trace_id, span_id), 0 for other spans;
--   llm_parent_key  an LLM span carrying usage (tokens or a cost) with a parent: the
--                   parent's cityHash64(trace_id, parent_span_id), else 0.
-- A wrapper is then an LLM span whose llm_key is some llm_parent_key of the range.
-- Parts written before this migration compute them when read (the same values) until
-- the MATERIALIZE mutations below have rewritten them, in the background.
ALTER TABLE {{table:spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS llm_key UInt64
        MATERIALIZED if(span_type = 'llm', cityHash64(trace_id, span_id), 0),
    ADD COLUMN IF NOT EXISTS llm_parent_key UInt64
        MATERIALIZED if(span_type = 'llm' AND parent_span_id != ''
            AND (input_tokens > 0 OR output_tokens > 0 OR ifNull(cost_usd, 0) > 0),
            cityHash64(trace_id, parent_span_id), 0);

-- The Distributed table declares the same MATERIALIZED columns: inserts through it
-- leave them out (each shard computes them), reads fetch the shards' stored values.
-- cluster-only
ALTER TABLE {{database}}.spans {{on_cluster}}
    ADD COLUMN IF NOT EXISTS llm_key UInt64
        MATERIALIZED if(span_type = 'llm', cityHash64(trace_id, span_id), 0),
    ADD COLUMN IF NOT EXISTS llm_parent_key UInt64
        MATERIALIZED if(span_type = 'llm' AND parent_span_id != ''
            AND (input_tokens > 0 OR output_tokens > 0 OR ifNull(cost_usd, 0) > 0),
            cityHash64(trace_id, parent_span_id), 0);

ALTER TABLE {{table:spans}} {{on_cluster}} MATERIALIZE COLUMN llm_key;

ALTER TABLE {{table:spans}} {{on_cluster}} MATERIALIZE COLUMN llm_parent_key;
