-- Datasets: named collections of items, versioned. A dataset is a small row per
-- change (ReplacingMergeTree on updated_at, read with FINAL), replicated to every node.
CREATE TABLE IF NOT EXISTS {{database}}.datasets {{on_cluster}}
(
    project_id String,
    dataset_id String,
    name String,
    description String,
    metadata String,
    created_at DateTime64(9, 'UTC'),
    updated_at DateTime64(9, 'UTC'),
    deleted Bool
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, dataset_id);

-- Items are append-only: every add writes rows stamped with the change's version_ns
-- (one value per change: a dataset's versions are its distinct version_ns, in order).
-- Reading "as of" a version keeps, per item_id, the newest row at or before it.
-- input / expected_output / metadata hold JSON text.
CREATE TABLE IF NOT EXISTS {{table:dataset_items}} {{on_cluster}}
(
    project_id LowCardinality(String),
    dataset_id String,
    item_id String,
    version_ns Int64,
    input String CODEC(ZSTD(3)),
    expected_output String CODEC(ZSTD(3)),
    metadata String CODEC(ZSTD(3)),
    source_trace_id String,
    source_span_id String,
    deleted Bool,
    created_at DateTime64(9, 'UTC')
)
ENGINE = {{engine:MergeTree}}
ORDER BY (project_id, dataset_id, version_ns, item_id)
SETTINGS index_granularity = 8192;

-- cluster-only
CREATE TABLE IF NOT EXISTS {{database}}.dataset_items {{on_cluster}} AS {{table:dataset_items}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:dataset_items}}, cityHash64(dataset_id));
