-- Full-text search of the trace list (?q=): a case-insensitive substring of a span's
-- input or output. An ngram bloom filter over the lower-cased text lets a search skip
-- the granules that cannot contain the substring (read queries must use exactly
-- lower(concat(input, '\n', output)) LIKE '%...%'; store.queries._where.SEARCH_TEXT).
-- Existing parts are indexed by the MATERIALIZE mutation (in the background).
ALTER TABLE {{table:spans}} {{on_cluster}}
    ADD INDEX IF NOT EXISTS idx_text lower(concat(input, '\n', output))
    TYPE ngrambf_v1(3, 32768, 2, 0) GRANULARITY 1;

ALTER TABLE {{table:spans}} {{on_cluster}} MATERIALIZE INDEX idx_text;
