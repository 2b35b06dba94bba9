"""Query parameters shared by every deletion that settles owned resources (keys, members)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

TransferTo = Annotated[
    str | None,
    Query(alias="transferTo", max_length=64, description="Member id to receive ownership"),
]
DeleteResources = Annotated[
    bool,
    Query(alias="deleteResources", description="Permanently delete solely owned resources"),
]
