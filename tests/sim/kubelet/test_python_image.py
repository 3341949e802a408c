"""The python images' programs behave as the images' own: Debian 13's sh with `pipefail`, the image's pip in a
site-packages of the container's own, the simulated world's CA in its trust stores; driven with the real kubectl."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.sim.simcluster import apply, kubectl, needs_kubectl

pytestmark = [
    needs_kubectl,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (`make system-packages`)"),
]
HOST_SITE_PACKAGES = str(Path(sys.base_prefix).resolve() / "lib" / "python3.11" / "site-packages")


def _pod(name: str, image: str, script: str) -> dict[str, object]:
    container = {"name": name, "image": image, "command": ["/bin/sh", "-c", script]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}


@pytest.fixture(scope="module")
def slim(kubeconfig: Path) -> str:
    """The tutorial's image, its command starting as the tutorial's does."""
    apply(kubeconfig, _pod("slim", "python:3.11-slim", "set -euo pipefail\necho started\nsleep 3600"))
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/slim", "--timeout=120s")
    assert done.returncode == 0, done.stderr
    return "slim"


def _exec(kubeconfig: Path, pod: str, *command: str) -> tuple[int, str, str]:
    done = kubectl(kubeconfig, "exec", pod, "--", *command)
    return done.returncode, done.stdout, done.stderr


def test_the_sh_of_a_debian_13_image_has_pipefail(kubeconfig: Path, slim: str) -> None:
    assert kubectl(kubeconfig, "logs", slim).stdout == "started\n"
    assert _exec(kubeconfig, slim, "/bin/sh", "-c", "set -o pipefail; false | true")[0] == 1
    assert _exec(kubeconfig, slim, "/bin/sh", "-c", "set -o pipefail; true | true; echo ok")[:2] == (0, "ok\n")


def test_the_image_ships_pip_as_ensurepip_bundles_it(kubeconfig: Path, slim: str) -> None:
    code, out, err = _exec(kubeconfig, slim, "python", "-m", "pip", "--version")
    assert code == 0, err
    assert out.startswith("pip 23.2.1 from ") and out.rstrip().endswith("(python 3.11)")
    code, out, err = _exec(kubeconfig, slim, "sh", "-c", "command -v pip; pip --version")
    assert (code, out.splitlines()[0]) == (0, "/usr/local/bin/pip"), err


def test_this_machines_site_packages_are_invisible_and_the_containers_own_are_writable(
    kubeconfig: Path, slim: str
) -> None:
    code, _, err = _exec(kubeconfig, slim, "python", "-c", "import yaml")
    assert code == 1 and "No module named 'yaml'" in err
    write = "import site; open(site.getsitepackages()[0] + '/mine.py', 'w').write('x = 1'); import mine; print(mine.x)"
    assert _exec(kubeconfig, slim, "python", "-c", write)[:2] == (0, "1\n")
    assert not Path(HOST_SITE_PACKAGES, "mine.py").exists()


def test_the_images_trust_stores_hold_the_simulated_worlds_ca(kubeconfig: Path, sim_workspace: Path, slim: str) -> None:
    ca = next(sim_workspace.rglob("internet/ca.pem")).read_text().strip()
    for store in ("/etc/ssl/certs/ca-certificates.crt", "/usr/lib/ssl/cert.pem"):
        code, out, err = _exec(kubeconfig, slim, "cat", store)
        assert code == 0 and ca in out, err
    vendored = "import pip._vendor.certifi as c; print(open(c.where()).read())"
    assert ca in _exec(kubeconfig, slim, "python", "-c", vendored)[1]
    assert _exec(kubeconfig, slim, "sh", "-c", "env | grep -c -i -e cert -e ssl")[1] == "0\n"


def test_a_bookworm_tag_keeps_debian_12s_dash_and_another_python_is_named(kubeconfig: Path) -> None:
    apply(kubeconfig, _pod("bookworm", "python:3.12-slim-bookworm", "set -euo pipefail; sleep 3600"))
    done = kubectl(kubeconfig, "wait", "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
                   "pod/bookworm", "--timeout=120s")  # fmt: skip
    assert done.returncode == 0, done.stderr
    logs = kubectl(kubeconfig, "logs", "bookworm", "--previous").stdout
    assert "/bin/sh: 1: set: Illegal option -o pipefail" in logs
    events = json.loads(kubectl(kubeconfig, "get", "events", "-o", "json").stdout)["items"]
    messages = [e["message"] for e in events if e["involvedObject"]["name"] == "bookworm"]
    assert any("ships Python 3.12; this machine's Python 3.11 stands in" in m for m in messages), messages
