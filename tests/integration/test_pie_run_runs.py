"""`pie run` starts one Dagster run per stage over its problems, however many (the sensors cut
runs at MAX_PARTITIONS_PER_RUN problems for the run queue; alone on one machine a run's partitions
share its thread pool, and each further run only adds its start and events); a stage whose
problems to re-run are not contiguous in the partition order runs once per contiguous range, so
no problem between them re-runs."""

from __future__ import annotations

import dagster as dg
from support.synthetic_corpus import build_synthetic_corpus

from pie_assets.defs.shared.partitions import MAX_PARTITIONS_PER_RUN
from pie_assets.runner import run_pipeline
from pie_assets.settings import Settings

STAGES = {"codenet_problem": "submissions", "problem_list": "problems"}  # stage -> a table it writes


def _runs_by_stage(instance: dg.DagsterInstance, mark: int) -> dict[str, int]:
    """The runs that materialised each stage's table after event `mark`."""
    return {
        stage: len(
            {
                record.run_id
                for record in instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=dg.AssetKey(table), after_storage_id=mark), limit=10_000
                ).records
            }
        )
        for stage, table in STAGES.items()
    }


def test_one_run_per_stage_beyond_the_sensors_cap(tmp_path, instance):
    ids = build_synthetic_corpus(tmp_path / "codenet", n_problems=MAX_PARTITIONS_PER_RUN + 5, per_problem=1)
    settings = Settings(codenet_root=str(tmp_path / "codenet"), warehouse=str(tmp_path / "wh"), extra_tests=None)
    outcome = run_pipeline(settings, instance, selection="group:codenet", only_stale=True)
    assert outcome.failed_steps == []
    assert _runs_by_stage(instance, 0) == {"codenet_problem": 1, "problem_list": 1}
    assert instance.get_materialized_partitions(dg.AssetKey("submissions")) == set(ids)

    # The first and the last problem change: two ranges, so the 103 between them do not re-run.
    for pid in (ids[0], ids[-1]):
        program = next((tmp_path / "codenet" / "data" / pid / "C++").iterdir())
        program.write_text(program.read_text() + "// edited\n")
    mark = instance.event_log_storage.get_maximum_record_id() or 0
    outcome = run_pipeline(settings, instance, selection="group:codenet", only_stale=True)
    assert outcome.failed_steps == []
    assert _runs_by_stage(instance, mark) == {"codenet_problem": 2, "problem_list": 0}
    rerun = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("submissions"), after_storage_id=mark), limit=1000
    ).records
    assert {record.partition_key for record in rerun} == {ids[0], ids[-1]}
