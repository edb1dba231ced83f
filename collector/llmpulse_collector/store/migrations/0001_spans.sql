-- Spans: one wide row per span, exactly the columns of model.SpanRow.
-- The sort key starts with the project and the hour, so every dashboard query reads
-- one project's time range; daily partitions let the TTL drop whole days.
CREATE TABLE IF NOT EXISTS {{table:spans}} {{on_cluster}}
(
    project_id LowCardinality(String),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    name LowCardinality(String),
    kind LowCardinality(String),
    service_name LowCardinality(String),
    scope_name LowCardinality(String),
    environment LowCardinality(String),
    start_time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    end_time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    duration_ms Float64 CODEC(ZSTD(1)),
    status_code LowCardinality(String),
    status_message String CODEC(ZSTD(1)),
    span_type LowCardinality(String),
    model LowCardinality(String),
    provider LowCardinality(String),
    input_tokens UInt64 CODEC(T64, ZSTD(1)),
    output_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_read_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_write_tokens UInt64 CODEC(T64, ZSTD(1)),
    reasoning_tokens UInt64 CODEC(T64, ZSTD(1)),
    cost_usd Nullable(Float64) CODEC(ZSTD(1)),
    time_to_first_token_ms Nullable(Float64) CODEC(ZSTD(1)),
    finish_reason LowCardinality(String),
    tool_name LowCardinality(String),
    session_id String CODEC(ZSTD(1)),
    user_id String CODEC(ZSTD(1)),
    tags Array(LowCardinality(String)),
    input String CODEC(ZSTD(3)),
    output String CODEC(ZSTD(3)),
    attributes Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    resource_attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    events String CODEC(ZSTD(3)),
    ingested_at DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration duration_ms TYPE minmax GRANULARITY 1
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toDate(start_time)
ORDER BY (project_id, toStartOfHour(start_time), span_type, service_name, name, start_time)
TTL toDateTime(start_time) + INTERVAL {{retention_days}} DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.spans {{on_cluster}} AS {{table:spans}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:spans}}, cityHash64(trace_id));
