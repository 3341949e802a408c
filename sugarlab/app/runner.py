"""Headless runs of the workbook: execute notebooks in order with Papermill and archive the run.

A run lives in `<output_dir>/<run-id>/`:

    notebooks/NN-name.ipynb   executed notebooks
    html/NN-name.html         the same, as HTML with plots embedded
    lab/                      the run's lab workspace (the tutorial's artefacts)
    manifest.json             parameters, versions, timings, statuses, artefact hashes; written (atomically)
                              when the run starts, `running`, and after every notebook, so a run whose
                              runner was killed outright still resumes
    run.log                   what the libraries under the run logged (the terminal shows only
                              the progress bar, a line per notebook and the run folder)
    index.html                the front page: the report (milestone checklist, summary, key figures
                              and plots) over the run's artefacts, then every notebook's HTML linked

and `<output_dir>/<run-id>.tar.gz` archives that folder without any `.sugarlab/` state directory
(the simulator's state and kubeconfig live there and never leave the machine).

Everything the user gave is checked before the run folder is created, so bad input leaves nothing
behind. A run's kernels name the runner as the owner of the simulator they start (`sugarlab.kube.simulator`),
so it stops itself when the runner is killed; a manifest left `running` by a runner that is gone
(`sugarlab.app.liveness`) is an interrupted run, and the notebook it was running counts as interrupted. Notebooks keep `%matplotlib inline`, so their plots survive headless runs.
"""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import tarfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import papermill
from tqdm import tqdm

from sugarlab.app.console import RUN_LOG, failure_line, failure_text, logged_to
from sugarlab.app.folders import writable_folder
from sugarlab.app.interrupts import Interrupted, as_interrupted, sigterm_interrupts
from sugarlab.app.kernels import KERNEL, KernelsAhead, logging_kernel_manager, stop
from sugarlab.app.liveness import still_running, this_runner
from sugarlab.common.files import atomic_write_bytes
from sugarlab.kube.simulator import owner_environment
from sugarlab.lab.errors import ParameterError, RunError
from sugarlab.lab.params import LabParams, validate_parameters
from sugarlab.lab.recorded import record_parameters
from sugarlab.lab.workspace import SHARED, STATE_DIR, Workspace, new_lab_id, sha256_file

CELL_TIMEOUT_S = 3600  # no lab cell takes an hour, even live; a stalled kernel fails instead of hanging
DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
RUN_MANIFEST_KEYS = frozenset({"run_id", "status", "parameters", "notebooks", "notebooks_dir"})  # what --resume reads
VERSIONED_PACKAGES = ("sugarlab", "papermill", "kubernetes", "pandas", "matplotlib", "nbconvert")


@dataclass
class NotebookResult:
    name: str
    status: str  # succeeded, failed, interrupted, not run, or running (in a manifest written while it runs)
    duration_seconds: float = 0.0
    error: str | None = None
    attempt: int = 1  # the attempt of the run that last ran it (`--resume` adds attempts)


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    archive: Path
    notebooks: list[NotebookResult] = field(default_factory=list)
    interrupted: Interrupted | None = None  # the signal that stopped the run, if one did

    @property
    def failed(self) -> NotebookResult | None:
        return next((nb for nb in self.notebooks if nb.status in ("failed", "interrupted")), None)

    @property
    def status(self) -> str:
        if self.interrupted:
            return "interrupted"
        return "succeeded" if all(nb.status == "succeeded" for nb in self.notebooks) else "failed"

    def resume_hint(self) -> str:
        return f"sugarlab run --resume {self.run_dir}"

    def raise_for_status(self) -> None:
        """Raise RunError with the failed notebook's message, if one failed."""
        if self.failed:
            page = self.run_dir / "html" / f"{self.failed.name}.html"
            raise RunError(
                f"{failure_line(self.failed.error or '', page)}; after a fix, resume with: {self.resume_hint()}"
            )


def discover_notebooks(folder: Path) -> list[Path]:
    """The workbook's notebooks in run order: `NN-name.ipynb` sorted by name."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb") if p.is_file())


def select_notebooks(available: Sequence[Path], selection: Sequence[str] | None) -> list[Path]:
    """Notebooks chosen by number prefix (`01`) or stem (`01-baseline`), kept in run order."""
    if not selection:
        return list(available)
    names = ", ".join(p.stem for p in available) or "none"
    chosen: set[Path] = set()
    for item in selection:
        matches = [p for p in available if item in (p.stem, p.stem.split("-", 1)[0], p.name)]
        if not matches:
            raise ParameterError("notebooks", item, f"no such notebook; available: {names}")
        chosen.update(matches)
    return [p for p in available if p in chosen]


def run_lab(
    parameters: Mapping[str, Any] | None = None,
    *,
    notebooks: Sequence[str] | None = None,
    notebooks_dir: Path | None = None,
    output_dir: Path = Path("outputs"),
    progress: bool = True,
) -> RunResult:
    """Run the selected notebooks in order and archive the run, even when a notebook fails.

    Raises ParameterError, before creating anything, when the input is wrong. Each notebook gets the
    given parameters it declares; all of them are recorded in the run's lab workspace first, where the
    notebooks that do not declare one read it. A failing notebook stops the run and is reported in the
    result (see `RunResult.raise_for_status`).
    """
    given = dict(parameters or {})
    folder = Path(notebooks_dir or DEFAULT_NOTEBOOKS_DIR).resolve()
    if not folder.is_dir():
        raise ParameterError("notebooks_dir", str(folder), "not a folder of NN-name.ipynb notebooks")
    selected = select_notebooks(discover_notebooks(folder), notebooks)
    if not selected:
        raise ParameterError("notebooks_dir", str(folder), "holds no NN-name.ipynb notebooks")
    declared = {path.stem: set(papermill.inspect_notebook(str(path))) for path in selected}
    _check_workspace(given)

    output_dir = Path(output_dir).resolve()
    writable_folder("--output-dir", output_dir)
    run_id = _new_run_id(output_dir)
    run_dir = output_dir / run_id
    lab = run_dir / "lab"
    params = validate_parameters({**given, "workspace": str(lab)})
    injected = params.model_dump(include={*given, "workspace"})
    if params.backend == "live":
        _connect(params)  # kubeconfig, context and a reachable API server, before anything is created

    run_dir.mkdir(parents=True)
    for sub in ("notebooks", "html", "lab"):
        (run_dir / sub).mkdir()
    record_parameters(params, frozenset(given))  # read by the notebooks that do not declare them
    Workspace(lab).lab_id(run_id)  # what the run creates on the cluster is labelled with its id
    result = RunResult(run_id, run_dir, output_dir / f"{run_id}.tar.gz")
    result.notebooks = [NotebookResult(path.stem, "not run") for path in selected]
    _attempt(result, selected, injected, declared, folder, params.backend, [], progress)
    return result


def resume_lab(
    run: Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    notebooks_dir: Path | None = None,
    progress: bool = True,
) -> RunResult:
    """Continue a failed or interrupted run in its own folder and lab workspace, from the first notebook
    that did not succeed, with `overrides` over the parameters it ran with. The manifest keeps every
    attempt: when it ran, with which parameters, and what each notebook did."""
    run_dir = Path(run).resolve()
    try:
        old = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ParameterError("--resume", str(run), "the folder of a run, holding its manifest.json") from None
    lacking = sorted(RUN_MANIFEST_KEYS - old.keys()) if isinstance(old, dict) else ["everything (not a mapping)"]
    if lacking:
        raise ParameterError("--resume", str(run), f"a run's folder; its manifest.json lacks {', '.join(lacking)}")
    if old["status"] == "succeeded":
        raise ParameterError("--resume", str(run), "a failed or interrupted run; this one succeeded")
    if old["status"] == "running":
        if still_running(old.get("runner")):
            raise ParameterError(
                "--resume", str(run), f"a run that has stopped; this one is still running (pid {old['runner']['pid']})"
            )
        _ended_unseen(old)
    given = dict(overrides or {})
    _check_workspace(given)
    folder = Path(notebooks_dir or old["notebooks_dir"]).resolve()
    available = {p.stem: p for p in discover_notebooks(folder)}
    missing = [nb["name"] for nb in old["notebooks"] if nb["name"] not in available]
    if missing:
        raise ParameterError(
            "--notebooks-dir", str(folder), f"a folder holding the run's notebooks ({', '.join(missing)})"
        )
    selected = [available[nb["name"]] for nb in old["notebooks"]]
    declared = {path.stem: set(papermill.inspect_notebook(str(path))) for path in selected}
    params = validate_parameters({**old["parameters"], **given})
    injected = params.model_dump(include={*old["parameters"], *given})
    if params.backend == "live":
        _connect(params)
    record_parameters(params, frozenset(given))
    attempts = old.get("attempts", [])
    result = RunResult(old["run_id"], run_dir, run_dir.with_name(f"{old['run_id']}.tar.gz"))
    result.notebooks = [NotebookResult(**nb) for nb in old["notebooks"]]
    first = next(i for i, nb in enumerate(result.notebooks) if nb.status != "succeeded")
    for nb in result.notebooks[first:]:
        nb.status, nb.error, nb.duration_seconds, nb.attempt = "not run", None, 0.0, len(attempts) + 1
    _attempt(result, selected, injected, declared, folder, params.backend, attempts, progress, first)
    return result


def _ended_unseen(manifest: dict[str, Any]) -> None:
    """Mark what the manifest of a runner that died shows as running (its last attempt and the notebook it
    was running) as interrupted."""
    pid = manifest.get("runner", {}).get("pid", "?")
    for attempt in manifest.get("attempts", [])[-1:]:
        if attempt["status"] == "running":
            attempt["status"] = "interrupted"
    for rows in (manifest["notebooks"], *(a["notebooks"] for a in manifest.get("attempts", [])[-1:])):
        for nb in rows:
            if nb["status"] == "running":
                nb["status"] = "interrupted"
                nb["error"] = f"notebook {nb['name']} interrupted: the run's process (pid {pid}) ended while it ran"
    manifest["status"] = "interrupted"


def _attempt(
    result: RunResult,
    selected: Sequence[Path],
    injected: Mapping[str, Any],
    declared: Mapping[str, set[str]],
    folder: Path,
    backend: str,
    attempts: list[dict[str, Any]],
    progress: bool,
    first: int = 0,
) -> None:
    """Run `selected[first:]`, then always stop the simulator, write the manifest and archive; a signal
    ends the attempt (recorded in `result.interrupted`), not the process. The manifest is written, `running`,
    before the first notebook and after each one."""
    started = _now()
    attempt: dict[str, Any] = {
        "attempt": len(attempts) + 1,
        "started": started,
        "ended": None,
        "parameters": dict(injected),
        "status": "running",
        "notebooks": [],
    }
    attempts.append(attempt)
    runner = this_runner()

    def save(stopping: Future[bool] | None = None) -> None:
        """The manifest, `running`; or, once the run has ended and `stopping` stops its simulator, the
        final one, with the front page (made while the simulator stops: each takes about half a second)."""
        attempt["notebooks"] = [asdict(nb) for nb in result.notebooks[first:]]
        if stopping is not None:
            attempt["status"], attempt["ended"] = result.status, _now()
        manifest = _manifest(result, backend, injected, folder, attempts[0]["started"])
        manifest["runner"] = runner
        manifest["attempts"] = attempts
        if stopping is not None:
            manifest["front_page"] = _write_front_page(result.run_dir, manifest)
            manifest["simulator_stopped"] = None if stopping.exception() else stopping.result()
        else:
            manifest["status"], manifest["ended"] = "running", None
        atomic_write_bytes(result.run_dir / "manifest.json", json.dumps(manifest, indent=2).encode(), SHARED)

    save()
    try:
        # A notebook's HTML page is rendered on a worker thread while the next notebook runs (the runner
        # mostly waits on the kernel meanwhile); leaving the block waits for every page, before the archive.
        pages = ThreadPoolExecutor(max_workers=1, thread_name_prefix="html-page")
        with sigterm_interrupts(), logged_to(result.run_dir / RUN_LOG), pages:
            try:
                records = result.notebooks[first:]
                _execute_all(selected[first:], result, records, injected, declared, folder, progress, pages, save)
            except KeyboardInterrupt:
                # The interrupted cell's abandoned asyncio task logs "Task exception was never retrieved"
                # whenever it is collected, maybe after the run log is closed; the run says what happened.
                logging.getLogger("asyncio").setLevel(logging.CRITICAL)
                raise
    except KeyboardInterrupt as exc:
        result.interrupted = as_interrupted(exc)
    finally:
        # A second signal while archiving must not leave half an archive.
        with sigterm_interrupts(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-stop") as stopper:
            stopping = stopper.submit(_stop_cluster, result.run_dir / "lab")
            try:
                save(stopping)
            finally:
                _archive(result.run_dir, result.archive)
            stopping.result()  # a simulator that would not stop fails the run, once it is archived


def _check_workspace(given: Mapping[str, Any]) -> None:
    if "workspace" in given:
        raise ParameterError(
            "workspace", given["workspace"], "set by the run itself to its lab folder <run-id>/lab; leave it out"
        )


def _execute_all(
    selected: Sequence[Path],
    result: RunResult,
    records: Sequence[NotebookResult],
    injected: Mapping[str, Any],
    declared: Mapping[str, set[str]],
    folder: Path,
    progress: bool,
    pages: ThreadPoolExecutor,
    save: Callable[[], None],
) -> None:
    bar = tqdm(zip(selected, records, strict=True), total=len(selected), unit="notebook", disable=not progress)
    rendered: list[Future[None]] = []
    manager = logging_kernel_manager(result.run_dir, owner_environment())
    state_dir = result.run_dir / "lab" / STATE_DIR
    with KernelsAhead(manager, selected, folder) as kernels:
        # What the rest of the run needs is loaded while the first kernel starts, not before: about a second.
        import sugarlab.report  # noqa: F401  (the front page)
        from sugarlab.app.progress import ENGINE, shown
        from sugarlab.views.readable import duration

        for path, record in bar:
            bar.set_description(record.name)
            executed = result.run_dir / "notebooks" / path.name
            record.status = "running"
            save()
            began = time.monotonic()
            kernel = kernels.take()
            try:
                with shown(bar, state_dir, record.name) if progress else nullcontext(None) as on_cell:
                    papermill.execute_notebook(
                        str(path),
                        str(executed),
                        parameters={k: v for k, v in injected.items() if k in declared[record.name]},
                        engine_name=ENGINE,
                        on_cell=on_cell,
                        kernel_name=KERNEL,
                        cwd=str(folder),
                        progress_bar=False,  # the run's own line shows the cell (`sugarlab.app.progress`)
                        execution_timeout=CELL_TIMEOUT_S,
                        km=kernel,
                    )
            except Exception as exc:  # any failure stops the run; it is reported, not raised
                record.status, record.error = "failed", failure_text(record.name, exc)
            except KeyboardInterrupt as exc:
                signal_name = as_interrupted(exc).name
                record.status, record.error = "interrupted", f"notebook {record.name} interrupted by {signal_name}"
                raise
            else:
                record.status = "succeeded"
            finally:
                # The cells have finished and the notebook is saved: the kernel is stopped at once rather than
                # asked to tear its interpreter down, which takes about a second after the workbook's imports.
                stop(kernel)
                record.duration_seconds = round(time.monotonic() - began, 3)
                if executed.exists():
                    rendered.append(pages.submit(_export_html, executed, result.run_dir / "html" / f"{path.stem}.html"))
            save()
            if progress:
                bar.write(f"{record.name}: {record.status} in {duration(record.duration_seconds)}")
            if record.status == "failed":
                break
    bar.close()
    for page in rendered:
        page.result()  # a page that could not be written fails the run, as it did when written in turn


def _export_html(notebook: Path, target: Path) -> None:
    from sugarlab.report.notebook_html import notebook_html

    atomic_write_bytes(target, notebook_html(notebook).encode("utf-8"), SHARED)


def _connect(params: LabParams) -> None:
    """Prove a live cluster answers; the client loads here, so a simulated run starts its first kernel
    without waiting for it."""
    from sugarlab.kube.connect import connect

    connect(params)


def _stop_cluster(lab: Path) -> bool:
    """Stop the simulated cluster the run's notebooks started in `lab`, if any."""
    from sugarlab.kube import simulator

    return simulator.stop(lab)


def _manifest(
    result: RunResult,
    backend: str,
    injected: Mapping[str, Any],
    folder: Path,
    started: str,
) -> dict[str, Any]:
    lab = result.run_dir / "lab"
    artefacts = []
    for artefact in Workspace(lab).artefacts():
        on_disk = lab / artefact.path
        row = asdict(artefact)
        row["on_disk"] = {"sha256": sha256_file(on_disk), "size": on_disk.stat().st_size} if on_disk.exists() else None
        row["matches"] = row["on_disk"] == {"sha256": artefact.sha256, "size": artefact.size}
        artefacts.append(row)
    return {
        "run_id": result.run_id,
        "status": result.status,
        "backend": backend,
        "parameters": dict(injected),
        "started": started,
        "ended": _now(),
        "notebooks_dir": str(folder),
        "git_commit": _git_commit(folder),
        "versions": dict(_versions()),
        "simulator_stopped": None,  # known once the run has ended (`_attempt`)
        "notebooks": [asdict(nb) for nb in result.notebooks],
        "steps": [asdict(step) for step in Workspace(lab).steps()],
        "artefacts": artefacts,
    }


def _write_front_page(run_dir: Path, manifest: dict[str, Any]) -> str | None:
    """Write the run's `index.html` (the report over its artefacts, every notebook linked) and return
    its name; None, with `front_page_error` in the manifest, when it could not be made."""
    from sugarlab.report import LabFiles
    from sugarlab.report import build as build_report
    from sugarlab.report.front_page import FRONT_PAGE, front_page_html

    try:
        report = build_report(LabFiles.of_workspace(Workspace(run_dir / "lab"), str(manifest.get("backend", ""))))
        page = front_page_html(report, manifest, run_dir)
    except Exception as exc:  # the run is archived whatever its artefacts hold
        manifest["front_page_error"] = f"{type(exc).__name__}: {exc}"
        return None
    atomic_write_bytes(run_dir / FRONT_PAGE, page.encode("utf-8"), SHARED)
    return FRONT_PAGE


def _archive(run_dir: Path, archive: Path) -> None:
    def without_state(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return None if STATE_DIR in Path(info.name).parts else info

    partial = archive.with_name(f".{archive.name}.tmp")
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(run_dir, arcname=run_dir.name, filter=without_state)
    partial.replace(archive)


def _new_run_id(output_dir: Path) -> str:
    """A UTC timestamp plus a short random suffix, unused in `output_dir`."""
    while True:
        run_id = new_lab_id()
        if not (output_dir / run_id).exists():
            return run_id


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@cache  # the manifest is written after every notebook; neither changes while the runner lives
def _git_commit(folder: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@cache
def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions
