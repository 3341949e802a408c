"""The tutorial's own kubectl commands, as written, against a simulated cluster with two workers.

Each step is the command the tutorial prints (shared/reference/tutorial-13-advanced-operations.md,
sections 1, 3 and 6) run by the real kubectl with only the simulator's kubeconfig; the assertions are
what the same command shows against k3s.
"""

from __future__ import annotations

from pathlib import Path

from tests.sim.simcluster import kubectl_out as kubectl
from tests.sim.simcluster import needs_kubectl

pytestmark = needs_kubectl
TUTORIAL = Path(__file__).resolve().parents[2] / "data" / "tutorial"


def test_baseline_commands_show_nodes_pods_and_usage(kubeconfig: Path) -> None:
    nodes = kubectl(kubeconfig, "get", "nodes", "-o", "wide").splitlines()
    assert nodes[0].split()[:6] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP"]
    assert len(nodes) == 4 and all(" Ready " in row for row in nodes[1:])
    pods = kubectl(kubeconfig, "get", "pods", "-A", "-o", "wide").splitlines()
    assert pods[0].split()[:5] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS"]
    assert "<invalid>" not in "\n".join(nodes + pods)
    top = kubectl(kubeconfig, "top", "nodes").splitlines()
    assert top[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"] and len(top) == 4
    assert kubectl(kubeconfig, "top", "pods", "-A").splitlines()[0].split() == [
        "NAMESPACE",
        "NAME",
        "CPU(cores)",
        "MEMORY(bytes)",
    ]


def test_the_stress_job_runs_to_completion_and_leaves_logs_and_events(kubeconfig: Path) -> None:
    assert kubectl(kubeconfig, "create", "namespace", "lab-scale").strip() == "namespace/lab-scale created"
    assert "job.batch/stress-load created" in kubectl(kubeconfig, "apply", "-f", str(TUTORIAL / "stress-load-job.yaml"))
    kubectl(kubeconfig, "wait", "--for=condition=complete", "job/stress-load", "-n", "lab-scale", "--timeout=120s")
    placed = kubectl(kubeconfig, "get", "pods", "-n", "lab-scale", "-o", "wide").splitlines()
    assert len(placed) == 5 and all("Completed" in row for row in placed[1:])
    kubectl(kubeconfig, "logs", "job/stress-load", "-n", "lab-scale")  # kubectl picks one of the Job's pods
    events = kubectl(kubeconfig, "get", "events", "-A", "--sort-by=.metadata.creationTimestamp").splitlines()
    assert events[0].split()[:4] == ["NAMESPACE", "LAST", "SEEN", "TYPE"]
    assert any("stress-load" in row and "Completed" in row for row in events)
    assert "<invalid>" not in "\n".join(events)


def test_operations_commands_describe_and_list_what_the_cluster_holds(kubeconfig: Path) -> None:
    described = kubectl(kubeconfig, "describe", "storageclass", "local-path")
    assert "Provisioner:           rancher.io/local-path" in described
    node = kubectl(kubeconfig, "describe", "node", "sugarkube0")
    assert "Lease:" in node and "Failed to get lease" not in node
    listed = kubectl(kubeconfig, "get", "all", "-A")
    assert "service/kubernetes" in listed and "deployment.apps/coredns" in listed
    assert kubectl(kubeconfig, "get", "sc").splitlines()[0].split()[:3] == ["NAME", "PROVISIONER", "RECLAIMPOLICY"]
    budgets = kubectl(kubeconfig, "get", "pdb", "-A")  # none yet: kubectl says so on stderr
    assert budgets == "" or budgets.split()[:3] == ["NAMESPACE", "NAME", "MIN"]
