-- Experiment runs: a task run over a dataset's items, each item a normal trace.
-- One row per change of a run (ReplacingMergeTree on updated_at, read with FINAL),
-- replicated to every node.
CREATE TABLE IF NOT EXISTS {{database}}.experiment_runs {{on_cluster}}
(
    project_id String,
    run_id String,
    name String,
    dataset_id String,
    dataset_name String,
    dataset_version UInt32,
    dataset_version_ns Int64,
    metadata String,
    status LowCardinality(String),
    created_at DateTime64(9, 'UTC'),
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, run_id);

-- One row per item of a run: what the task returned (JSON text), or its error.
CREATE TABLE IF NOT EXISTS {{table:experiment_results}} {{on_cluster}}
(
    project_id LowCardinality(String),
    run_id String,
    item_id String,
    trace_id String,
    input String CODEC(ZSTD(3)),
    expected_output String CODEC(ZSTD(3)),
    output String CODEC(ZSTD(3)),
    error String CODEC(ZSTD(3)),
    latency_ms Float64,
    created_at DateTime64(9, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree(created_at)}}
ORDER BY (project_id, run_id, item_id)
SETTINGS index_granularity = 8192;

-- One row per (item, evaluator) of a run: a score in [0, 1] or any number, a verdict.
CREATE TABLE IF NOT EXISTS {{table:experiment_scores}} {{on_cluster}}
(
    project_id LowCardinality(String),
    run_id String,
    item_id String,
    name LowCardinality(String),
    score Nullable(Float64),
    passed Nullable(Bool),
    label String,
    reason String CODEC(ZSTD(3)),
    created_at DateTime64(9, 'UTC')
)
ENGINE = {{engine:ReplacingMergeTree(created_at)}}
ORDER BY (project_id, run_id, item_id, name)
SETTINGS index_granularity = 8192;

-- Sharded by item so the rows of two runs for one item meet on one shard.
-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.experiment_results {{on_cluster}} AS {{table:experiment_results}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:experiment_results}}, cityHash64(item_id));

-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.experiment_scores {{on_cluster}} AS {{table:experiment_scores}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:experiment_scores}}, cityHash64(item_id));
