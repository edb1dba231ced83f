-- The nested-LLM rule over spans (store.schema.nested_llm_span) reads a small set of
-- keys instead of a set built from every LLM span of the range. A wrapper is an LLM
-- span that is the parent of an LLM span carrying usage (tokens or a cost); the rule
-- used to look every LLM span's llm_key up in the llm_parent_key of every span of the
-- range (migration 0013), about a third of the CPU of a summary or a time series at
-- 1M spans. Most of those parents are not LLM spans, and an insert that holds a parent
-- already tells: a parent in the same insert is a wrapper when it is an LLM span, and
-- is none when it is another kind of span.
--
-- llm_wrapper_keys holds, per LLM span carrying usage (with its start time), the key of
-- its parent, cityHash64(trace_id, parent_span_id) as llm_parent_key, unless the parent
-- is in the same insert and is not an LLM span:
--   decided at insert  the parent is an LLM span of the insert: a wrapper;
--   open               the parent is not in the insert: a later or earlier insert says
--                      what it is (its llm_key matches only if it is an LLM span).
-- A wrapper is then an LLM span whose llm_key is a key of this table in the range: the
-- same spans as before. A trace exported whole leaves only its real wrappers here.
-- Keys left out belong to spans that are not LLM spans (llm_key = 0), so no answer
-- changes; a key written twice (a retried insert) changes nothing either (a set).
CREATE TABLE IF NOT EXISTS {{table:llm_wrapper_keys}} {{on_cluster}}
(
    project_id LowCardinality(String),
    trace_id String CODEC(ZSTD(1)),
    start_time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    key UInt64
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toDate(start_time)
ORDER BY (project_id, start_time)
TTL toDateTime(start_time) + INTERVAL {{retention_days}} DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- Sharded like the spans, so a trace's keys are on its spans' shard (the view below
-- writes each shard's own; the backfill at the end goes through this table).
-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.llm_wrapper_keys {{on_cluster}} AS {{table:llm_wrapper_keys}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:llm_wrapper_keys}}, cityHash64(trace_id));

-- Per insert: each span yields one entry, an LLM span carrying usage its parent's key
-- (kind 1), any other kind of span its own key (kind 0: "not an LLM span"); an LLM span
-- without usage yields none. A key with a kind-0 entry is decided "no wrapper".
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.llm_wrapper_keys_mv {{on_cluster}}
TO {{table:llm_wrapper_keys}}
AS SELECT project_id, trace_id, arrayJoin(times) AS start_time, key
FROM (
    SELECT
        project_id,
        entry.1 AS key,
        any(s.trace_id) AS trace_id,  -- the key's trace (the key hashes it)
        groupArrayIf(s.start_time, entry.2 = 1) AS times,
        max(entry.2 = 0) AS not_llm
    FROM {{table:spans}} AS s
    ARRAY JOIN if(
        s.span_type = 'llm',
        if(
            s.parent_span_id != ''
            AND (s.input_tokens > 0 OR s.output_tokens > 0 OR ifNull(s.cost_usd, 0) > 0),
            [(cityHash64(s.trace_id, s.parent_span_id), toUInt8(1))],
            []
        ),
        [(cityHash64(s.trace_id, s.span_id), toUInt8(0))]
    ) AS entry
    GROUP BY project_id, key
)
WHERE NOT not_llm;

-- Spans stored before this migration: every parent key open (the rule exactly as
-- before for their ranges). Through the Distributed tables in a cluster (an INSERT
-- runs on one node; it reads every shard and writes to every shard). A span inserted
-- while this runs may be written twice, which changes nothing (see above).
INSERT INTO {{database}}.llm_wrapper_keys (project_id, trace_id, start_time, key)
SELECT project_id, trace_id, start_time, llm_parent_key
FROM {{database}}.spans
WHERE llm_parent_key != 0;
