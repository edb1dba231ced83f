-- Human review queues: a queue definition per change (ReplacingMergeTree on
-- updated_at, read with FINAL), and its items, one row per change of an item's status.
-- Both small, replicated to every node. Labels land in the evaluations table.
CREATE TABLE IF NOT EXISTS {{database}}.review_queues {{on_cluster}}
(
    project_id String,
    queue_id String,
    name String,
    description String,
    definition String,
    created_at DateTime64(9, 'UTC'),
    updated_at DateTime64(9, 'UTC'),
    deleted Bool
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, queue_id);

CREATE TABLE IF NOT EXISTS {{database}}.review_items {{on_cluster}}
(
    project_id String,
    queue_id String,
    item_id String,
    trace_id String,
    span_id String,
    status LowCardinality(String),
    reviewer String,
    evaluation_id String,
    added_at DateTime64(9, 'UTC'),
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, queue_id, item_id);
