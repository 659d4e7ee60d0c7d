"""What importing a network CSV would do, shown before it is done: nothing is written.

The console uploads the file, shows new / changed / unchanged counts (with what changes) or the
row errors by line number, and imports only when the user confirms the very same file (its
SHA-256 travels with the confirmation).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .models import Node
from .services import NetworkImportError, read_network_bytes

FIELDS = ("name", "kind", "parent_code", "province", "city")


@dataclass(frozen=True)
class NodeChange:
    code: str
    line: int
    changes: dict[str, tuple[str, str]]  # field → (stored, in the file)


@dataclass
class ImportPreview:
    digest: str
    encoding: str = ""
    new: list[str] = field(default_factory=list)
    changed: list[NodeChange] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def preview_network_bytes(data: bytes) -> ImportPreview:
    """Compare a network CSV with the stored tree: counts, the changes per node, or the errors."""
    preview = ImportPreview(digest=digest_of(data))
    try:
        rows, preview.encoding = read_network_bytes(data)
    except NetworkImportError as exc:
        preview.errors = exc.translated()
        return preview
    stored = {
        code: dict(zip(FIELDS, values, strict=True))
        for code, *values in Node.objects.filter(code__in=[r.code for r in rows]).values_list(
            "code", "name", "kind", "parent__code", "province", "city"
        )
    }
    for row in rows:
        before = stored.get(row.code)
        if before is None:
            preview.new.append(row.code)
            continue
        changes = {
            name: (before[name] or "", getattr(row, name))
            for name in FIELDS
            if (before[name] or "") != getattr(row, name)
        }
        if changes:
            preview.changed.append(NodeChange(row.code, row.line, changes))
        else:
            preview.unchanged += 1
    return preview
