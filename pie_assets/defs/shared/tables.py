"""`TableDoc`: what a lake table is (its description, its columns' descriptions, its schema), so an
asset shows the same column schema in the Dagster UI before and after it materialises. Each
domain keeps its tables' docs beside its assets (`<domain>/tables.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from pie_assets.lake.schema import ColumnTypes

PROFILE_DOC = (
    "the simulator profile that built and measured the program: static (the default: static, stripped "
    "binaries) or pie-parity (PIE's build: dynamic, not stripped); see simulator.toml [profiles]"
)
TEST_SET_DOC = (
    "the runtime test set the row's tests are of, so its agg cost sums over them: pie (PIE's tests), "
    "samples (page samples and CodeNet's derived test), generated (generated_tests), samples+generated; "
    "[tests] runtime_set auto resolved per problem to pie where it has PIE's tests, else samples+generated"
)


@dataclass(frozen=True)
class TableDoc:
    description: str
    schema: ColumnTypes
    columns: dict[str, str]

    def column_schema(self) -> dg.TableSchema:
        return dg.TableSchema(
            columns=[
                dg.TableColumn(name, str(dtype), description=self.columns.get(name))
                for name, dtype in self.schema.items()
            ]
        )

    def spec_metadata(self) -> dict[str, object]:
        """Definition metadata: the columns the UI shows before anything is materialised."""
        return {"dagster/column_schema": self.column_schema()}
