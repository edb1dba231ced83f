-- Projects and API keys: small tables, replicated to every node in cluster mode
-- (no sharding, no Distributed table) so key lookups stay local.
-- ReplacingMergeTree: a change is a new row with a newer updated_at; read with FINAL.
CREATE TABLE IF NOT EXISTS {{database}}.projects {{on_cluster}}
(
    project_id String,
    name String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY project_id;

-- key_hash is the sha256 hex of the plaintext key, which is never stored.
CREATE TABLE IF NOT EXISTS {{database}}.api_keys {{on_cluster}}
(
    key_hash String,
    key_prefix String,
    project_id String,
    scope LowCardinality(String),
    created_at DateTime64(3, 'UTC'),
    revoked Bool,
    updated_at DateTime64(9, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(updated_at)}}
ORDER BY key_hash;
