"""ZIP archives, read recursively within limits: a bomb is refused, not unpacked."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from canary.sightings.readers.base import LimitExceeded, Limits, ReaderError, TextChunk

if TYPE_CHECKING:
    from canary.sightings.readers.lines import LineDocument

ReadFn = Callable[
    [bytes, str, Limits, int, "Budget", "list[ReaderError] | None"], Iterator["TextChunk | LineDocument"]
]
_UTF8_NAMES = 0x800


@dataclass
class Budget:
    """What one document has unpacked so far, across nested archives."""

    members: int = 0
    expanded_bytes: int = 0


def check_zip_size(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Refuse an archive whose declared contents exceed the limits, before unpacking anything."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise LimitExceeded(
            f"{name}: {len(infos)} archive members, more than the limit of {limits.max_members}"
        )
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_expanded_bytes:
        raise LimitExceeded(
            f"{name}: would expand to {declared:,} bytes, over the limit of {limits.max_expanded_bytes:,}"
        )


def read_zip(
    data: bytes,
    name: str,
    limits: Limits,
    depth: int,
    budget: Budget,
    errors: list[ReaderError] | None,
    read_member: ReadFn,
) -> Iterator[TextChunk | LineDocument]:
    if depth > limits.max_depth:
        raise LimitExceeded(f"{name}: archives nested deeper than {limits.max_depth} levels")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ReaderError(f"{name}: not a readable ZIP archive ({error})") from error
    with archive:
        check_zip_size(archive, name, limits)
        for info in archive.infolist():
            if info.is_dir():
                continue
            member_name = f"{name}!{_member_name(info)}"
            content = _unpack(archive, info, member_name, limits, budget)
            try:
                yield from read_member(content, member_name, limits, depth + 1, budget, errors)
            except LimitExceeded:
                raise
            except ReaderError as error:
                if errors is None:
                    raise
                errors.append(error)  # one unreadable member does not hide the others
            del content  # before the next member is unpacked: one member in memory at a time


def _unpack(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits, budget: Budget
) -> bytes:
    budget.members += 1
    if budget.members > limits.max_members:
        raise LimitExceeded(f"{name}: more than {limits.max_members} archive members in one document")
    allowed = min(limits.max_member_bytes, limits.max_expanded_bytes - budget.expanded_bytes)
    if info.flag_bits & 0x1:
        raise ReaderError(f"{name}: the archive member is encrypted")
    try:
        with archive.open(info) as member:
            # Read one byte past the allowance: headers can lie about sizes, the stream cannot.
            content = member.read(allowed + 1)
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
        raise ReaderError(f"{name}: cannot unpack ({error})") from error
    if len(content) > allowed:
        raise LimitExceeded(
            f"{name}: expands past the limit of {limits.max_expanded_bytes:,} bytes (zip bomb?)"
        )
    budget.expanded_bytes += len(content)
    return content


def _member_name(info: zipfile.ZipInfo) -> str:
    """Member names without the UTF-8 flag are usually GBK on Chinese systems, not CP437."""
    if info.flag_bits & _UTF8_NAMES:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename
