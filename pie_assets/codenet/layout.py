"""Paths of the Project CodeNet layout, and discovery of the problems it holds."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from pie_assets.codenet.validate import PROBLEM_ID_PATTERN

PROBLEM_ID_RE = re.compile(PROBLEM_ID_PATTERN)


def relative_to(path: str, root: str) -> str:
    """`os.path.relpath(path, root)`, by slicing when `path` is spelled under `root` (as the paths
    joined from it are): relpath normalises both paths each call, 39% of a problem's ingestion."""
    prefix = os.path.join(root, "")
    return path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, root)


@dataclass(frozen=True)
class CodeNetLayout:
    root: str

    @property
    def problem_list_csv(self) -> str:
        return os.path.join(self.root, "metadata", "problem_list.csv")

    def metadata_csv(self, problem_id: str) -> str:
        return os.path.join(self.root, "metadata", f"{problem_id}.csv")

    def data_dir(self, problem_id: str) -> str:
        return os.path.join(self.root, "data", problem_id)

    def description_html(self, problem_id: str) -> str:
        return os.path.join(self.root, "problem_descriptions", f"{problem_id}.html")

    def derived_tests_dir(self, problem_id: str) -> str:
        return os.path.join(self.root, "derived", "input_output", "data", problem_id)

    def problem_files(self, problem_id: str) -> list[str]:
        """Every file or directory the ingestion of `problem_id` reads from the tree (besides
        problem_list.csv, which says only whether it is listed): what its source version covers."""
        return [
            self.metadata_csv(problem_id),
            self.data_dir(problem_id),
            self.description_html(problem_id),
            self.derived_tests_dir(problem_id),
        ]

    def relative(self, path: str) -> str:
        return relative_to(path, self.root)

    def holds(self, problem_id: str) -> bool:
        """Whether the tree has the problem (a metadata CSV or a data directory), as discovered."""
        return os.path.isfile(self.metadata_csv(problem_id)) or os.path.isdir(self.data_dir(problem_id))

    def discover_problem_ids(self) -> list[str]:
        """Every problem with a metadata CSV or a data directory, sorted (partition order)."""
        found: set[str] = set()
        metadata_dir = os.path.join(self.root, "metadata")
        if os.path.isdir(metadata_dir):
            found.update(name[:-4] for name in os.listdir(metadata_dir) if name.endswith(".csv"))
        data_dir = os.path.join(self.root, "data")
        if os.path.isdir(data_dir):
            found.update(os.listdir(data_dir))
        return sorted(p for p in found if PROBLEM_ID_RE.match(p))
