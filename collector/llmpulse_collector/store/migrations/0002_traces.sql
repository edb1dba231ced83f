-- Traces: a per-trace summary for fast trace lists, fed by a materialized view on
-- every insert into spans. Each insert adds one partial row per trace; background
-- merges combine them, and reads always GROUP BY trace_id (see store.schema).
-- SimpleAggregateFunction columns store plain values, so reads use min/max/sum.
-- max() over strings is "any non-empty": partial rows without the root span carry ''.
CREATE TABLE IF NOT EXISTS {{table:traces}} {{on_cluster}}
(
    project_id LowCardinality(String),
    trace_id String CODEC(ZSTD(1)),
    start_time SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    end_time SimpleAggregateFunction(max, DateTime64(9, 'UTC')),
    root_name SimpleAggregateFunction(max, LowCardinality(String)),
    root_service SimpleAggregateFunction(max, LowCardinality(String)),
    environment SimpleAggregateFunction(max, LowCardinality(String)),
    span_count SimpleAggregateFunction(sum, UInt64),
    error_count SimpleAggregateFunction(sum, UInt64),
    llm_calls SimpleAggregateFunction(sum, UInt64),
    input_tokens SimpleAggregateFunction(sum, UInt64),
    output_tokens SimpleAggregateFunction(sum, UInt64),
    cost_usd SimpleAggregateFunction(sum, Float64),
    session_id SimpleAggregateFunction(max, String),
    user_id SimpleAggregateFunction(max, String),
    tags SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    models SimpleAggregateFunction(groupUniqArrayArray, Array(String)),
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toDate(start_time)
ORDER BY (project_id, trace_id)
TTL toDateTime(start_time) + INTERVAL {{retention_days}} DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.traces_mv {{on_cluster}}
TO {{table:traces}}
AS SELECT
    project_id,
    trace_id,
    min(start_time) AS start_time,
    max(end_time) AS end_time,
    anyIf(name, parent_span_id = '') AS root_name,
    anyIf(service_name, parent_span_id = '') AS root_service,
    max(environment) AS environment,
    count() AS span_count,
    countIf(status_code = 'ERROR') AS error_count,
    countIf(span_type = 'llm') AS llm_calls,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(ifNull(cost_usd, 0)) AS cost_usd,
    max(session_id) AS session_id,
    max(user_id) AS user_id,
    groupUniqArrayArray(tags) AS tags,
    groupUniqArrayIf(model, model != '') AS models
FROM {{table:spans}}
GROUP BY project_id, trace_id;

-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.traces {{on_cluster}} AS {{table:traces}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:traces}}, cityHash64(trace_id));
