-- Wrapper LLM spans resolved at insert when the insert holds the whole story, so
-- reads of the trace summary aggregate the usage arrays (migration 0008) only for the
-- traces that need them. Per trace and insert, the view now also writes:
--   wrapped_*         the calls, tokens and cost of the LLM spans that are wrappers
--                     within the insert (an LLM child carrying usage in the same insert);
--   llm_usage_open    llm_usage without those wrappers: the LLM spans that a child in
--                     another insert may still make wrappers;
--   llm_parents_open  llm_parents whose span is not in the insert: the parents that a
--                     span of another insert may be (a parent in the insert is decided:
--                     a wrapper, counted above, or not an LLM span).
-- A trace's totals are its sums minus wrapped_* minus the llm_usage_open entries found
-- in llm_parents_open (store.schema): the same as before, and a trace none of whose
-- rows holds an open parent has nothing to subtract beyond wrapped_*.
-- Rows written before this migration read their defaults: nothing wrapped at insert,
-- every usage and parent open, which is exactly the rule as migration 0008 applied it.
ALTER TABLE {{table:traces}} {{on_cluster}}
    ADD COLUMN IF NOT EXISTS wrapped_llm_calls SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapped_input_tokens SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapped_output_tokens SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapped_cost_usd SimpleAggregateFunction(sum, Float64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS llm_usage_open SimpleAggregateFunction(groupArrayArray,
        Array(Tuple(UInt64, UInt64, UInt64, UInt64, Float64))) DEFAULT llm_usage,
    ADD COLUMN IF NOT EXISTS llm_parents_open
        SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)) DEFAULT llm_parents;

-- cluster-only
ALTER TABLE {{database}}.traces {{on_cluster}}
    ADD COLUMN IF NOT EXISTS wrapped_llm_calls SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapped_input_tokens SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapped_output_tokens SimpleAggregateFunction(sum, UInt64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapped_cost_usd SimpleAggregateFunction(sum, Float64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS llm_usage_open SimpleAggregateFunction(groupArrayArray,
        Array(Tuple(UInt64, UInt64, UInt64, UInt64, Float64))) DEFAULT llm_usage,
    ADD COLUMN IF NOT EXISTS llm_parents_open
        SimpleAggregateFunction(groupUniqArrayArray, Array(UInt64)) DEFAULT llm_parents;

DROP VIEW IF EXISTS {{database}}.traces_mv {{on_cluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.traces_mv {{on_cluster}}
TO {{table:traces}}
AS SELECT
    project_id,
    trace_id,
    start_time,
    end_time,
    root_name,
    root_service,
    environment,
    span_count,
    error_count,
    llm_calls,
    input_tokens,
    output_tokens,
    cost_usd,
    session_id,
    user_id,
    tags,
    models,
    llm_usage,
    llm_parents,
    arraySum(u -> if(has(llm_parents, u.1), u.2, 0), llm_usage) AS wrapped_llm_calls,
    arraySum(u -> if(has(llm_parents, u.1), u.3, 0), llm_usage) AS wrapped_input_tokens,
    arraySum(u -> if(has(llm_parents, u.1), u.4, 0), llm_usage) AS wrapped_output_tokens,
    arraySum(u -> if(has(llm_parents, u.1), u.5, 0), llm_usage) AS wrapped_cost_usd,
    arrayFilter(u -> NOT has(llm_parents, u.1), llm_usage) AS llm_usage_open,
    arrayFilter(p -> NOT has(span_keys, p), llm_parents) AS llm_parents_open
FROM (
    SELECT
        project_id,
        trace_id,
        min(start_time) AS start_time,
        max(end_time) AS end_time,
        anyIf(name, parent_span_id = '') AS root_name,
        anyIf(service_name, parent_span_id = '') AS root_service,
        max(environment) AS environment,
        count() AS span_count,
        countIf(status_code = 'ERROR') AS error_count,
        countIf(span_type = 'llm') AS llm_calls,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(ifNull(cost_usd, 0)) AS cost_usd,
        max(session_id) AS session_id,
        max(user_id) AS user_id,
        groupUniqArrayArray(tags) AS tags,
        groupUniqArrayIf(model, model != '') AS models,
        groupArrayIf(
            (cityHash64(s.span_id), toUInt64(1), s.input_tokens, s.output_tokens, ifNull(s.cost_usd, 0)),
            s.span_type = 'llm'
        ) AS llm_usage,
        groupUniqArrayIf(
            cityHash64(s.parent_span_id),
            s.span_type = 'llm' AND s.parent_span_id != ''
            AND (s.input_tokens > 0 OR s.output_tokens > 0 OR ifNull(s.cost_usd, 0) > 0)
        ) AS llm_parents,
        groupArray(cityHash64(s.span_id)) AS span_keys
    FROM {{table:spans}} AS s
    GROUP BY project_id, trace_id
);
