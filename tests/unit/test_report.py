"""The report of notebook 07: milestones judged from artefacts, key figures, summary, checklist file.

The lab under test is `tests/data/report-lab` (artefacts of notebooks 01, 02, 03 and 05 from a run on
the simulator, see its README) plus the artefacts of notebooks 04 and 06 written here: fio results
parsed from the real fio reports in `tests/data/fio`, a security checklist from `sugarlab.steps.operations.ssh_audit`,
and failover results in notebook 04's columns.
"""

from __future__ import annotations

import re
import shutil
import types
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from sugarlab.kube.inventory import parse_table
from sugarlab.lab.workspace import Workspace
from sugarlab.report import CHECKLIST, ArtefactError, LabFiles, Report, build, save
from sugarlab.report.figures import expansion_per_node, fio_results, key_figures, tuning_study
from sugarlab.report.milestones import new_workers, workload_nodes
from sugarlab.report.sources import WRITERS
from sugarlab.steps import baseline_comparison
from sugarlab.steps.operations.fio_output import parse_fio
from sugarlab.steps.operations.ssh_audit import AuditResult, findings_from_config, security_checklist_markdown
from sugarlab.views.tables import render

DATA = Path(__file__).parents[1] / "data"
FIO_REPORTS = {
    "sugarkube0": "fio-3.33-libaio-randread.json",
    "worker-a": "fio-3.33-tutorial-kubectl-logs.log",
    "worker-b": "fio-3.33-jsonplus.json",
}
HARDENED = {
    "passwordauthentication": "no",
    "kbdinteractiveauthentication": "no",
    "permitrootlogin": "no",
    "pubkeyauthentication": "yes",
    "permitemptypasswords": "no",
}
FAILOVER = """experiment,node_before,node_after,time_to_ready_s,rows_before,rows_after,rows_missing,integrity,verdict
cordon-drain,worker-a,worker-b,42.5,1200,1200,0,ok,no data lost
power-off,worker-b,worker-a,95.0,1450,1450,0,ok,no data lost
"""


def fio_results_csv() -> str:
    rows = [
        parse_fio((DATA / "fio" / name).read_text(), node=node, provenance="simulated").iloc[:1]
        for node, name in FIO_REPORTS.items()
    ]
    csv: str = pd.concat(rows).assign(medium="USB SSD", diagnosis="").to_csv(index=False)
    return csv


def security_checklist(weak_node: str = "") -> str:
    when = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    results = [
        AuditResult(
            node,
            when,
            findings_from_config(node, HARDENED | ({"passwordauthentication": "yes"} if node == weak_node else {})),
        )
        for node in ("sugarkube0", "worker-a", "worker-b")
    ]
    return security_checklist_markdown(results, when)


def write(root: Path, path: str, text: str) -> None:
    Workspace(root, WRITERS.get(path, "test")).write_text(path, text)


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A workspace holding every artefact the report reads, each recorded as its notebook's."""
    for source in (DATA / "report-lab").rglob("*"):
        if source.is_file() and source.name != "README.md":
            write(tmp_path, source.relative_to(DATA / "report-lab").as_posix(), source.read_text())
    write(tmp_path, "storage/failover-experiments.csv", FAILOVER)
    write(tmp_path, "storage/failover-report.md", "# Storage failover report\n\nTwo disruptions, no data lost.\n")
    write(tmp_path, "operations/fio-results.csv", fio_results_csv())
    write(tmp_path, "operations/security-checklist.md", security_checklist())
    return tmp_path


def files(root: Path) -> LabFiles:
    return LabFiles.of_workspace(Workspace(root), "sim")


def checks(report: Report) -> dict[str, tuple[bool, str]]:
    return {c.label: (c.passed, c.evidence) for m in report.milestones for c in m.checks}


def test_every_milestone_passes_with_evidence_traced_to_its_artefact(lab: Path) -> None:
    report = build(files(lab))
    assert [m.passed for m in report.milestones] == [True, True, True]
    found = checks(report)
    joined = found["two or more new workers joined and Ready"][1]
    assert "2 new Ready worker(s) against the baseline inventory: worker-a, worker-b" in joined
    assert "`expansion/nodes-after-join.txt`, written by 02-expansion, sha256 " in joined
    assert (
        "stress pods ran on 2 of the 2 Ready workers of the expansion (pods per node: worker-a 2, worker-b 2"
        in found["workloads scheduled across the new workers"][1]
    )
    assert "2 of 2 experiments recovered with no data lost" in found["node disruption recovered without data loss"][1]
    assert (
        "`MAX_BATCH=4`, `INTRA_OP_THREADS=1`, replicas 2, CPU limit 2 (from"
        in found["edge-ai/tuning-experiments.md drafted"][1]
    )
    assert (
        "3 node(s) audited (sugarkube0: passed; worker-a: passed; worker-b: passed"
        in found["operations/security-checklist.md drafted"][1]
    )


def test_performance_comparison_evidence_is_computed_from_the_csv(lab: Path) -> None:
    per_node = pd.read_csv(lab / "expansion/baseline-comparison.csv")
    passed, evidence = checks(build(files(lab)))["performance compared against the baseline"]
    load = per_node["load_cpu_cores"].sum()
    share = per_node.loc[per_node["new"], "load_cpu_cores"].sum() / load
    assert passed
    assert (
        f"{per_node['baseline_cpu_cores'].sum():.2f} cores at baseline, {load:.2f} cores under the stress Job, "
        f"{share:.0%} of it on the workers of the expansion (simulated;"
    ) in evidence


@pytest.mark.parametrize(
    ("missing", "milestone", "notebook"),
    [
        ("storage/failover-experiments.csv", 1, "04-storage"),
        ("storage/failover-report.md", 1, "04-storage"),
        ("operations/security-checklist.md", 2, "06-operations"),
        ("edge-ai/tuning-experiments.md", 2, "05-edge-ai"),
        ("expansion/baseline-comparison.csv", 0, "03-workload"),
        ("expansion/pod-distribution.txt", 0, "03-workload"),
    ],
)
def test_a_missing_artefact_fails_its_milestone_only_and_names_the_notebook(
    lab: Path, missing: str, milestone: int, notebook: str
) -> None:
    (lab / missing).unlink()
    report = build(files(lab))
    assert [m.passed for m in report.milestones] == [i != milestone for i in range(3)]
    failed = [c for c in report.milestones[milestone].checks if not c.passed]
    assert [c.evidence for c in failed] == [f"{missing}: missing; run notebooks/{notebook}.ipynb in this workspace"]
    text = report.markdown()
    assert f"FAIL: {failed[0].label}. {missing}: missing" in text
    assert f"| {missing}" in text and "| False" in text


def test_data_lost_in_one_experiment_fails_the_failure_injection_milestone(lab: Path) -> None:
    write(
        lab,
        "storage/failover-experiments.csv",
        FAILOVER.replace("1450,1450,0,ok,no data lost", "1450,1441,9,rows missing,9 rows lost"),
    )
    passed, evidence = checks(build(files(lab)))["node disruption recovered without data loss"]
    assert not passed
    assert "1 of 2 experiments recovered with no data lost" in evidence
    assert (
        "power-off: worker-b -> worker-a, ready in 95 s, rows 1450 before, 1441 after, 9 missing, 9 rows lost"
        in evidence
    )


def test_an_experiment_that_was_not_measured_fails_and_says_so(lab: Path) -> None:
    write(
        lab,
        "storage/failover-experiments.csv",
        FAILOVER.replace("95.0,1450,1450,0,ok,no data lost", ",1450,,,,not measured: the pod never came back"),
    )
    passed, evidence = checks(build(files(lab)))["node disruption recovered without data loss"]
    assert not passed
    assert (
        "power-off: worker-b -> worker-a, ready in never, rows 1450 before, ? after, ? missing, "
        "not measured: the pod never came back"
    ) in evidence


def test_one_ready_new_worker_is_not_a_multi_node_prototype(lab: Path) -> None:
    nodes = (lab / "expansion/nodes-after-join.txt").read_text().splitlines()
    nodes[3] = nodes[3].replace("worker-b     Ready   ", "worker-b     NotReady")
    write(lab, "expansion/nodes-after-join.txt", "\n".join(nodes) + "\n")
    assert list(new_workers(files(lab))["status"]) == ["Ready", "NotReady"]
    passed, evidence = checks(build(files(lab)))["two or more new workers joined and Ready"]
    assert not passed
    assert "1 new Ready worker(s) against the baseline inventory: worker-a; not Ready: worker-b (NotReady)" in evidence


def test_the_final_snapshot_stands_in_when_the_join_notebook_did_not_run(lab: Path) -> None:
    nodes = (lab / "expansion/nodes-after-join.txt").read_text()
    (lab / "expansion/nodes-after-join.txt").unlink()
    write(lab, "final/nodes.txt", nodes)
    passed, evidence = checks(build(files(lab)))["two or more new workers joined and Ready"]
    assert passed and "`final/nodes.txt`, written by 06-operations" in evidence


def test_workloads_all_on_the_controller_are_not_spread(lab: Path) -> None:
    spread = (
        (lab / "expansion/pod-distribution.txt")
        .read_text()
        .replace("worker-a", "sugarkube0")
        .replace("worker-b", "sugarkube0")
    )
    write(lab, "expansion/pod-distribution.txt", spread)
    assert workload_nodes(files(lab)).to_dict() == {"sugarkube0": 4}
    passed, evidence = checks(build(files(lab)))["workloads scheduled across the new workers"]
    assert (
        not passed
        and "stress pods ran on 0 of the 2 Ready workers of the expansion (pods per node: sugarkube0 4" in evidence
    )


def test_a_security_checklist_with_findings_is_still_a_draft_and_shows_them(lab: Path) -> None:
    write(lab, "operations/security-checklist.md", security_checklist(weak_node="worker-a"))
    passed, evidence = checks(build(files(lab)))["operations/security-checklist.md drafted"]
    assert passed and "worker-a: failed (1 of 5 items)" in evidence


def test_an_open_line_leaves_its_milestone_unticked_and_the_summary_counts_it_so(lab: Path) -> None:
    write(lab, "operations/security-checklist.md", security_checklist(weak_node="worker-a"))
    report = build(files(lab))
    assert [m.status for m in report.milestones] == ["pass", "pass", "open"]
    assert report.passed == 2
    text = report.markdown()
    assert "2 of 3 pass." in text
    roadmap = text.split("- [ ] **Advanced roadmap update", 1)
    assert len(roadmap) == 2 and "\n  - open: operations/security-checklist.md drafted." in roadmap[1]
    # no milestone is ticked with an open or failed line under it
    for block in text.split("\n- [")[1:]:
        if block.startswith("x]"):
            assert not re.search(r"^  - (open|FAIL):", block.split("\n## ")[0], re.M)
    assert report.summary[0] == (
        "2 of 3 milestones pass. Still open: Advanced roadmap update (operations/security-checklist.md drafted: open)."
    )


def test_key_figures_are_the_artefacts_numbers_with_their_provenance(lab: Path) -> None:
    figures = key_figures(files(lab)).set_index("measure")
    snapshot = pd.read_csv(lab / "baseline/resource-snapshot.csv").query("kind == 'node'")
    assert figures.loc["CPU used at baseline", "value"] == pytest.approx(snapshot["cpu_cores"].sum())
    assert figures.loc["nodes after expansion", "value"] == 3
    for node, name in FIO_REPORTS.items():
        iops = parse_fio((DATA / "fio" / name).read_text())["read_iops"].iloc[0]
        assert figures.loc[f"fio 4k random-read IOPS, {node}", "value"] == pytest.approx(iops)
        assert figures.loc[f"fio 4k random-read IOPS, {node}", "source"] == "operations/fio-results.csv"
    assert figures.loc["inference p95, chosen setting, concurrency 8", "value"] == 981.1
    assert figures.loc["inference p95, chosen setting, concurrency 8", "provenance"] == "local"
    assert figures.loc["longest failover time to ready", "value"] == 95.0
    assert set(figures["provenance"]) == {"simulated", "local"}


def test_the_chosen_tuning_setting_is_marked_once_per_concurrency(lab: Path) -> None:
    study = tuning_study(files(lab))
    chosen = study[study["chosen"]]
    assert list(chosen["concurrency"]) == [1, 8]
    assert set(chosen["intra_op_threads"]) == {1} and set(chosen["max_batch"]) == {4}


def test_the_summary_is_written_from_the_numbers(lab: Path) -> None:
    report = build(files(lab))
    figures = report.figures.set_index("measure")["value"]
    iops = [figures[f"fio 4k random-read IOPS, {node}"] for node in FIO_REPORTS]
    paragraphs = report.summary
    assert paragraphs[0] == "3 of 3 milestones pass."
    assert paragraphs[1].startswith(
        f"The cluster grew from 1 to 3 nodes; under the stress Job it used "
        f"{figures['CPU used under the stress Job']:.2f} CPU cores"
    )
    assert (
        paragraphs[2] == "2 of 2 failover experiments lost no data; the slowest was ready again after 95 s (simulated)."
    )
    assert "599 ms at p50 and 981 ms at p95 with 8 requests in flight, 11.8 requests/s (local)" in paragraphs[3]
    assert f"reads ran at {min(iops):,.0f} to {max(iops):,.0f} IOPS across 3 nodes" in paragraphs[4]


def test_an_empty_workspace_still_renders_every_item_failed(tmp_path: Path) -> None:
    report = build(files(tmp_path))
    assert not any(m.passed for m in report.milestones)
    assert report.figures.empty
    missing = [c.evidence.split(":")[0] for m in report.milestones for c in m.checks]
    assert missing == [
        "baseline/cluster-inventory.txt",
        "expansion/pod-distribution.txt",
        "expansion/baseline-comparison.csv",
        "storage/failover-experiments.csv",
        "storage/failover-report.md",
        "edge-ai/tuning-experiments.md",
        "operations/security-checklist.md",
    ]
    text = report.markdown()
    assert all(f"run notebooks/{WRITERS[path]}.ipynb" in text for path in missing)
    assert all(section.problem for section in report.sections)


def test_an_artefact_without_the_expected_columns_is_named_and_the_rest_renders(lab: Path) -> None:
    write(lab, "operations/fio-results.csv", "node,iops\nworker-a,100\n")
    with pytest.raises(ArtefactError, match=r"operations/fio-results.csv: lacks the columns job, rw, bs, .*read_iops"):
        fio_results(files(lab))
    report = build(files(lab))
    assert "lacks the columns job, rw" in report.section("fio per node").problem
    assert report.section("Inference latency").figure is not None
    assert "No fio figures" in report.summary[4]


def test_sections_render_frames_and_plots_as_html(lab: Path) -> None:
    report = build(files(lab))
    page = report.section("fio per node")._repr_html_()
    assert "<h3>fio per node</h3>" in page and 'src="data:image/png;base64,' in page and "worker-b" in page
    assert "Not available" in build(files(lab / "nowhere")).section("fio per node")._repr_html_()


def test_save_writes_the_checklist_and_records_the_step(lab: Path) -> None:
    report = build(files(lab))
    path = save(types.SimpleNamespace(workspace=Workspace(lab, "07-report")), report)  # type: ignore[arg-type]
    assert path == CHECKLIST == "final/milestone-checklist.md"  # relative to the workspace, as 01 to 06 print theirs
    text = (lab / path).read_text()
    assert text.startswith("# Milestone checklist") and "3 of 3 pass" in text
    assert "- [x] **Multi-node prototype" in text and "## Key figures" in text and "## Sources" in text
    recorded = {a.path: a.notebook for a in Workspace(lab).artefacts()}
    assert recorded[CHECKLIST] == "07-report"
    (step,) = [s for s in Workspace(lab).steps() if s.notebook == "07-report"]
    assert (step.step, step.status, step.detail) == ("milestone checklist", "passed", "3 of 3 milestones pass")


def test_kubectl_tables_parse_back_as_rendered_and_as_kubectl_prints_them() -> None:
    rows = [["NAME", "STATUS", "NOMINATED NODE"], ["worker-a", "Ready", "<none>"], ["w", "NotReady", "x"]]
    frame = parse_table(render(rows))
    assert list(frame.columns) == ["name", "status", "nominated_node"]
    assert frame.values.tolist() == [["worker-a", "Ready", "<none>"], ["w", "NotReady", "x"]]
    real = parse_table((DATA / "kubectl-get-nodes-wide.txt").read_text())
    assert list(real["name"]) == ["raspi64-0", "raspi64-1", "raspi64-2"]
    assert list(real["os_image"]) == ["Debian GNU/Linux 12 (bookworm)"] * 3
    assert real.loc[0, "roles"] == "control-plane,master"
    with pytest.raises(ValueError, match="not a kubectl table"):
        parse_table("worker-a   Ready\n")


def test_copied_run_folders_read_origins_from_the_manifest(lab: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    run = tmp_path_factory.mktemp("run")
    shutil.copytree(lab, run / "lab", ignore=shutil.ignore_patterns(".sugarlab"))
    manifest = {"artefacts": [vars(a) for a in Workspace(lab).artefacts()]}
    copied = LabFiles.of_manifest(run, manifest)
    assert "written by 01-baseline" in copied.describe("baseline/cluster-inventory.txt")
    assert [m.passed for m in build(copied).milestones] == [True, True, True]


def test_notebook_03_leaves_the_comparison_the_report_reads(tmp_path: Path) -> None:
    per_node = pd.read_csv(DATA / "report-lab" / "expansion" / "baseline-comparison.csv").drop(columns="provenance")
    lab = types.SimpleNamespace(
        workspace=Workspace(tmp_path, "03-workload"), cluster=types.SimpleNamespace(provenance="cluster")
    )
    baseline_comparison.save_comparison(lab, per_node)  # type: ignore[arg-type]
    read = expansion_per_node(files(tmp_path))
    pd.testing.assert_frame_equal(read.drop(columns="provenance"), per_node)
    assert set(read["provenance"]) == {"cluster"}


def test_a_baseline_retaken_after_the_join_leaves_no_summary_the_checklist_denies(lab: Path) -> None:
    from sugarlab.report.milestones import INVENTORY, NODES_AFTER_JOIN

    write(lab, INVENTORY, (lab / NODES_AFTER_JOIN).read_text())  # every node now counts as the baseline's
    report = build(files(lab))
    assert not checks(report)["two or more new workers joined and Ready"][0]
    expansion = report.summary[1]
    assert expansion.startswith("No expansion is summarised: the checklist finds no new workers")
    assert "grew" not in expansion and "new workers (" not in expansion.split("(", 1)[0]


def test_workers_that_were_members_before_the_baseline_count_as_the_expansion(lab: Path) -> None:
    from sugarlab.report.milestones import INVENTORY, NODES_AFTER_JOIN, WORKERS

    write(lab, INVENTORY, (lab / NODES_AFTER_JOIN).read_text())  # the baseline already had both workers
    write(
        lab,
        WORKERS,
        "worker,how,status,requested,registered,ready,latency_s,provenance\n"
        "worker-a,already a member,Ready,,2026-11-02 08:43:12+00:00,2026-11-02 08:43:12+00:00,,cluster\n"
        "worker-b,joined by this lab,Ready,2026-11-26 10:20:00+00:00,,2026-11-26 10:21:00+00:00,60,cluster\n",
    )
    report = build(files(lab))
    found = checks(report)
    passed, evidence = found["two or more new workers joined and Ready"]
    assert passed
    assert "2 Ready worker(s) of the expansion: worker-a (already a member), worker-b (joined by this lab)" in evidence
    assert "`expansion/workers.csv`, written by 02-expansion" in evidence
    assert found["workloads scheduled across the new workers"][0]
    assert not report.summary[1].startswith("No expansion is summarised")


def test_a_named_worker_that_is_not_ready_is_no_worker_of_the_expansion(lab: Path) -> None:
    from sugarlab.report.milestones import WORKERS

    write(
        lab,
        WORKERS,
        "worker,how,status,requested,registered,ready,latency_s,provenance\n"
        "worker-a,already a member,Ready,,,,,cluster\nworker-b,already a member,NotReady,,,,,cluster\n",
    )
    passed, evidence = checks(build(files(lab)))["two or more new workers joined and Ready"]
    assert (
        not passed
        and "1 Ready worker(s) of the expansion: worker-a (already a member); not Ready: worker-b" in evidence
    )


def test_the_fio_section_says_under_its_table_when_the_simulator_cut_fio_short(lab: Path) -> None:
    assert "Shortened by the simulator" not in build(files(lab)).section("fio per node")._repr_html_()
    cut = "--runtime=60 --size=1G cut to --runtime=3 --size=16M"
    results = pd.read_csv(lab / "operations" / "fio-results.csv").assign(shortened=cut)
    write(lab, "operations/fio-results.csv", results.to_csv(index=False))
    page = build(files(lab)).section("fio per node")._repr_html_()
    assert f"<p><em>Shortened by the simulator: {cut}." in page and page.index("</table>") < page.index("<p><em>")
