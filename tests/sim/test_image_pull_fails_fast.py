"""A pod the lab waits for that cannot pull its image ends the wait at once, naming the image, the node,
the kubelet's message and the parameter to change (the simulator refuses unknown images as containerd does)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sugarlab.lab.errors import ImagePullFailed
from sugarlab.lab.session import Lab
from sugarlab.steps import workload
from sugarlab.steps.operations import fio_bench

MISSPELLED = "docker.io/library/pyhton:3.11-slim"
HOUR = 3600.0  # cluster seconds: a wait this long that ends with ImagePullFailed ended on the failure, not the clock


def test_a_misspelled_stress_image_ends_the_stress_wait_naming_image_node_and_parameter(
    shared_lab: Callable[..., Lab],
) -> None:
    lab = shared_lab(stress_image=MISSPELLED, stress_timeout=HOUR)
    workload.launch(lab, workload.job_manifest(lab.params))
    with pytest.raises(ImagePullFailed) as failed:
        workload.observe(lab, progress=False)
    error = failed.value
    assert error.image == MISSPELLED and error.parameter == "stress_image"
    assert error.pod.startswith(f"{workload.NAMESPACE}/{workload.JOB}-") and error.node
    assert error.reason in ("ErrImagePull", "ImagePullBackOff")
    assert "pull access denied" in error.message
    text = str(error)
    assert MISSPELLED in text and "`stress_image`" in text and error.node in text


def test_an_unpullable_fio_image_ends_the_fio_wait(shared_lab: Callable[..., Lab]) -> None:
    lab = shared_lab(fio_image="ghcr.io/cloud-bulldozer/fio:9.99", fio_timeout=HOUR)
    nodes = fio_bench.target_nodes(lab)
    fio_bench.launch(lab, [fio_bench.job_manifest(lab.params, n) for n in nodes])
    with pytest.raises(ImagePullFailed, match=r"fio:9\.99.*change the parameter `fio_image`"):
        fio_bench.wait(lab, [n["metadata"]["name"] for n in nodes], progress=False)
    fio_bench.delete(lab, wait=True)


def test_an_invalid_image_name_is_refused_as_the_kubelet_refuses_it(shared_lab: Callable[..., Lab]) -> None:
    lab = shared_lab(stress_image="Docker.io/Stress:latest", stress_timeout=HOUR)
    workload.launch(lab, workload.job_manifest(lab.params))
    with pytest.raises(ImagePullFailed) as failed:
        workload.observe(lab, progress=False)
    assert failed.value.reason == "InvalidImageName" and "`stress_image`" in str(failed.value)
