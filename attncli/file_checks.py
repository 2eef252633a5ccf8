"""Each file of a checkpoint against the checksum config.json recorded for it at saving, and
config.json against the digest of its own values: what `attn info` reports of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attncli.checkpoint_folder import CONFIG_FILE, METRICS_FILE
from attncli.checksums import HEADER_DIGEST_KEY, header_status, recorded_files, status_of


@dataclass(frozen=True)
class FileCheck:
    """One file as config.json recorded it at saving, and whether the file on disk still matches."""

    name: str
    sha256: str
    bytes: int
    """The size recorded at saving (config.json's: its size now, as nothing records it)."""
    status: str
    """"ok", "changed" or "missing"."""
    bytes_on_disk: int | None = None
    """The file's size now (None where it is missing): a file cut short shows here."""
    required: bool = True
    """Whether eval and predict need the file: metrics.json (the training history) may be missing,
    or changed, which they set aside with a warning."""

    @property
    def sound(self) -> bool:
        """Whether the file is as eval and predict accept it."""
        return self.status == "ok" or not self.required


def file_checks(path: Path, header: dict[str, Any]) -> list[FileCheck] | None:
    """Each file against its record in config.json, and config.json against the digest of its own
    values (its sha256 there is that digest, and its bytes the file's size now)."""
    files = recorded_files(header, path)
    own = header_status(header)
    if files is None and own != "changed":
        return None  # saved before attn recorded checksums
    # Without its record of the files, a config.json saved by an attn that writes one has had it
    # removed: it is changed, as eval and predict find it.
    checks = (
        [
            FileCheck(
                name=CONFIG_FILE,
                sha256=str(header.get(HEADER_DIGEST_KEY)),
                bytes=(path / CONFIG_FILE).stat().st_size,
                status=own,
                bytes_on_disk=(path / CONFIG_FILE).stat().st_size,
            )
        ]
        if own is not None
        else []
    )
    return checks + [
        FileCheck(
            name=name,
            sha256=str(record.get("sha256")),
            bytes=int(record.get("bytes", 0)),
            status=status_of(path / name, record),
            required=name != METRICS_FILE,
            bytes_on_disk=_size_on_disk(path / name),
        )
        for name, record in (files or {}).items()
    ]


def _size_on_disk(path: Path) -> int | None:
    """The size of the file at `path`, or None where there is none (a link to a folder included)."""
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None
