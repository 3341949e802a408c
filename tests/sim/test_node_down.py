"""The node-down experiment on the simulator: the writer's node's k3s agent stopped over the hosts
interface, NotReady, eviction, containers stopped, the out-of-service taint, then Ready again."""

from __future__ import annotations

from collections.abc import Callable

from sugarlab.lab.session import Lab
from sugarlab.report import LabFiles, build
from sugarlab.report.figures import key_figures
from sugarlab.steps.storage import failover, nfs_class, writer


def test_node_down_moves_the_writer_without_losing_a_row_and_the_node_returns(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=2, speed=60, failures=["node-down"])
    nfs_class.apply(lab, nfs_class.manifest(lab.params, nfs_class.choose(lab, nfs_class.detect(lab))))
    writer.deploy(lab, writer.manifests(lab.params))
    writer.wait_ready(lab, progress=False)

    [experiment] = failover.run(lab, progress=False)
    assert not experiment.skipped and experiment.verdict == failover.VERDICT_OK
    assert experiment.node_after != experiment.node_before
    events = failover.timeline([experiment]).set_index("event")["after_s"]
    assert (
        events["k3s-agent stopped"]
        < events["NotReady"]
        < events["evicted (Terminating)"]
        <= events["containers stopped"]
        <= events["out-of-service taint"]
    )
    node = lab.cluster.core.read_node(experiment.node_before)
    assert next(c.status for c in node.status.conditions if c.type == "Ready") == "True"
    assert all(t.key != "node.kubernetes.io/out-of-service" for t in node.spec.taints or [])
    assert f"k3s-agent on {experiment.node_before} started again; the node is Ready" in experiment.notes
    report = failover.report(lab, [experiment], "csi-driver-nfs")
    assert "node-down" in report and "**verdict: no data lost**" in report

    lab.workspace.write_text(failover.TABLE, failover.frame([experiment]).to_csv(index=False))
    lab.workspace.write_text(failover.REPORT, report)
    files = LabFiles.of_workspace(lab.workspace)
    figures = key_figures(files).set_index("measure")
    assert figures.loc["failover time to ready, node-down", "value"] > 0  # what `sugarlab compare` sets side by side
    checklist = {m.title.split(":")[0]: m for m in build(files).milestones}
    assert checklist["Failure-injection exercise"].checks[0].passed
