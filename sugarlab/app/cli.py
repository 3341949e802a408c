"""The `sugarlab` command: `sugarlab run` executes and archives the workbook; `sugarlab sim` manages
the simulated cluster of a lab workspace; `sugarlab compare` sets two archived runs side by side."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from papermill.cli import _resolve_type  # the conversion `papermill -p` applies to values

from sugarlab.app.folders import writable_folder
from sugarlab.lab.errors import ClusterUnreachable, ParameterError, SugarlabError
from sugarlab.lab.params import CONNECTION, LIVE_WORKSPACE, REHEARSAL_WORKSPACE, validate_parameters
from sugarlab.lab.recorded import lab_parameters, record_parameters, record_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
HAND_STARTED_SPEED = 1.0  # `sugarlab sim start` without `-p speed`: real time

EXIT_CODES = """\
exit codes:
  0  every notebook succeeded
  1  a notebook failed (the partial run is archived) or a sugarlab step failed
  2  bad usage or parameters (nothing was created)
  3  the cluster did not answer (nothing was created)
  130, 143  run: interrupted by Ctrl-C (SIGINT) or SIGTERM (the partial run is archived; --resume continues it)
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    try:
        return int(args.command(args))
    except KeyboardInterrupt:  # before a run began, or in another verb: nothing to archive
        print("sugarlab: interrupted", file=sys.stderr)
        return 130
    except ParameterError as exc:
        return _fail(exc, EXIT_USAGE)
    except ClusterUnreachable as exc:
        return _fail(exc, EXIT_UNREACHABLE)
    except SugarlabError as exc:
        return _fail(exc, EXIT_FAILED)
    except OSError as exc:  # the machine refused something the checks above could not foresee (a full disk)
        return _fail(exc, EXIT_FAILED)


def _fail(exc: Exception, code: int) -> int:
    print(f"sugarlab: error: {exc}", file=sys.stderr)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sugarlab",
        description="Sugarkube's Tutorial 13 as runnable, repeatable experiments.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = verbs.add_parser(
        "run",
        help="execute the notebooks headlessly in order and archive the run",
        description="Execute the notebooks with Papermill into OUTPUT_DIR/<run-id>/ and archive it as "
        "OUTPUT_DIR/<run-id>.tar.gz. The lab workspace of a run is OUTPUT_DIR/<run-id>/lab.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--backend", choices=("sim", "live"), help="cluster to run against (default: the notebooks')")
    _add_parameter_options(run)
    run.add_argument("--notebooks", help="comma-separated selection by number or name, e.g. 01,03-workload")
    run.add_argument("--output-dir", type=Path, default=Path("outputs"), help="where runs go (default: outputs)")
    run.add_argument("--notebooks-dir", type=Path, help="folder of NN-name.ipynb notebooks (default: the workbook's)")
    run.add_argument(
        "--resume",
        type=Path,
        metavar="RUN",
        help="continue the failed or interrupted run in folder RUN (or OUTPUT_DIR/RUN) from its first notebook "
        "that did not succeed; -p and -f values override its parameters",
    )
    run.set_defaults(command=_run)

    use = verbs.add_parser(
        "use",
        help="point the lab at your k3s cluster once: the notebooks follow it",
        description="Check that your cluster answers, then record its connection (backend live, the kubeconfig "
        "file's absolute path and the context) in the lab workspace: the tutorial's folder "
        f"{LIVE_WORKSPACE}, unless --workspace or $SUGARLAB_WORKSPACE name another. Notebooks whose backend, "
        "kubeconfig and context are left empty, as the workbook's are, then run against it. The other "
        "parameters of a -f file are checked but not recorded: each notebook's parameters cell sets its own, "
        "and `sugarlab run -f` passes them all.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    use.add_argument("--workspace", help=f"lab workspace root (default: $SUGARLAB_WORKSPACE or {LIVE_WORKSPACE})")
    _add_parameter_options(use)
    use.set_defaults(command=_use)

    sim = verbs.add_parser("sim", help="start, stop or inspect the simulated cluster of a lab workspace")
    sim.add_argument("action", choices=("start", "stop", "status"))
    sim.add_argument("--workspace", help=f"lab workspace root (default: $SUGARLAB_WORKSPACE or {REHEARSAL_WORKSPACE})")
    sim.add_argument("--reset", action="store_true", help="with stop: also forget the cluster, to start afresh")
    _add_parameter_option(sim)
    sim.set_defaults(command=_sim)

    clean = verbs.add_parser(
        "clean",
        help="delete from the cluster everything the lab created (the workers stay joined)",
        description="Delete every object labelled app.kubernetes.io/managed-by=sugarlab and "
        "app.kubernetes.io/part-of=tutorial-13 from the cluster the parameters name (the lab workspace's "
        "recorded connection, or --backend, -f and -p as for run, so one parameters file drives both): workloads, then claims, then classes and "
        "budgets, then namespaces, waiting for each to go. Volumes whose class retains data are kept unless "
        "--purge. It lists what it will delete and asks first, unless --yes.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    clean.add_argument("--backend", choices=("sim", "live"), help="cluster to clean (default: the workspace's)")
    _add_parameter_options(clean)
    clean.add_argument("--yes", action="store_true", help="do not ask before deleting")
    clean.add_argument("--purge", action="store_true", help="also delete volumes kept because their class retains data")
    clean.set_defaults(command=_clean)

    compare = verbs.add_parser(
        "compare",
        help="compare two archived runs: parameters, notebooks, artefacts, milestones, key figures",
        description="Compare two runs, each a run folder (OUTPUT_DIR/<run-id>/) or its archive "
        "(OUTPUT_DIR/<run-id>.tar.gz): parameters that differ, notebook statuses, artefacts added, removed "
        "or changed (by sha256), milestones, and the key figures both runs have, side by side.",
        epilog="exit codes:\n  0  compared\n  2  a path is not a run (or --html cannot be written there)\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("run_a", type=Path, metavar="RUN_A", help="the first run, folder or .tar.gz")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="the second run; changes are B against A")
    compare.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the comparison as an HTML page with a plot"
    )
    compare.set_defaults(command=_compare)
    return parser


def _add_parameter_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a notebook parameter; values are read as Papermill reads them (7 is an int, True a bool)",
    )


def _add_parameter_options(parser: argparse.ArgumentParser) -> None:
    """`-p NAME VALUE` and `-f FILE`, so that one parameters file drives `run`, `use` and `clean` alike."""
    _add_parameter_option(parser)
    parser.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="YAML mapping of parameters; -p values override it",
    )


def _parameters(pairs: Sequence[Sequence[str]], files: Sequence[Path] = ()) -> dict[str, Any]:
    """Merge parameter files, then `-p` pairs, in Papermill's order and with its value conversion."""
    merged: dict[str, Any] = {}
    for file in files:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ParameterError("--parameters-file", str(file), f"a readable YAML file ({_why(exc)})") from None
        if not isinstance(loaded, dict):
            raise ParameterError("--parameters-file", str(file), "a YAML mapping of parameter names to values")
        merged.update(loaded)
    merged.update((name, _resolve_type(value)) for name, value in pairs)
    return merged


def _why(exc: Exception) -> str:
    """What is wrong with a file, in one line: where a YAML error lies, or the error itself."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem and exc.problem_mark:
        return f"{exc.problem} at line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}"
    return " ".join(str(exc).split())


def _run(args: argparse.Namespace) -> int:
    from sugarlab.app.runner import resume_lab, run_lab

    parameters = _parameters(args.parameter, args.parameters_file)
    if args.resume:
        for flag, value in (("--backend", args.backend), ("--notebooks", args.notebooks)):
            if value:
                raise ParameterError(flag, value, "nothing with --resume: a run keeps its cluster and notebooks")
        folder = args.resume if args.resume.is_dir() else args.output_dir / args.resume
        result = resume_lab(folder, parameters, notebooks_dir=args.notebooks_dir)
    else:
        if args.backend:
            parameters["backend"] = args.backend
        selection = [item.strip() for item in (args.notebooks or "").split(",") if item.strip()]
        result = run_lab(
            parameters,
            notebooks=selection or None,
            notebooks_dir=args.notebooks_dir,
            output_dir=args.output_dir,
        )
    print(f"run folder: {result.run_dir}")
    print(f"archive: {result.archive}")
    if result.interrupted:
        stopped = result.failed.name if result.failed else "the run"
        print(
            f"sugarlab: {result.interrupted.name} interrupted notebook {stopped}; the partial run is archived; "
            f"resume with: {result.resume_hint()}",
            file=sys.stderr,
        )
        return result.interrupted.exit_code
    result.raise_for_status()
    return EXIT_OK


def _use(args: argparse.Namespace) -> int:
    from sugarlab.kube.connect import connect

    given = _parameters(args.parameter, args.parameters_file)
    if given.setdefault("backend", "live") != "live":
        raise ParameterError("backend", given["backend"], "live: the simulator needs no choosing")
    if args.workspace:
        given["workspace"] = args.workspace
    validate_parameters(given)  # the whole file is checked, though only the connection is recorded
    params = lab_parameters({name: value for name, value in given.items() if name in (*CONNECTION, "workspace")})
    cluster = connect(params)  # nothing is recorded before the cluster answers
    found = {"kubeconfig": str(params.kubeconfig_path.resolve()), "context": cluster.context}
    chosen = params.model_copy(update=found if params.kubeconfig_path.is_file() else {})  # else in-cluster
    record_parameters(chosen, frozenset(CONNECTION))
    print(f"lab workspace: {params.workspace_path}")
    print(f"cluster: {cluster.server} (context {cluster.context!r}, kubeconfig {chosen.kubeconfig})")
    print(f"recorded in {record_path(params.workspace_path)}; notebooks with an empty backend follow it")
    return EXIT_OK


def _sim(args: argparse.Namespace) -> int:
    parameters = _parameters(args.parameter)
    if args.workspace:
        parameters["workspace"] = args.workspace
    params = validate_parameters(parameters)
    from sugarlab.kube import simulator

    workspace = params.workspace_path
    writable_folder("--workspace", workspace)
    if args.action == "start":
        # By hand, the cluster runs on real time unless asked otherwise (`sugarlab.sim.machinery.clock`).
        print(simulator.start(params, params.speed if "speed" in parameters else HAND_STARTED_SPEED))
        record_parameters(params, frozenset(parameters))  # the notebooks of this workspace read them
    elif args.action == "stop":
        if simulator.stop(workspace, reset=args.reset):
            print(f"stopped the simulated cluster of {workspace}")
        else:
            print(f"no simulated cluster was running in {workspace}")
        if args.reset:
            print(f"forgot the simulated cluster of {workspace}; the next start seeds a new one")
    else:
        status = simulator.status(workspace)
        print(
            json.dumps(status, indent=2, default=str) if status else f"no simulated cluster is running in {workspace}"
        )
    return EXIT_OK


def _clean(args: argparse.Namespace) -> int:
    from sugarlab.app.cleaning import clean_lab

    parameters = _parameters(args.parameter, args.parameters_file)
    if args.backend:
        parameters["backend"] = args.backend
    return clean_lab(parameters, purge=args.purge, confirm=None if args.yes else _confirm)


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise ParameterError("--yes", "not given", "--yes when there is no terminal to confirm at")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _compare(args: argparse.Namespace) -> int:
    from sugarlab.common.files import atomic_write_bytes
    from sugarlab.report.compare import compare_runs, comparison_html, comparison_text, open_run

    if args.html and not args.html.resolve().parent.is_dir():
        raise ParameterError("--html", str(args.html), "a file in a folder that exists")
    with open_run(args.run_a, "RUN_A") as a, open_run(args.run_b, "RUN_B") as b:
        comparison = compare_runs(a, b)
        print(comparison_text(comparison), end="")
        if args.html:
            atomic_write_bytes(args.html, comparison_html(comparison).encode("utf-8"))
            print(f"\nhtml: {args.html}")
    return EXIT_OK
