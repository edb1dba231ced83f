-- Text descriptors of span outputs, computed by ClickHouse on insert (MATERIALIZED:
-- not in SELECT *, not sent by the writer), so drift in content is visible without
-- embeddings and the Python ingest path does no extra work. Parts written before this
-- migration compute them on read. The cheap ASCII test runs before the script regexes.
ALTER TABLE {{table:spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS output_chars UInt32 MATERIALIZED lengthUTF8(output),
    ADD COLUMN IF NOT EXISTS output_is_json UInt8 MATERIALIZED isValidJSON(output),
    ADD COLUMN IF NOT EXISTS output_refusal UInt8 MATERIALIZED multiSearchAnyCaseInsensitiveUTF8(output, ['i''m sorry, but', 'i am sorry, but', 'i’m sorry, but', 'i cannot help', 'i can''t help', 'i can’t help', 'i cannot assist', 'i can''t assist', 'i can’t assist', 'i''m unable to', 'i’m unable to', 'i am unable to', 'i cannot provide', 'i can''t provide', 'i can’t provide', 'i won''t be able to', 'as an ai language model', 'i''m not able to', 'i am not able to']),
    ADD COLUMN IF NOT EXISTS output_script LowCardinality(String) MATERIALIZED multiIf(output = '', 'empty', match(output, '^[\\x00-\\x7F]*$'), 'latin', match(output, '[\\p{Hiragana}\\p{Katakana}]'), 'kana', match(output, '\\p{Hangul}'), 'hangul', match(output, '\\p{Han}'), 'han', match(output, '\\p{Cyrillic}'), 'cyrillic', match(output, '\\p{Arabic}'), 'arabic', match(output, '\\p{Hebrew}'), 'hebrew', match(output, '\\p{Devanagari}'), 'devanagari', match(output, '\\p{Thai}'), 'thai', match(output, '\\p{Greek}'), 'greek', match(output, '\\p{Latin}'), 'latin', 'other');

-- The Distributed table declares the same MATERIALIZED columns: inserts through it
-- leave them out (each shard computes them), reads fetch the shards' stored values.
-- cluster-only
ALTER TABLE {{database}}.spans {{on_cluster}}
    ADD COLUMN IF NOT EXISTS output_chars UInt32 MATERIALIZED lengthUTF8(output),
    ADD COLUMN IF NOT EXISTS output_is_json UInt8 MATERIALIZED isValidJSON(output),
    ADD COLUMN IF NOT EXISTS output_refusal UInt8 MATERIALIZED multiSearchAnyCaseInsensitiveUTF8(output, ['i''m sorry, but', 'i am sorry, but', 'i’m sorry, but', 'i cannot help', 'i can''t help', 'i can’t help', 'i cannot assist', 'i can''t assist', 'i can’t assist', 'i''m unable to', 'i’m unable to', 'i am unable to', 'i cannot provide', 'i can''t provide', 'i can’t provide', 'i won''t be able to', 'as an ai language model', 'i''m not able to', 'i am not able to']),
    ADD COLUMN IF NOT EXISTS output_script LowCardinality(String) MATERIALIZED multiIf(output = '', 'empty', match(output, '^[\\x00-\\x7F]*$'), 'latin', match(output, '[\\p{Hiragana}\\p{Katakana}]'), 'kana', match(output, '\\p{Hangul}'), 'hangul', match(output, '\\p{Han}'), 'han', match(output, '\\p{Cyrillic}'), 'cyrillic', match(output, '\\p{Arabic}'), 'arabic', match(output, '\\p{Hebrew}'), 'hebrew', match(output, '\\p{Devanagari}'), 'devanagari', match(output, '\\p{Thai}'), 'thai', match(output, '\\p{Greek}'), 'greek', match(output, '\\p{Latin}'), 'latin', 'other');

-- Server-side evaluation rules and alert rules managed through the API: one row per
-- version (ReplacingMergeTree on updated_at, read with FINAL); deleting writes a
-- tombstone (deleted = 1). Small tables, replicated to every node in a cluster.
CREATE TABLE IF NOT EXISTS {{database}}.eval_rules {{on_cluster}}
(
    project_id String,
    rule_id String,
    name String,
    definition String,
    deleted Bool,
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, rule_id);

CREATE TABLE IF NOT EXISTS {{database}}.alert_rules {{on_cluster}}
(
    project_id String,
    rule_id String,
    name String,
    definition String,
    deleted Bool,
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, rule_id);

-- The alert engine's current state per rule (one row per change, latest wins).
CREATE TABLE IF NOT EXISTS {{database}}.alert_state {{on_cluster}}
(
    project_id String,
    rule_id String,
    rule_name String,
    status LowCardinality(String),
    since DateTime64(9, 'UTC'),
    value Nullable(Float64),
    baseline Nullable(Float64),
    samples UInt64,
    last_evaluated_at DateTime64(9, 'UTC'),
    last_notified_at DateTime64(9, 'UTC'),
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY (project_id, rule_id);

-- Alert history: one row per transition or reminder (firing, resolved, renotified).
CREATE TABLE IF NOT EXISTS {{database}}.alert_events {{on_cluster}}
(
    project_id String,
    rule_id String,
    rule_name String,
    event LowCardinality(String),
    severity LowCardinality(String),
    at DateTime64(9, 'UTC'),
    value Nullable(Float64),
    baseline Nullable(Float64),
    samples UInt64,
    message String,
    notified Bool,
    payload String CODEC(ZSTD(3))
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY toYYYYMM(at)
ORDER BY (project_id, at, rule_id)
TTL toDateTime(at) + INTERVAL 400 DAY;
