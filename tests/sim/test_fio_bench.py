"""fio on every node of the simulated cluster: one pinned Job per node, each report read back."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sugarlab import ParameterError
from sugarlab.lab.session import Lab
from sugarlab.steps.operations import fio_bench


def run(lab: Lab) -> tuple[pd.DataFrame, str]:
    nodes = fio_bench.target_nodes(lab)
    fio_bench.set_simulated_media(lab, nodes)
    fio_bench.launch(lab, [fio_bench.job_manifest(lab.params, n) for n in nodes])
    outcome = fio_bench.wait(lab, [n["metadata"]["name"] for n in nodes], progress=False)
    results, raw = fio_bench.collect(lab, outcome)
    fio_bench.save(lab, results, raw)
    return results, raw


def pods_by_node(lab: Lab) -> dict[str, str]:
    pods = lab.cluster.core.list_namespaced_pod(fio_bench.NAMESPACE, label_selector=f"app={fio_bench.APP}").items
    return {p.metadata.labels["sugarlab.io/node"]: p.spec.node_name for p in pods}


def test_every_node_is_measured_on_itself_from_the_modelled_media(
    open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUGARLAB_FIO", "")  # never run fio for real: the media are modelled
    lab = open_sim_lab(sim_workers=2, fio_sim_media={"sugarkube2": "nfs"})
    results, raw = run(lab)
    assert pods_by_node(lab) == {"sugarkube0": "sugarkube0", "sugarkube1": "sugarkube1", "sugarkube2": "sugarkube2"}
    assert list(results["node"]) == ["sugarkube0", "sugarkube1", "sugarkube2"]
    assert set(results["provenance"]) == {"simulated"} and results["error"].tolist() == [0, 0, 0]
    assert list(results["medium"]) == ["NVMe SSD on PCIe 2.0 x1 (Pi 5)", "microSD card (A1/A2)", "NFS over 1 GbE"]
    iops = dict(zip(results["node"], results["read_iops"], strict=True))
    assert iops["sugarkube1"] < iops["sugarkube2"] < iops["sugarkube0"]
    assert (results["runtime_ms"] == 60_000).all() and (results["ioengine"] == "libaio").all()
    assert "caption" not in fio_bench.summary(results).attrs  # modelled as planned: nothing to explain
    assert raw.count("==> sugarkube") == 3 and '"fio version": "fio-3.33"' in raw
    written = pd.read_csv(lab.workspace.path(fio_bench.RESULTS))
    assert list(written["node"]) == list(results["node"]) and "read_clat_p99_9_us" in written
    jobs = list(yaml.safe_load_all(lab.workspace.read_text(fio_bench.MANIFESTS)))
    assert {t["key"] for t in jobs[1]["spec"]["template"]["spec"]["tolerations"]} == {"sugarkube.io/role"}
    assert fio_bench.delete(lab, wait=True) == 3
    assert pods_by_node(lab) == {}


def test_a_job_that_fails_gives_a_row_with_its_diagnosis_and_the_others_still_count(
    open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUGARLAB_FIO", "")
    lab = open_sim_lab(fio_size="1G")
    nodes = fio_bench.target_nodes(lab)
    good = fio_bench.job_manifest(lab.params, nodes[0])
    bad = fio_bench.job_manifest(lab.params, nodes[0])
    bad["metadata"]["name"] = fio_bench.job_name("elsewhere")
    bad["spec"]["template"]["spec"]["containers"][0]["command"] += ["--rw=randwrite"]
    fio_bench.launch(lab, [good, bad])
    outcome = fio_bench.wait(lab, ["sugarkube0", "elsewhere"], progress=False)
    assert outcome == {"sugarkube0": "Complete", "elsewhere": "Failed"}
    results, raw = fio_bench.collect(lab, outcome)
    failed = results.set_index("node").loc["elsewhere"]
    assert "Job Failed" in failed["diagnosis"] and pd.isna(failed["read_iops"])
    assert results.set_index("node").loc["sugarkube0", "read_iops"] > 0
    assert "models 4k random reads only" in raw


def test_a_node_that_does_not_exist_is_named(shared_lab: Callable[..., Lab]) -> None:
    lab = shared_lab(fio_nodes=["sugarkube0", "pi-9"])
    with pytest.raises(ParameterError, match="no node called pi-9; the cluster's nodes are sugarkube0"):
        fio_bench.target_nodes(lab)


@pytest.mark.skipif(not shutil.which("fio"), reason="fio is not installed (make system-packages installs it)")
def test_installed_fio_runs_for_real_and_is_labelled_local(
    open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUGARLAB_FIO", raising=False)
    lab = open_sim_lab(fio_volume="hostPath")
    results, raw = run(lab)
    row = results.iloc[0]
    assert (row.node, row.provenance, row.error, row.ioengine, row.iodepth) == ("sugarkube0", "local", 0, "libaio", 32)
    # Cut from 60 s to 3 s; fio's own runtime overshoots on a loaded machine (3.7 s seen on two busy cores),
    # so the bound tells the cut run from the 60 s one without timing the machine.
    assert row.read_iops > 100 and row.runtime_ms < 30_000
    assert '"cut_from": {' in raw and "not a Raspberry Pi figure" in raw
    assert row.shortened == "--runtime=60 --size=1G cut to --runtime=3 --size=16M"
    caption = fio_bench.summary(results).attrs["caption"]  # said under notebook 06's table
    assert row.shortened in caption and "runtime_s is the capped run's" in caption
    assert not list((lab.workspace.root / ".sugarlab" / "sim" / "fio").glob("*/data"))  # test file removed


def test_a_fio_binary_that_cannot_run_fails_the_job_with_the_reason(
    open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUGARLAB_FIO", str(tmp_path / "no-fio-here"))
    lab = open_sim_lab()
    results, raw = run(lab)
    assert results["diagnosis"].iloc[0].startswith("Job Failed") and "no-fio-here: No such file or directory" in raw
