"""The statuses contract cannot drift: docs/reference/statuses.md and the docstring of
`pie_assets.runtime.statuses` list exactly the statuses the code defines, and the page's cached /
retried / fact-about columns say what the code does with each (`HARNESS_FAULTS`)."""

from __future__ import annotations

import re
from pathlib import Path

from pie_assets.runtime import statuses
from pie_assets.runtime.statuses import HARNESS_FAULTS, PROGRAM_ONLY_STATUSES, STATUSES

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "statuses.md"
COLUMNS = ("status", "level", "meaning", "produced_by", "cached", "retried", "about")


def page_rows() -> list[dict[str, str]]:
    """The rows of the page's status table, one per line that starts with "| `"."""
    rows = []
    for line in PAGE.read_text().splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            assert len(cells) == len(COLUMNS), line
            row = dict(zip(COLUMNS, cells, strict=True))
            row["status"] = row["status"].strip("`")
            rows.append(row)
    return rows


def test_the_page_lists_exactly_the_statuses_the_code_defines():
    listed = [row["status"] for row in page_rows()]
    assert len(listed) == len(set(listed)), listed
    assert set(listed) == {*STATUSES, *PROGRAM_ONLY_STATUSES}


def test_the_page_says_what_the_code_caches_and_retries():
    for row in page_rows():
        status, harness = row["status"], row["status"] in HARNESS_FAULTS
        assert row["retried"] == ("yes" if harness else "no"), row
        assert row["cached"].startswith("yes") == (status in STATUSES and not harness), row
        assert (row["about"] == "the harness") == harness, row
        assert ("test" in row["level"]) == (status in STATUSES), row


def test_the_module_docstring_lists_the_same_statuses():
    documented = re.findall(r"^ {4}([A-Z_]+) ", statuses.__doc__ or "", flags=re.MULTILINE)
    assert sorted(documented) == sorted({*STATUSES, *PROGRAM_ONLY_STATUSES})
