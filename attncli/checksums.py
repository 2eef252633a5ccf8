"""SHA-256 records of a checkpoint's files: made from the bytes a save writes, checked against the
bytes a load reads, and compared with the files on disk for `attn info`. No torch."""

from __future__ import annotations

import hashlib
import json
import re
import stat
from pathlib import Path
from typing import Any

from attncli.errors import CheckpointError

FILES_KEY = "files"
"""The key of config.json that maps each other file of the checkpoint to its record."""
HEADER_DIGEST_KEY = "config_sha256"
"""The key of config.json holding the SHA-256 of config.json itself (without this key): a label list
reordered or a setting changed by hand would otherwise change every prediction without a word."""
CHUNK_BYTES = 1 << 20
RESTORE_OR_RETRAIN = "restore the file from a backup of the checkpoint, or train it again with `attn train`"


def record_of(data: bytes) -> dict[str, Any]:
    """What config.json records of one file: its SHA-256 (hex) and its size in bytes."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _expected(path: Path, record: Any) -> tuple[str, int]:
    if not (isinstance(record, dict) and isinstance(record.get("sha256"), str)):
        raise CheckpointError(
            f"the checksum of {path.name} in {path.parent / 'config.json'} is malformed, so the checkpoint "
            f"is damaged; {RESTORE_OR_RETRAIN}"
        )
    size = record.get("bytes", -1)
    if not isinstance(size, int):
        raise CheckpointError(
            f"the size of {path.name} in {path.parent / 'config.json'} is malformed, so the checkpoint "
            f"is damaged; {RESTORE_OR_RETRAIN}"
        )
    return record["sha256"], size


def check_bytes(path: Path, data: bytes, record: Any, *, remedy: str = RESTORE_OR_RETRAIN) -> None:
    """Raise a CheckpointError naming `path` when `data` (its contents, as read) is not the file
    that `record` describes."""
    sha256, size = _expected(path, record)
    if len(data) != size:
        raise CheckpointError(f"{path} is damaged: {len(data):,} bytes where {size:,} were saved; {remedy}")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise CheckpointError(
            f"{path} is damaged: its contents differ from the SHA-256 recorded when it was saved; {remedy}"
        )


def read_checked(
    path: Path, files: dict[str, Any] | None, *, remedy: str = RESTORE_OR_RETRAIN, required: bool = True
) -> bytes:
    """The bytes of `path`, checked against its record in `files` (config.json's "files"); a
    checkpoint written before attn recorded checksums (no "files") is read unchecked, but one that
    records them must record this file too, unless it is not `required`."""
    if path.exists() and not path.is_file():  # a FIFO or a device: reading would wait, or never end
        raise CheckpointError(f"{path} is not a regular file; {remedy}")
    if files is not None and path.name in files:
        # The size first: a file grown to gigabytes was read whole before it was found damaged.
        _, size = _expected(path, files[path.name])
        if path.is_file() and path.stat().st_size != size:
            raise CheckpointError(
                f"{path} is damaged: {path.stat().st_size:,} bytes where {size:,} were saved; {remedy}"
            )
    try:
        data = path.read_bytes()
    except PermissionError as error:  # not damage: restoring or retraining was the wrong advice
        raise CheckpointError(
            f"cannot read {path} (permission denied); give yourself access to it (chmod, chown)"
        ) from error
    except OSError as error:
        raise CheckpointError(f"cannot read {path} ({error.strerror or error}); {remedy}") from error
    if files is not None and path.name in files:
        check_bytes(path, data, files[path.name], remedy=remedy)
    elif files is not None and required:
        raise CheckpointError(
            f"{path.parent / 'config.json'} records no checksum for {path.name}, so the checkpoint is "
            f"damaged or mixed from two runs; {remedy}"
        )
    return data


def read_checked_json(
    path: Path, files: dict[str, Any] | None, *, remedy: str = RESTORE_OR_RETRAIN, required: bool = True
) -> dict[str, Any]:
    """The JSON object in `path`, read as `read_checked` reads; a file that is not one (a stray
    pickle, say, where a checkpoint without checksums cannot tell) is a CheckpointError."""
    data = read_checked(path, files, remedy=remedy, required=required)
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path} is not valid JSON ({error}); {remedy}") from error
    except RecursionError:  # arrays within arrays, 200,000 deep: no attn wrote it
        raise CheckpointError(
            f"{path} is not valid JSON as attn writes it (nested too deeply); {remedy}"
        ) from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path} does not hold a JSON object; {remedy}")
    return value


def digest_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of the file at `path`, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


_DIGESTS: dict[tuple[str, int, int, int, int, int], tuple[str, int]] = {}


def digest_file_once(path: Path) -> tuple[str, int]:
    """`digest_file`, read once a process while the file is unchanged: `attn train --config
    RUN/best/config.json` checks its pretrained vectors (gigabytes of GloVe) where loading the
    config finds them, again for its note, and training records their digest. Keyed by the file's
    identity, size and both change times, the last of which no copy that keeps times (cp -p,
    rsync -t) or touch can set. A path that is no regular file is an OSError: /dev/zero (size 0)
    named by a stranger's metrics.json as the vectors its run read was hashed without end, and a
    FIFO waited forever for a writer (a trial)."""
    status = path.stat()
    if not stat.S_ISREG(status.st_mode):
        raise OSError(f"{path} is not a regular file")
    key = (
        str(path.resolve()),
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
    if key not in _DIGESTS:
        _DIGESTS[key] = digest_file(path)
    return _DIGESTS[key]


def status_of(path: Path, record: Any) -> str:
    """Whether the file at `path` is still the one `record` describes: "ok", "changed" or "missing".
    The size first: a file of another size is changed without a byte read (a link to a file of
    /proc that never ends hung the hashing)."""
    if not path.is_file():
        return "missing"
    sha256, size = _expected(path, record)
    if path.stat().st_size != size:
        return "changed"
    return "ok" if digest_file(path) == (sha256, size) else "changed"


def recorded_files(header: dict[str, Any], folder: Path) -> dict[str, Any] | None:
    """config.json's record of the other files (None for a checkpoint written before attn kept one)."""
    files = header.get(FILES_KEY)
    if files is not None and not isinstance(files, dict):
        raise CheckpointError(
            f'{folder / "config.json"} is damaged ("{FILES_KEY}" is not a mapping); {RESTORE_OR_RETRAIN}'
        )
    from attncli.checkpoint_folder import RECORDED_FILES  # (it imports this module)

    for name in files or {}:
        # The files attn writes, by name: a record of "../../etc/passwd", /proc/self/pagemap, or a
        # link in the folder to either, had `attn info` hash whatever it named (and hang on some),
        # and say whether a guessed digest matched.
        if name not in RECORDED_FILES:
            raise CheckpointError(
                f'{folder / "config.json"} is damaged ("{FILES_KEY}" names {name!r}, which is no file of the '
                f"checkpoint's folder); {RESTORE_OR_RETRAIN}"
            )
    return files


# The first attn whose checkpoints carry the digest: one from it or later without the digest has
# had it removed, and is refused as a changed one is.
DIGEST_SINCE = (0, 2, 0)


def _canonical(value: Any) -> Any:
    """`value` as its meaning: a whole float as the integer it equals (a JSON tool such as jq writes
    1.0 as 1, which says the same)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def header_digest(header: dict[str, Any]) -> str:
    """SHA-256 of config.json's values, without the digest itself: of their canonical JSON (sorted
    keys, no spaces, ASCII escapes, whole floats as integers), so the file's layout, line ends and
    number spelling do not count, only what it says. ASCII escapes also carry a path holding bytes
    that are not UTF-8 (which Python keeps as lone surrogates)."""
    values = {key: value for key, value in header.items() if key != HEADER_DIGEST_KEY}
    canonical = json.dumps(_canonical(values), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def saved_by_at_least(header: dict[str, Any], version: tuple[int, ...]) -> bool:
    """Whether the attn that saved `header` is `version` or later (its release numbers, read as
    far as they go: 0.3.0rc1 and 0.2.0+local count as 0.3.0 and 0.2.0)."""
    numbers = [int(found) for found in re.findall(r"^\d+|(?<=\.)\d+", str(header.get("attn_version", "")))]
    return bool(numbers) and tuple(numbers[: len(version)]) >= version


def _saved_with_digest(header: dict[str, Any]) -> bool:
    """Whether the attn that saved `header` wrote the digest (its version is DIGEST_SINCE or later)."""
    return saved_by_at_least(header, DIGEST_SINCE)


def sealed(header: dict[str, Any]) -> dict[str, Any]:
    """`header` with the digest of its values, as a save writes it."""
    return {**header, HEADER_DIGEST_KEY: header_digest(header)}


def header_status(header: dict[str, Any]) -> str | None:
    """Whether config.json still holds the values it was saved with: "ok" or "changed" (None: saved
    by an attn from before the digest)."""
    recorded = header.get(HEADER_DIGEST_KEY)
    if recorded is None:
        return "changed" if _saved_with_digest(header) else None
    return "ok" if recorded == header_digest(header) else "changed"


def check_header(header: dict[str, Any], folder: Path) -> None:
    """Refuse a config.json whose values are not those it was saved with (one written before attn
    kept the digest has none, and is read as it is)."""
    if header_status(header) == "changed":
        raise CheckpointError(
            f"{folder / 'config.json'} has been changed since attn saved it (its values no longer match "
            f"the {HEADER_DIGEST_KEY} saved in it, or that was removed), and a changed label list or "
            f"setting would change every prediction silently; {RESTORE_OR_RETRAIN}"
        )
