from llmpulse_collector.ingest._limits import Limits
from llmpulse_collector.ingest._normalize import NormalizedBatch

class Fallback(Exception): ...

def normalize_protobuf(
    body: bytes, project_id: str, now_ns: int, limits: Limits
) -> NormalizedBatch: ...
