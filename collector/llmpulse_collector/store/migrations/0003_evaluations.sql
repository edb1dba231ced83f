-- Evaluations: assertions, scores and human feedback, exactly model.EvaluationRow.
-- Sharded like spans (by trace) so a trace's spans and evaluations share a shard.
CREATE TABLE IF NOT EXISTS {{table:evaluations}} {{on_cluster}}
(
    project_id LowCardinality(String),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    name LowCardinality(String),
    source LowCardinality(String),
    passed Nullable(Bool),
    score Nullable(Float64),
    label LowCardinality(String),
    comment String CODEC(ZSTD(3)),
    value String CODEC(ZSTD(3)),
    created_at DateTime64(9, 'UTC') CODEC(Delta, ZSTD(1)),
    evaluation_id UUID,
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toDate(created_at)
ORDER BY (project_id, name, created_at)
TTL toDateTime(created_at) + INTERVAL {{retention_days}} DAY
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.evaluations {{on_cluster}} AS {{table:evaluations}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:evaluations}}, cityHash64(trace_id));
