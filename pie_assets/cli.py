"""`pie`: run the lakehouse, query it, open its UI.

pie [--debug] [--quiet] [--warehouse DIR] COMMAND ...   (the three also after COMMAND)
pie run [--codenet PATH|none] [--warehouse DIR] [--pie-dataset DIR] [--eval-pairs lake|pie] [--select SELECTION]
        [--problems p1,p2] [--profile NAME] [--test-set NAME]
pie sql "QUERY" [--warehouse DIR] [--format auto|table|line|csv|json]
pie measure FILE.cpp --input FILE [--backend NAME] [--json]
pie eval --model SPEC [--strategy NAME] [--k N] [--fast] [--eval-pairs lake|pie] [--profile NAME] [--test-set NAME]
         [--warehouse DIR]
pie eval --compare A B [--warehouse DIR]
pie train --method sft|sft-perf|dpo|rrtf --base MODEL|tiny [--preference optimization|codedpo] [--no-lora]
          [--data VERSION]
pie ui [--port N]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pie_assets.interrupts import restore_interrupts
from pie_assets.result_layout import FORMATS, render
from pie_assets.settings import NO_CODENET, Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.resolve(
        codenet_root=getattr(args, "codenet", None),
        warehouse=args.warehouse,
        extra_tests=getattr(args, "extra_tests", None),
        pie_dataset=getattr(args, "pie_dataset", None),
        profile=getattr(args, "profile", None),
        eval_pairs=getattr(args, "eval_pairs", None),
        engine=getattr(args, "engine", None),
        test_set=getattr(args, "test_set", None),
    )


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from pie_assets.runner import StageProgress, UserError, check_selection, open_instance, run_pipeline

    settings = _settings(args)
    problems = [p.strip() for p in args.problems.split(",") if p.strip()] if args.problems else None
    if args.select:
        try:
            check_selection(settings, args.select)
        except UserError as err:
            args.command_parser.error(str(err))
    instance = open_instance()
    bar: tqdm | None = None  # the running stage's, created on its first report, so early errors print alone
    bar_key = ("", "")

    def progress(report: StageProgress) -> None:
        nonlocal bar, bar_key
        if bar is None or bar_key != (report.stage, report.unit):  # stages run one after another
            if bar is not None:
                bar.close()
            bar = tqdm(total=report.total, unit=report.unit, desc=report.stage, disable=args.quiet, file=sys.stderr)
            bar_key = (report.stage, report.unit)
        bar.total = report.total
        bar.n = min(report.done, report.total)
        bar.set_postfix_str(report.note, refresh=False)
        bar.refresh()

    try:
        outcome = run_pipeline(
            settings,
            instance,
            problems=problems,
            selection=args.select,
            on_progress=progress,
            log_level="DEBUG" if args.debug else "CRITICAL",
            only_stale=not args.all,
        )
    finally:
        if bar is not None:
            bar.close()
    print(f"warehouse: {settings.warehouse}")
    print(f"codenet:   {settings.codenet_root or NO_CODENET}")
    _print_summary(settings, outcome.wall_s)
    print(
        f"checks: {outcome.checks_passed} passed, {len(outcome.failed_checks)} failed"
        + "".join(f"\n  failed: {name}" for name in outcome.failed_checks)
    )
    for note in outcome.skipped:
        print(f"skipped {note}")
    if outcome.up_to_date:
        print(f"up to date (nothing stale or missing; --all runs them): {', '.join(outcome.up_to_date)}")
    if args.debug:
        for partition, reason in outcome.stale.items():
            print(f"ran {partition}: {reason}")
    if outcome.failed_steps:
        print(f"\n{len(outcome.failed_steps)} step(s) failed (other partitions landed):", file=sys.stderr)
        for message in outcome.failed_steps:
            print("  " + message.replace("\n", "\n  "), file=sys.stderr)
        return 1
    return 0


def _print_summary(settings: Settings, wall_s: float) -> None:
    from pie_assets.lake.catalog import Catalog
    from pie_assets.lake.storage import Warehouse

    with Catalog(Warehouse(settings.warehouse)).connect() as con:
        views = [
            r[0] for r in con.execute("select view_name from duckdb_views() where not internal order by 1").fetchall()
        ]
        counts = {v: con.execute(f'select count(*) from "{v}"').fetchall()[0][0] for v in views}
        by_action = (
            con.execute("select action, count(*) from ingest_rejects group by 1 order by 1").fetchall()
            if "ingest_rejects" in views
            else []
        )
    width = max(map(len, counts), default=0)
    print("\n".join(f"  {name:<{width}} {n:>10,} rows" for name, n in counts.items()))
    if by_action:
        print(
            "rejects: "
            + ", ".join(f"{n} {action}" for action, n in by_action)
            + '  (see: pie sql "select * from ingest_rejects")'
        )
    for export, location in _exports(settings).items():
        print(f"export {export}: {location}")
    print(f"wall time: {wall_s:.1f} s")


def _exports(settings: Settings) -> dict[str, str]:
    """Each published export's LATEST version directory."""
    from pie_assets.dataset.exports import EXPORTS_DIR, LATEST_FILE, latest_export
    from pie_assets.lake.storage import Warehouse

    warehouse = Warehouse(settings.warehouse)
    root = warehouse.root / EXPORTS_DIR
    if not root.exists():
        return {}
    return {
        entry.name: str(latest_export(warehouse, entry.name))
        for entry in sorted(root.iterdir(), key=lambda e: e.name)
        if (entry / LATEST_FILE).exists()
    }


def cmd_sql(args: argparse.Namespace) -> int:
    from pie_assets.lake.catalog import Catalog
    from pie_assets.lake.storage import Warehouse

    with Catalog(Warehouse(_settings(args).warehouse)).connect() as con:
        frame = con.execute(args.query).pl()
    sys.stdout.write(render(frame, args.format))
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    """Measure one program on one input, exactly as the pipeline would, and print its row."""
    import hashlib

    from pie_assets.codenet.text import decode_exact
    from pie_assets.runtime.annotate import Annotator, TestCase
    from pie_assets.runtime.config import SimulatorConfig
    from pie_assets.runtime.sandbox import Sandbox

    settings = _settings(args)
    config = SimulatorConfig.load(args.config or settings.simulator_config or None, settings.profile or None)
    if args.backend:
        config = config.with_backend(args.backend)
    code = Path(args.file).read_bytes()
    stdin = Path(args.input).read_bytes()
    code_sha256 = hashlib.sha256(code).hexdigest()
    annotator = Annotator(config, settings.resolved_cache_dir(), Sandbox())
    if args.expected:
        expected = Path(args.expected).read_bytes().decode("utf-8", "replace")
    else:  # the program's own native output is the reference; when it has none, the row says why
        expected = annotator.native_output(code, code_sha256, stdin) or ""
    text, encoding = decode_exact(code)
    case = TestCase(
        test_id=os.path.basename(args.input),
        input=stdin,
        expected=expected,
        input_sha256=hashlib.sha256(stdin).hexdigest(),
    )
    submission = {
        "submission_id": os.path.basename(args.file),
        "code": text,
        "code_encoding": encoding,
        "code_sha256": code_sha256,
    }
    rows, _ = annotator.submission_rows(submission, "cli", [case], test_set="input")  # the one --input given
    row = rows[0]
    row["counters"] = {c["name"]: c["value"] for c in row["counters"]}
    if args.json:
        print(json.dumps(row, indent=1))
    else:
        width = max(map(len, row))
        for key, value in row.items():
            print(f"{key:<{width}}  {value}")
    return 0 if row["status"] == "OK" else 2


def cmd_eval(args: argparse.Namespace) -> int:
    """One checkpoint's evaluation through the same assets the sensor runs, with progress and a
    summary table. SPEC: a registered name (built-in, a directory under the checkpoints root, an
    entry of the models file) or a model / adapter directory anywhere."""
    from tqdm import tqdm

    from pie_assets.defs.evaluation.assets import GENERATION_TABLES
    from pie_assets.evaluation.checkpoints import directory_spec, discover
    from pie_assets.evaluation.config import EvaluationConfig
    from pie_assets.lake.catalog import Catalog
    from pie_assets.lake.storage import Warehouse
    from pie_assets.runner import StageProgress, open_instance, run_pipeline

    settings = _settings(args)
    if args.compare:
        return _compare(args, settings)
    config = EvaluationConfig.load()
    specs = discover(
        settings.resolved_checkpoints_dir(), settings.resolved_models_file(), config.baselines, config.human_references
    )
    names = {spec.name for spec in specs}
    request: dict[str, object] = {"fast": args.fast}
    if args.model in names:
        name = args.model
    elif Path(args.model).is_dir() and directory_spec(Path(args.model)):
        name = Path(args.model).resolve().name
        request["model_path"] = str(Path(args.model).resolve())
    else:
        args.command_parser.error(
            f"--model {args.model!r} is neither a known checkpoint "
            f"({', '.join(sorted(names))}) nor a model or adapter directory"
        )
    if args.strategy:
        request["strategies"] = [args.strategy]
    if args.k:
        request["n"] = args.k
    bar = tqdm(total=0, unit="program", desc=f"eval {name}", disable=args.quiet, file=sys.stderr)

    def progress(report: StageProgress) -> None:
        bar.total, bar.n = report.total, min(report.done, report.total)
        bar.set_postfix_str(report.note, refresh=False)
        bar.refresh()

    # `--eval-pairs` rebuilds eval_pairs from the pairs it names before generating.
    selected = [*(["eval_pairs"] if args.eval_pairs else []), *GENERATION_TABLES, "model_evaluations"]
    try:
        outcome = run_pipeline(
            settings,
            open_instance(),
            selection=" or ".join(f"key:{k}" for k in selected),
            checkpoints=[name],
            evaluation_request=request,
            on_progress=progress,
            log_level="DEBUG" if args.debug else "CRITICAL",
        )
    finally:
        bar.close()
    if outcome.failed_steps or outcome.skipped:
        print("\n".join(outcome.failed_steps + outcome.skipped), file=sys.stderr)
        return 1
    with Catalog(Warehouse(settings.warehouse)).connect() as con:
        table = con.execute(
            "select strategy, mode, k, n_pairs, round(pct_opt, 2) as pct_opt, round(speedup, 4) as speedup, "
            "round(pct_correct, 2) as pct_correct, round(speedup_low, 4) as speedup_low, "
            "round(speedup_high, 4) as speedup_high, round(memory_reduction, 4) as memory_reduction, "
            "round(percentile, 2) as percentile from model_evaluations where checkpoint = ? order by strategy, k",
            [name],
        ).pl()
    sys.stdout.write(render(table))
    print(
        f'evaluation of {name}: {outcome.wall_s:.1f} s; all rows: pie sql "select * from model_evaluations '
        f"where checkpoint = '{name}'\""
    )
    return 0


COMPARISON_SQL = """
    select strategy, metric, k, round(value_a, 4) as a, round(value_b, 4) as b,
        round(difference, 4) as difference, round(diff_low, 4) as diff_low, round(diff_high, 4) as diff_high,
        round(p_value, 4) as p_value, n_pairs, n_problems, mode
    from checkpoint_comparisons where checkpoint_a = ? and checkpoint_b = ? order by strategy, metric, k
"""


def _compare(args: argparse.Namespace, settings: Settings) -> int:
    """`pie eval --compare A B`: checkpoint_comparisons, refreshed from what is evaluated now."""
    from pie_assets.lake.catalog import Catalog
    from pie_assets.lake.storage import Warehouse
    from pie_assets.runner import open_instance, run_pipeline

    a, b = args.compare
    outcome = run_pipeline(
        settings,
        open_instance(),
        selection="key:checkpoint_comparisons",
        log_level="DEBUG" if args.debug else "CRITICAL",
    )
    if outcome.failed_steps or outcome.skipped:
        print("\n".join(outcome.failed_steps + outcome.skipped), file=sys.stderr)
        return 1
    with Catalog(Warehouse(settings.warehouse)).connect() as con:
        table = con.execute(COMPARISON_SQL, [a, b]).pl()
        scored = {r[0] for r in con.execute("select distinct checkpoint from model_evaluations").fetchall()}
    if table.is_empty():
        missing = [name for name in (a, b) if name not in scored]
        why = (
            f"{', '.join(missing)} not evaluated (pie eval --model NAME)"
            if missing
            else "they were not evaluated on the same pairs, mode, backend and configs"
        )
        print(f"no comparison of {a} with {b}: {why}", file=sys.stderr)
        return 1
    sys.stdout.write(render(table))
    print(f"{a} - {b}: interval = paired bootstrap over problems, p = paired sign-flip permutation over problems")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """One training run on the warehouse's exports into its checkpoints root, where the checkpoint
    sensor registers and evaluates the new checkpoint (`pie ui`, or `pie eval --model NAME`)."""
    from pie_assets.training.train import train

    settings = _settings(args)
    result = train(
        args.method,
        args.base,
        settings.warehouse,
        lora=args.lora,
        data_version=args.data,
        name=args.name,
        checkpoints_dir=settings.resolved_checkpoints_dir(),
        config=args.config,
        data_subset=args.data_subset,
        preference_kind=args.preference_kind,
        preference=args.preference,
        progress_bar=not args.quiet,
    )
    manifest = result.manifest
    data = ", ".join(f"{d['export']} {d['version']} ({d['examples']} examples)" for d in manifest["data"])
    print(
        f"checkpoint {manifest['name']}: {manifest['steps']} steps, final loss {manifest['final_loss']:.4f}, "
        f"on {manifest['hardware']['device']} ({manifest['hardware']['dtype']}); data: {data}"
    )
    print(result.path)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """`dg dev` on this code location, under the one location name `workspace.yaml` and `dg` use
    too (sensor cursors and run history belong to a location name). `dg dev` with a workspace file
    starts the same webserver and daemon as `dagster dev`, without its SupersessionWarning."""
    from pie_assets.runner import open_instance
    from pie_assets.settings import CODE_LOCATION, DEFINITIONS_MODULE

    settings = _settings(args)
    open_instance()  # sets DAGSTER_HOME to the instance `pie run` writes to
    home = Path(os.environ["DAGSTER_HOME"])
    os.environ.update(settings.environment())  # what the code location's processes resolve their Settings from
    workspace = home / "workspace.yaml"
    workspace.write_text(
        json.dumps(
            {"load_from": [{"python_module": {"module_name": DEFINITIONS_MODULE, "location_name": CODE_LOCATION}}]},
            indent=1,
        )
        + "\n"
    )
    print(f"warehouse:   {settings.warehouse}", file=sys.stderr)
    print(f"codenet:     {settings.codenet_root or NO_CODENET}", file=sys.stderr)
    print(f"extra tests: {settings.extra_tests or '-'}", file=sys.stderr)
    print(f"pie dataset: {settings.pie_dataset or '-'}", file=sys.stderr)
    print(f"profile:     {settings.profile or '[measure] profile of the simulator config'}", file=sys.stderr)
    print(f"test set:    {settings.test_set or '[tests] runtime_set of the simulator config'}", file=sys.stderr)
    print(f"dagster home: {home} (code location {CODE_LOCATION!r})", file=sys.stderr)
    command = ["dg", "dev", "-w", str(workspace), "--host", UI_HOST, "-p", str(args.port)]
    print("$ " + " ".join(command), file=sys.stderr)
    print(f"Dagster UI: http://{UI_HOST}:{args.port}", flush=True)  # before exec: unflushed output would be lost
    os.execvp(command[0], command)


UI_HOST = "127.0.0.1"  # the webserver's own default, named so the URL `pie ui` prints is the one it serves
EVAL_PAIRS_HELP = (
    "the pairs checkpoints are evaluated on: the lake's trajectory_pairs or the imported PIE "
    "dataset's (pie_pairs); overrides the dataset config's eval_pairs_from for this command"
)


@functools.cache
def _profiles() -> tuple[str, ...]:
    """The simulator config's profile names, read once per process (four commands take --profile)."""
    from pie_assets.runtime.config import DEFAULT_PROFILE, SimulatorConfig

    return tuple(SimulatorConfig.load(profile=DEFAULT_PROFILE).profiles)


def _profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=_profiles(),
        help="simulator profile: static (default: static, stripped binaries) or pie-parity (PIE's "
        "build: dynamic, not stripped); $PIE_PROFILE, [measure] profile",
    )


def _test_set_argument(parser: argparse.ArgumentParser) -> None:
    from pie_assets.runtime.test_sets import TEST_SETS

    parser.add_argument(
        "--test-set",
        choices=TEST_SETS,
        help="the tests runtime labels sum over: auto (default: PIE's tests where the problem has some, "
        "else the samples and the generated tests), pie, samples, generated, samples+generated; "
        "$PIE_TEST_SET, [tests] runtime_set",
    )


def _global_flags(default: object = None) -> argparse.ArgumentParser:
    """The flags every command takes, before or after its name (`pie --debug run`, `pie run
    --debug`). Under a command their default is SUPPRESS: a flag given before the command is
    then not reset by the command's own parser."""
    flags = argparse.ArgumentParser(add_help=False, argument_default=default)
    flags.add_argument("--debug", action="store_true", help="show tracebacks and Dagster's logs")
    flags.add_argument("--quiet", action="store_true", help="no progress bar")
    flags.add_argument(
        "--warehouse",
        help="warehouse root: a directory or fsspec URL (default ./warehouse or "
        "$PIE_WAREHOUSE); its _cache holds binaries and measurements",
    )
    return flags


def _strategy(name: str) -> str:
    """`--strategy`'s type: a known strategy in its one spelling (`perf-conditioned` is
    `perf_conditioned`), else argparse's error naming the name as given and the known ones."""
    from pie_assets.evaluation.prompts import strategy

    try:
        return strategy(name).name
    except KeyError as err:
        raise argparse.ArgumentTypeError(err.args[0]) from None


def build_parser() -> argparse.ArgumentParser:
    from pie_assets.dataset.preference_rows import PREFERENCE_SETS
    from pie_assets.evaluation.prompts import STRATEGIES
    from pie_assets.training.config import METHODS

    parser = argparse.ArgumentParser(
        prog="pie", parents=[_global_flags()], description="PIE Lakehouse: CodeNet → Parquet + DuckDB, with Dagster."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    command_flags = _global_flags(argparse.SUPPRESS)

    def command(
        name: str, func: Callable[[argparse.Namespace], int], help: str, description: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description, parents=[command_flags])
        p.set_defaults(func=func, command_parser=p)  # command_parser: refusals found after parsing (exit 2)
        return p

    def sources(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--codenet",
            help="Project_CodeNet root, or none: PIE's release alone (default: the embedded sample or $PIE_CODENET)",
        )
        p.add_argument(
            "--extra-tests", help="extra tests in PIE's layout <dir>/<problem>/input.N.txt ($PIE_EXTRA_TESTS)"
        )
        p.add_argument("--pie-dataset", help="PIE's released *.jsonl files, the source of pie_pairs ($PIE_DATASET)")
        _profile_argument(p)
        _test_set_argument(p)

    run = command(
        "run",
        cmd_run,
        "materialise the asset graph in-process",
        "Materialise the asset graph (or --select's part of it) in this process: Parquet tables under "
        "the warehouse, its DuckDB catalog pie.duckdb and its exports; the run is recorded in the "
        "Dagster home `pie ui` shows ($DAGSTER_HOME, else ./.dagster). Prints each table's row count, "
        "the checks' outcome and the exports' locations.",
    )
    sources(run)
    run.add_argument(
        "--select",
        help="Dagster asset selection; bare asset names anywhere, e.g. 'submissions', "
        "'problems or problem_list_rejects', 'group:codenet and not test_cases' "
        "(default: all)",
    )
    run.add_argument("--problems", help="comma-separated problem ids (default: every problem found)")
    run.add_argument(
        "--all",
        action="store_true",
        help="materialise every selected partition (default: only what is missing or stale by its "
        "code and data versions and its source files)",
    )
    run.add_argument("--eval-pairs", choices=["lake", "pie"], help=EVAL_PAIRS_HELP)
    run.add_argument(
        "--engine",
        choices=["local", "ray"],
        help="where measurement runs: local threads or a Ray cluster ($RAY_ADDRESS; none: a local "
        "Ray instance); default [measure] engine",
    )

    sql = command(
        "sql",
        cmd_sql,
        "run a SQL query against the warehouse catalog",
        "Run one DuckDB query on the warehouse's catalog (a read-only connection; every table is a view "
        "of its Parquet files) and print the result. Writes nothing but a missing or stale catalog.",
    )
    sql.add_argument("query", help='a DuckDB SQL query, e.g. "select * from problem_summary"')
    sql.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="auto (default): a table when it fits the terminal's width ($COLUMNS), else line; table: "
        "a table at its natural width; line: one 'column = value' line per column, a blank line "
        "between rows; csv, json: every row, for scripts",
    )

    measure = command(
        "measure",
        cmd_measure,
        "compile, judge and measure one program on one input (sandboxed)",
        "Compile, run, judge and measure one C++ program on one input exactly as the pipeline "
        "would (sandboxed), and print its runtime row; binaries and measurements are cached under "
        "the warehouse's _cache. Exit status 2 when the row's status is not OK.",
    )
    measure.add_argument("file", help="C++ source")
    measure.add_argument("--input", required=True, help="stdin of the run")
    measure.add_argument("--expected", help="expected output (default: the native run's output)")
    measure.add_argument("--backend", choices=["cachegrind", "gem5", "native"], help="override the config's backend")
    measure.add_argument("--config", help="simulator config (default: $PIE_SIMULATOR_CONFIG or the versioned one)")
    measure.add_argument("--json", action="store_true", help="print the row as JSON")
    _profile_argument(measure)

    evaluate = command(
        "eval",
        cmd_eval,
        "evaluate one checkpoint on the test pairs (PIE's metrics)",
        "Evaluate one checkpoint on the evaluation pairs through the assets the checkpoint sensor "
        "runs: its generations and measurements land in the warehouse's generation tables and "
        "model_evaluations; prints PIE's metrics per strategy and k.",
    )
    target = evaluate.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--model",
        help="a checkpoint name (identity, nearest-pair, human-target, human-fastest, a directory "
        "under the checkpoints root, a models-file entry) or a model / adapter directory",
    )
    target.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        help="evaluate nothing: refresh checkpoint_comparisons and print A - B per strategy, metric and k, "
        "with its 95%% interval and p-value (both evaluated on the same pairs and config)",
    )
    evaluate.add_argument(
        "--strategy",
        type=_strategy,
        choices=STRATEGIES,
        help="one prompt strategy, '-' or '_' alike (default: the checkpoint's or the config's)",
    )
    evaluate.add_argument("--k", type=int, help="samples per prompt: Best@1..Best@k (default: [sampling] n)")
    evaluate.add_argument("--fast", action="store_true", help="one pair per problem and a few tests (mode 'fast')")
    _profile_argument(evaluate)
    _test_set_argument(evaluate)
    evaluate.add_argument("--eval-pairs", choices=["lake", "pie"], help=EVAL_PAIRS_HELP)
    evaluate.add_argument(
        "--engine", choices=["local", "ray"], help="where generation requests and measurement run (as pie run --engine)"
    )

    train = command(
        "train",
        cmd_train,
        "fine-tune a model on the exports into a checkpoint the evaluation picks up",
        "Fine-tune a model on the warehouse's published exports and write the checkpoint (weights or "
        "LoRA adapter and a manifest) under the checkpoints root, where the checkpoint sensor "
        "registers and evaluates it. Prints the checkpoint's name, loss and directory.",
    )
    train.add_argument(
        "--method",
        required=True,
        choices=METHODS,
        help="sft: supervised on slow->fast pairs (pie_export); sft-perf: PIE's performance-"
        "conditioned prompts (perf_prompts_export); dpo: preference pairs; rrtf: every ranked "
        "response of a prompt (both preference_export, the set --preference names)",
    )
    train.add_argument(
        "--base",
        required=True,
        help="a local Hugging Face model directory, a hub name, or 'tiny' "
        "(a tiny random model built locally: smoke tests, offline demo)",
    )
    train.add_argument(
        "--lora",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="train a LoRA adapter (default) or, with --no-lora, the full model",
    )
    train.add_argument("--data", help="the export version to train on (default: the export's LATEST)")
    train.add_argument(
        "--data-subset",
        choices=["all", "hq", "synthetic"],
        default="all",
        help="sft: all train pairs, the HQ ones, or the self-play (synthetic) ones",
    )
    train.add_argument(
        "--preference-kind",
        choices=["both", "correctness", "efficiency"],
        default="both",
        help="dpo: which preference pairs",
    )
    train.add_argument(
        "--preference",
        choices=PREFERENCE_SETS,
        default=PREFERENCE_SETS[0],
        help="dpo, rrtf: the preference set: optimization (default: prompts shaped like the evaluation's, "
        "the slow program to optimise) or codedpo (the problem statement)",
    )
    train.add_argument("--name", help="checkpoint name (default <method>-<base>-<data version>-<UTC time>)")
    train.add_argument("--config", help="training config (default: $PIE_TRAINING_CONFIG or the versioned one)")

    ui = command(
        "ui",
        cmd_ui,
        "start the Dagster UI on this code location",
        "Start Dagster's webserver and daemon (`dg dev`) on this code location and the Dagster home "
        "`pie run` writes to, and print the UI's URL. Its sensors ingest the sources and keep the "
        "tables and evaluations up to date in the warehouse. Writes workspace.yaml in the Dagster home.",
    )
    sources(ui)
    ui.add_argument("--port", type=int, default=3000, help="the webserver's port on 127.0.0.1 (default: 3000)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    restore_interrupts()  # `pie run &` from a script must still stop on SIGTERM
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("pie: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        print(f"pie: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
