"""Image pulls as the kubelet and containerd of k3s report them: a pull per node, then "already present";
a reference the registries do not hold fails with containerd's error, `ErrImagePull`, then `ImagePullBackOff`.

Driven with the real kubectl against a simulator started from the command line."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sim.simcluster import apply, kubectl, kubectl_out, needs_kubectl, start, wait_for

pytestmark = needs_kubectl

NODE = "sugarkube0"  # the server, which the workers' taint leaves the only node for plain pods


def pod(name: str, image: str, **container: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": NODE,
            "containers": [{"name": name, "image": image, "command": ["sleep", "3600"], **container}],
        },
    }


@pytest.fixture(scope="module")
def real_time(tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]) -> Iterator[Path]:
    """A simulator on real time, as `sugarlab sim start` starts one by hand: the kubelet's own waits are seen."""
    workspace = tmp_path_factory.mktemp("image-pulls-real-time")
    try:
        yield start(workspace, "-p", "speed", "1")
    finally:
        stop_later(workspace)


def waiting(kubeconfig: Path, name: str) -> dict[str, Any]:
    status = json.loads(kubectl_out(kubeconfig, "get", "pod", name, "-o", "json"))["status"]
    state: dict[str, Any] = (status.get("containerStatuses") or [{}])[0].get("state", {}).get("waiting") or {}
    return state


def events(kubeconfig: Path, name: str) -> list[tuple[str, str]]:
    listed = json.loads(
        kubectl_out(kubeconfig, "get", "events", "--field-selector", f"involvedObject.name={name}", "-o", "json")
    )
    return [(e["reason"], e["message"]) for e in listed["items"]]


def test_a_misspelled_image_fails_to_pull_then_backs_off(real_time: Path) -> None:
    kubeconfig = real_time
    began = time.monotonic()
    ran = kubectl(kubeconfig, "run", "typo", "--image=docker.io/library/pyhton:3.11-slim", "--", "sleep", "100")
    assert ran.returncode == 0, ran.stderr
    error = (
        'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/pyhton:3.11-slim": '
        'failed to resolve reference "docker.io/library/pyhton:3.11-slim": pull access denied, repository does '
        "not exist or may require authorization: server message: insufficient_scope: authorization failed"
    )
    seen: set[str] = set()
    while time.monotonic() - began < 30 and seen != {"ErrImagePull", "ImagePullBackOff"}:
        seen.add(waiting(kubeconfig, "typo").get("reason", ""))
        seen.discard("")
        seen.discard("ContainerCreating")
        time.sleep(0.2)
    assert seen == {"ErrImagePull", "ImagePullBackOff"}, seen
    backing_off = wait_for("ImagePullBackOff", lambda: waiting(kubeconfig, "typo").get("reason") == "ImagePullBackOff")
    assert backing_off
    assert waiting(kubeconfig, "typo")["message"] == (
        f'Back-off pulling image "docker.io/library/pyhton:3.11-slim": ErrImagePull: {error}'
    )
    described = kubectl_out(kubeconfig, "describe", "pod", "typo")
    assert f'Failed to pull image "docker.io/library/pyhton:3.11-slim": {error}' in described
    assert "Error: ErrImagePull" in described and "Error: ImagePullBackOff" in described
    assert 'Back-off pulling image "docker.io/library/pyhton:3.11-slim"' in described
    assert "already present" not in described and "Started" not in described
    listed = kubectl_out(kubeconfig, "get", "pod", "typo", "-o", "jsonpath={.status.phase}")
    assert listed == "Pending"


def test_a_missing_tag_and_a_build_for_another_architecture_fail_as_containerd_says(kubeconfig: Path) -> None:
    apply(kubeconfig, pod("notag", "busybox:1.99"))
    apply(kubeconfig, pod("amd64only", "polinux/stress:1.0.4"))
    failed = {
        "notag": 'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/busybox:1.99": '
        'failed to resolve reference "docker.io/library/busybox:1.99": docker.io/library/busybox:1.99: not found',
        "amd64only": "rpc error: code = NotFound desc = failed to pull and unpack image "
        '"docker.io/polinux/stress:1.0.4": no match for platform in manifest: not found',
    }
    for name, error in failed.items():
        wait_for(f"{name} to back off", lambda n=name: waiting(kubeconfig, n).get("reason") == "ImagePullBackOff")
        image = "busybox:1.99" if name == "notag" else "polinux/stress:1.0.4"
        assert ("Failed", f'Failed to pull image "{image}": {error}') in events(kubeconfig, name)


def test_a_catalogued_image_is_pulled_once_per_node_then_already_present(kubeconfig: Path) -> None:
    apply(kubeconfig, pod("first", "docker.io/library/alpine:3.21"))
    assert kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/first", "--timeout=60s").returncode == 0
    apply(kubeconfig, pod("second", "alpine:3.21"))
    assert kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/second", "--timeout=60s").returncode == 0
    pulled = [m for r, m in events(kubeconfig, "first") if r == "Pulled"]
    assert len(pulled) == 1
    assert pulled[0].startswith('Successfully pulled image "docker.io/library/alpine:3.21" in ')
    assert pulled[0].endswith("including waiting). Image size: 4000000 bytes.")
    assert [m for r, m in events(kubeconfig, "second") if r in ("Pulling", "Pulled")] == [
        'Container image "alpine:3.21" already present on machine'
    ]
    node = json.loads(kubectl_out(kubeconfig, "get", "node", NODE, "-o", "json"))
    names = [n for image in node["status"]["images"] for n in image["names"]]
    assert "docker.io/library/alpine:3.21" in names
    assert "docker.io/rancher/mirrored-pause:3.6" in names  # k3s's own images are there from the start
    image_id = kubectl_out(kubeconfig, "get", "pod", "second", "-o", "jsonpath={.status.containerStatuses[0].imageID}")
    assert image_id.startswith("docker.io/library/alpine@sha256:") and image_id in names


def test_pods_queued_behind_a_pull_of_their_image_only_resolve_its_manifest(real_time: Path) -> None:
    kubeconfig = real_time
    names = ["queued-0", "queued-1", "queued-2"]
    apply(kubeconfig, {"apiVersion": "v1", "kind": "List", "items": [pod(name, "nginx:1.15.4") for name in names]})
    for name in names:
        assert kubectl(kubeconfig, "wait", "--for=condition=Ready", f"pod/{name}", "--timeout=60s").returncode == 0
    took = [
        m.split(" in ", 1)[1].split(" ", 1)[0] for name in names for r, m in events(kubeconfig, name) if r == "Pulled"
    ]
    assert len(took) == 3 and took.count("600ms") == 2, took  # the registry's round trips only for two of them


def test_pull_policy_never_needs_the_image_on_the_node(kubeconfig: Path) -> None:
    apply(kubeconfig, pod("never", "nginx:1.27-alpine", imagePullPolicy="Never"))
    wait_for("ErrImageNeverPull", lambda: waiting(kubeconfig, "never").get("reason") == "ErrImageNeverPull")
    assert waiting(kubeconfig, "never")["message"] == (
        'Container image "nginx:1.27-alpine" is not present with pull policy of Never'
    )
