"""``llmpulse.Dataset``: a client of a dataset stored by the collector.

ds = llmpulse.Dataset.create("refund-questions")       # or Dataset.get(name)
ds.add([{"input": {"q": "..."}, "expected_output": "..."}])
ds.add_traces(["4bf92f3577b34da6a3ce929d0e0e4736"])     # linked to production traces
for item in ds.items(): ...                            # pinned: ds.items(version=2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._http import ApiClient, quote

__all__ = ["Dataset", "DatasetItem"]


@dataclass(frozen=True, slots=True)
class DatasetItem:
    """One item: what the task gets (``input``) and what a good answer is."""

    id: str
    input: Any
    expected_output: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source_trace_id: str | None = None
    source_span_id: str | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> DatasetItem:
        return cls(
            id=str(data["id"]),
            input=data.get("input"),
            expected_output=data.get("expected_output"),
            metadata=data.get("metadata") or {},
            source_trace_id=data.get("source_trace_id"),
            source_span_id=data.get("source_span_id"),
        )


def _item_body(item: DatasetItem | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item, DatasetItem):
        body: dict[str, Any] = {
            "id": item.id or None,
            "input": item.input,
            "expected_output": item.expected_output,
            "metadata": dict(item.metadata),
            "source_trace_id": item.source_trace_id,
            "source_span_id": item.source_span_id,
        }
    else:
        if "input" not in item:
            raise ValueError(f"a dataset item needs an 'input', got keys {sorted(item)}")
        body = dict(item)
    return {k: v for k, v in body.items() if v is not None}


class Dataset:
    """A dataset of the project the API key belongs to (see ``Dataset.get``)."""

    def __init__(self, data: Mapping[str, Any], client: ApiClient) -> None:
        self.id: str = data["id"]
        self.name: str = data["name"]
        self.description: str = data.get("description", "")
        self.metadata: dict[str, Any] = dict(data.get("metadata") or {})
        self.version: int = int(data.get("version", 0))
        self._client = client

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, id={self.id!r}, version={self.version})"

    @classmethod
    def get(cls, name: str, *, endpoint: str | None = None, api_key: str | None = None) -> Dataset:
        """The dataset with this name (or id); ``ApiError`` (404) when there is none."""
        client = ApiClient(endpoint, api_key)
        return cls(client.get(f"/api/v1/datasets/{quote(name)}"), client)

    @classmethod
    def create(
        cls,
        name: str,
        *,
        description: str = "",
        metadata: Mapping[str, Any] | None = None,
        endpoint: str | None = None,
        api_key: str | None = None,
    ) -> Dataset:
        """Create an empty dataset; ``ApiError`` (409) when the name is taken."""
        client = ApiClient(endpoint, api_key)
        body = {"name": name, "description": description, "metadata": dict(metadata or {})}
        return cls(client.post("/api/v1/datasets", body), client)

    def items(self, version: int | None = None) -> list[DatasetItem]:
        """All items at ``version`` (default: the latest), in the order they were added."""
        out: list[DatasetItem] = []
        cursor: str | None = None
        while True:
            page = self._client.get(
                f"/api/v1/datasets/{self.id}/items", version=version, limit=1000, cursor=cursor
            )
            out += [DatasetItem.from_api(item) for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                self.version = max(self.version, int(page["version"]))
                return out

    def add(self, items: Iterable[DatasetItem | Mapping[str, Any]]) -> list[str]:
        """Append items (dicts with ``input`` and optional ``expected_output``,
        ``metadata``, ``id``) as one new version; returns their ids."""
        bodies = [_item_body(item) for item in items]
        ids: list[str] = []
        for start in range(0, len(bodies), 5_000):
            answer = self._client.post(
                f"/api/v1/datasets/{self.id}/items", {"items": bodies[start : start + 5_000]}
            )
            ids += answer["item_ids"]
            self.version = int(answer["version"])
        return ids

    def add_traces(
        self,
        trace_ids: Sequence[str | tuple[str, str]],
        *,
        output_as_expected: bool = False,
    ) -> list[str]:
        """Add production traces (their root span's input/output) or ``(trace_id,
        span_id)`` spans as items linked to them; returns the new item ids."""
        refs = [
            {"trace_id": t} if isinstance(t, str) else {"trace_id": t[0], "span_id": t[1]}
            for t in trace_ids
        ]
        answer = self._client.post(
            f"/api/v1/datasets/{self.id}/items/from-traces",
            {"traces": refs, "output_as_expected": output_as_expected},
        )
        self.version = int(answer["version"])
        return list(answer["item_ids"])
