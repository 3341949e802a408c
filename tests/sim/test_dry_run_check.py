"""A plan's manifests are checked by the cluster: refusals are the server's, and nothing is stored."""

from __future__ import annotations

from sugarlab.kube.dry_run import check
from sugarlab.lab.cluster import Cluster

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "not-yet"},
    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
}


def test_a_manifest_in_a_namespace_to_come_is_checked_in_default_and_not_stored(sim: Cluster) -> None:
    checked = check(sim, POD)
    assert checked.ok and checked.action == "creates" and "checked in namespace default" in checked.note
    assert "p" not in {p.metadata.name for p in sim.core.list_namespaced_pod("default").items}
    assert checked.describe().startswith("creates Pod not-yet/p: accepted by a server-side dry run")


def test_the_servers_refusal_is_the_plans(sim: Cluster) -> None:
    bad = {**POD, "metadata": {"name": "Not_A_Name", "namespace": "default"}}
    checked = check(sim, bad)
    assert not checked.ok and checked.problem.startswith("422 ") and "REFUSED" in checked.describe()
