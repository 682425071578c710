"""What the tenant rules share: related locations for a tenant source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.findings import Related

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.values import TenantIdV


def source_related(model: Model, source: TenantIdV | None) -> list[Related]:
    if source is None:
        return []
    return [model.related(source.loc, f"tenant id taken here, from {source.how}")]
