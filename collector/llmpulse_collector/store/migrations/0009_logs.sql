-- OTLP log records (POST /v1/logs). The GenAI conventions put prompts and completions
-- in log events (gen_ai.user.message, gen_ai.choice, ...) tied to a span by trace and
-- span id; the trace detail attaches them to their spans when read, so the order in
-- which logs and spans arrive does not matter. Other logs are listed on their trace.
CREATE TABLE IF NOT EXISTS {{table:logs}} {{on_cluster}}
(
    project_id LowCardinality(String),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    time DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    event_name LowCardinality(String),
    severity_number UInt8,
    severity_text LowCardinality(String),
    body String CODEC(ZSTD(3)),
    attributes Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    service_name LowCardinality(String),
    scope_name LowCardinality(String),
    ingested_at DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toDate(time)
ORDER BY (project_id, toStartOfHour(time), event_name, time)
TTL toDateTime(time) + INTERVAL {{retention_days}} DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.logs {{on_cluster}} AS {{table:logs}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:logs}}, cityHash64(trace_id));
