"""The Dagster definitions, one folder per domain, autoloaded by `pie_assets.definitions`.

    codenet/     problems, per-problem submissions, tests, statements, rejects; discovery sensor
    runtime/     per-problem runtime annotations; config sensor, runtime automation
    sql_models/  the SQL models of `sql/` (dbt_like); their automation sensor
    dataset/     PIE's release as a source, CodeDPO scores, the versioned exports
    evaluation/  checkpoints, retrieval index, generations, model evaluations; sensor, schedule
    training/    the train_checkpoint job, self-play pairs
    shared/      what several domains use (resources, partitions and their batching, TableCheck,
                 TableDoc, code versions, the settings being built for): no definitions

A domain folder owns its assets, checks, table docs (`tables.py`), partitions, sensors, schedules
and jobs. Dagster's autoloader (`dg.ComponentTree`, as `dg` loads a project's defs folder) imports
every module here and collects its Dagster objects; a module with a `@dg.definitions` function
contributes only what that function returns (its other objects are not collected): that is where
definitions that depend on the `Settings` are built (`shared.loading.active_settings`). Adding a
table is adding modules to its domain's folder; `definitions.py` does not change.

The table metadata helpers (`pie_assets.table_metadata`) are a base module, not here: the SQL
models' library (`dbt_like`) uses them too, and it sits below `pie_assets.defs`.
"""
