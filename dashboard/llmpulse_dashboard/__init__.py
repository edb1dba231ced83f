"""llmpulse dashboard: Streamlit pages over the collector query API."""
