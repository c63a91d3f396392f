"""A user querying the warehouse in a loop while runs write it: the lake-concurrency tests (local
directory) and the S3 tests use it to show that readers never see an error or a half partition."""

from __future__ import annotations

import threading

from pie_assets.lake.catalog import Catalog, WarehouseNotFound
from pie_assets.lake.storage import Warehouse


class CatalogReader(threading.Thread):
    """Counts `submissions` through `Catalog.connect` every `pause_s` until `stop` is set; records
    every error. Before the first table lands there is nothing to read (WarehouseNotFound); once
    tables were seen, losing them is an error. Locally it waits for the catalog file instead of
    connecting, since a connect without it would rebuild it: a reader must not write."""

    def __init__(self, warehouse: str, pause_s: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.warehouse = Warehouse(warehouse)
        self.pause_s = pause_s
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.counts: list[int] = []
        self.queries = 0

    def run(self) -> None:
        catalog = Catalog(self.warehouse)
        while not self.stop.is_set():
            if self.warehouse.local and not catalog.path.exists():
                self.stop.wait(0.01)
                continue
            try:
                with catalog.connect() as con:
                    views = {
                        r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()
                    }
                    if "submissions" in views:
                        self.counts.append(con.execute("select count(*) from submissions").fetchone()[0])
                self.queries += 1
            except WarehouseNotFound:
                if self.counts:
                    self.errors.append("the warehouse lost its tables")
            except Exception as err:  # the tests assert there are none
                self.errors.append(repr(err))
            self.stop.wait(self.pause_s)
