-- Fewer merges of the spans table. Its full-text index (0006) is rebuilt on every merge
-- and costs about as much as everything else about a row (measured: 18-21 µs per row
-- without it, 33-40 with it, in 12,000-row inserts with the merges that follow); what
-- search and the descriptors (0005) give users stays. ClickHouse's merge selector picks
-- merges of parts of similar size; a larger base lets more parts of one size wait before
-- they are merged, so a row is rewritten (and its index rebuilt) fewer times, at the cost
-- of more parts per daily partition for reads to open (docs/performance.md, ingest).
-- Existing parts are untouched: the setting applies to the merges chosen from now on.
ALTER TABLE {{table:spans}} {{on_cluster}} MODIFY SETTING merge_selector_base = 20;
