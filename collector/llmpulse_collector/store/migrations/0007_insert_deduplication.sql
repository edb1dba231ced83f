-- A retried insert is stored once. Every batch the writer inserts carries an
-- insert_deduplication_token, and the writer sends the same token when it retries the
-- batch after an error that may have come after the rows were stored (an answer lost on
-- the way back, or the second of two daily partitions failing). ClickHouse skips blocks
-- whose token it has seen among the table's last 1,000 inserts, and with
-- deduplicate_blocks_in_dependent_materialized_views the trace summary skips them too.
-- Replicated tables (cluster mode) keep such a window by default; this gives the
-- single-node tables one.
ALTER TABLE {{table:spans}} {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{table:traces}} {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000;

ALTER TABLE {{table:evaluations}} {{on_cluster}} MODIFY SETTING non_replicated_deduplication_window = 1000;
