-- Which deploy a span belongs to, as columns to group and filter by (drift by version,
-- the traces filter, the trace header): the service version (the OTel resource
-- attribute service.version) and the prompt version (llmpulse metadata
-- prompt_version, as llmpulse.context(metadata={"prompt_version": ...}) sets it, or
-- OpenInference's llm.prompt_template.version). MATERIALIZED: computed by ClickHouse
-- on insert, not sent by the writer, not in SELECT *; parts written before this
-- migration compute them on read (from the attribute maps: slower, same answer).
ALTER TABLE {{table:spans}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS service_version LowCardinality(String) MATERIALIZED resource_attributes['service.version'],
    ADD COLUMN IF NOT EXISTS prompt_version LowCardinality(String) MATERIALIZED if(attributes['llmpulse.metadata.prompt_version'] != '', attributes['llmpulse.metadata.prompt_version'], attributes['llm.prompt_template.version']);

-- cluster-only
ALTER TABLE {{database}}.spans {{on_cluster}}
    ADD COLUMN IF NOT EXISTS service_version LowCardinality(String) MATERIALIZED resource_attributes['service.version'],
    ADD COLUMN IF NOT EXISTS prompt_version LowCardinality(String) MATERIALIZED if(attributes['llmpulse.metadata.prompt_version'] != '', attributes['llmpulse.metadata.prompt_version'], attributes['llm.prompt_template.version']);
