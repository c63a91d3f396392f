"""Finding and reading submission sources under `data/pXXXXX/<language>/`.

Real CodeNet files sometimes sit in another language's folder, so a source is found by its
submission id anywhere under the problem's data directory, preferring the folder of its language.
"""

from __future__ import annotations

import os

import polars as pl

from pie_assets.codenet.layout import relative_to
from pie_assets.codenet.rejects import Reject
from pie_assets.codenet.text import decode_exact, sha256_hex
from pie_assets.lake.schema import ColumnTypes

SOURCE_SCHEMA: ColumnTypes = {
    "submission_id": pl.Utf8,
    "code": pl.Utf8,
    "code_encoding": pl.Utf8,
    "code_sha256": pl.Utf8,
    "code_bytes": pl.Int64,
    "source_path": pl.Utf8,
}


def index_sources(data_dir: str, preferred_folder: str) -> dict[str, str]:
    """submission id → path of its source file, the language's own folder winning ties."""
    found: dict[str, str] = {}
    if not os.path.isdir(data_dir):
        return found
    folders = sorted(os.scandir(data_dir), key=lambda e: e.name != preferred_folder)
    for folder in folders:
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder.path):
            stem = entry.name.split(".", 1)[0]
            if entry.is_file() and stem not in found:
                found[stem] = entry.path
    return found


def read_sources(
    submission_ids: list[str],
    index: dict[str, str],
    *,
    problem_id: str,
    codenet_root: str,
    metadata_lines: dict[str, tuple[int, str]],
    metadata_path: str,
) -> tuple[pl.DataFrame, list[Reject]]:
    """Code of each submission; a metadata row whose file is missing becomes a reject."""
    rows = []
    rejects: list[Reject] = []
    for sid in submission_ids:
        path = index.get(sid)
        if path is None:
            line, raw = metadata_lines[sid]
            rejects.append(
                Reject(
                    problem_id,
                    "submissions",
                    metadata_path,
                    line,
                    "row_rejected",
                    f"{sid}: source file missing under data/{problem_id}/",
                    raw,
                )
            )
            continue
        with open(path, "rb") as f:
            data = f.read()
        text, encoding = decode_exact(data)
        rows.append((sid, text, encoding, sha256_hex(data), len(data), relative_to(path, codenet_root)))
    return pl.DataFrame(rows, schema=SOURCE_SCHEMA, orient="row"), rejects
