"""HTTP routes of the collector: OTLP ingestion, the query API, health and metrics."""
