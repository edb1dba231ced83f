"""The evaluation loop's command line: ``llmpulse datasets ...`` and ``llmpulse
experiments ...``, clients of the collector's API (the collector owns the store)."""
