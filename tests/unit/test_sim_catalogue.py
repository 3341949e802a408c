"""The simulator's catalogues (`sugarlab/sim/world/catalogue/*.yaml`): each loads to the values the Python
code held before the data moved to YAML (fixtures in tests/data/catalogue/, dumped from that code), and a
malformed file fails at load, naming the file and the field."""

from __future__ import annotations

import json
import random
import tomllib
from dataclasses import asdict
from datetime import datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from sugarlab.sim.world import images, k3s_addons, nginx_image, profiles, seed
from sugarlab.sim.world.catalogues import CATALOGUE, CatalogueError, Schema, read
from sugarlab.sim.world.spec import ClusterSpec

FIXTURES = Path(__file__).parent.parent / "data" / "catalogue"
ROOT = Path(__file__).parent.parent.parent


def expected(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def as_json(value: object) -> Any:
    """`value` as the fixtures hold it: tuples as lists, key order aside."""
    return json.loads(json.dumps(value))


def test_profiles() -> None:
    want = expected("profiles.json")
    got = {
        name: asdict(p)
        | {"allocatable_memory_ki": p.allocatable_memory_ki, "allocatable_storage_ki": p.allocatable_storage_ki}
        for name, p in profiles.NODE_PROFILES.items()
    }
    assert got == want["NODE_PROFILES"]
    assert list(profiles.NODE_PROFILES) == want["NODE_PROFILES_ORDER"]
    for name in (
        "KI",
        "GIB_IN_KI",
        "K3S_SERVER_CPU_PI4",
        "K3S_SERVER_MEMORY_KI",
        "K3S_AGENT_CPU_PI4",
        "K3S_AGENT_MEMORY_KI",
    ):
        assert getattr(profiles, name) == want[name], name


def test_nginx_image() -> None:
    want = expected("nginx_image.json")
    assert isinstance(nginx_image.COMMAND, tuple)
    assert isinstance(nginx_image.NGINX.writable, tuple) and isinstance(nginx_image.NGINX.capabilities, tuple)
    assert as_json(asdict(nginx_image.NGINX)) == want.pop("NGINX")
    for name, value in want.items():
        assert as_json(getattr(nginx_image, name)) == value, name


def test_images() -> None:
    want = expected("images.json")
    for name in ("BUSYBOX_APPLETS", "DEBIAN_PROGRAMS", "PYTHON_PROGRAMS"):
        assert isinstance(getattr(images, name), tuple)
    for name in (
        "BUSYBOX_APPLETS",
        "DEBIAN_PROGRAMS",
        "PYTHON_PROGRAMS",
        "DEFAULT_PATH",
        "HOST_PATH",
        "SYSTEM_ENTRYPOINTS",
    ):
        assert as_json(getattr(images, name)) == want[name], name
    assert as_json({name: asdict(image) for name, image in images.CATALOGUE.items()}) == want["CATALOGUE"]
    assert list(images.CATALOGUE) == want["CATALOGUE_ORDER"]
    assert images.CATALOGUE["nginx"].content is nginx_image.NGINX
    assert as_json({image: asdict(images.lookup(image)) for image in want["lookup"]}) == want["lookup"]


def test_k3s_addons() -> None:
    want = expected("k3s_addons.json")
    assert k3s_addons.DNS_IP == want["DNS_IP"]
    assert k3s_addons.CONTAINER_PORTS == want["CONTAINER_PORTS"]
    names = ("coredns", "metrics-server", "traefik", "other")
    assert [k3s_addons.with_ports({"name": n, "image": "x"}) for n in names] == want["with_ports"]
    uids = count()
    for metrics_server in (True, False):
        services = k3s_addons.addon_services(
            metrics_server, ["192.168.1.20", "192.168.1.21"], random.Random(11), lambda: {"uid": f"uid-{next(uids)}"}
        )
        assert services == want["addon_services"][str(metrics_server)]


def test_seed_constants() -> None:
    want = expected("seed.json")
    assert isinstance(seed.RELEASES, tuple) and all(isinstance(r, tuple) for r in seed.RELEASES)
    assert isinstance(seed.HOME_SUBNETS, tuple) and isinstance(seed.HEALTHY_CONDITIONS, tuple)
    for name in (
        "RELEASES",
        "OS_IMAGE",
        "HOME_SUBNETS",
        "PROFILE_ANNOTATION",
        "WORKER_TAINT",
        "IMAGES",
        "NFS_SUBDIR_PROVISIONER",
        "CONTROL_PLANE_TOLERATIONS",
        "HEALTHY_CONDITIONS",
    ):
        assert as_json(getattr(seed, name)) == want[name], name


@pytest.mark.parametrize("index", range(3))
def test_seeded_cluster(index: int) -> None:
    want = expected("seed.json")
    case = want["clusters"][index]
    cluster = seed.seed_cluster(ClusterSpec(**case["spec"]), datetime.fromisoformat(want["start"]))
    assert cluster.version == case["version"]
    assert as_json(cluster.objects) == case["objects"]


def malformed(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of catalogue `name` with `old` (which must be in it once) replaced by `new`."""
    text = CATALOGUE.joinpath(name).read_text()
    assert text.count(old) == 1, old
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    ("name", "schema", "old", "new", "field", "problem"),
    [
        (
            "profiles.yaml",
            profiles.Profiles,
            "    cpu_cores: 4\n    cpu_speed: 2.5",
            "    cpu_speed: 2.5",
            "boards.1.cpu_cores",
            "Field required",
        ),
        (
            "profiles.yaml",
            profiles.Profiles,
            "root_fs_ki: 30358496",
            "root_fs_ki: 30 GB",
            "boards.0.root_fs_ki",
            "valid integer",
        ),
        (
            "profiles.yaml",
            profiles.Profiles,
            "  agent_memory_mb: 268",
            "  agent_memory_mb: 268\n  agent_memroy_mb: 1",
            "k3s.agent_memroy_mb",
            "Extra inputs are not permitted",
        ),
        (
            "images.yaml",
            images.Images,
            "{set: busybox}, apk, stress",
            "{set: busybx}, apk, stress",
            "images.alpine/stress.programs.0",
            "set",
        ),
        ("images.yaml", images.Images, "ping,", "yes,", "program_sets.busybox.33", "valid string"),
        ("nginx.yaml", nginx_image.ImageContents, "links:", "link:", "link", "Extra inputs are not permitted"),
        (
            "k3s_addons.yaml",
            k3s_addons.Addons,
            "containerPort: 10250",
            "containerPort: https",
            "container_ports.metrics-server.0.containerPort",
            "valid integer",
        ),
        (
            "seed.yaml",
            seed.Seed,
            "{name: traefik, image: traefik}",
            "{name: traefik, image: traefic}",
            "containers.traefik",
            "'traefic' is not in images",
        ),
        ("seed.yaml", seed.Seed, "  nfs_subdir:  #", "  nfs_subdirs:  #", "containers.nfs_subdir", "Field required"),
    ],
)
def test_malformed_file_names_file_and_field(
    tmp_path: Path, name: str, schema: type[Schema], old: str, new: str, field: str, problem: str
) -> None:
    path = malformed(tmp_path, name, old, new)
    with pytest.raises(CatalogueError) as raised:
        read(path, schema)
    message = str(raised.value)
    assert str(path) in message
    assert field in message and problem in message, message


def test_file_that_is_not_yaml_names_the_file(tmp_path: Path) -> None:
    path = malformed(tmp_path, "seed.yaml", "os_image: Debian", "os_image: [Debian")
    with pytest.raises(CatalogueError, match=f"{path}: not valid YAML"):
        read(path, seed.Seed)


def test_every_catalogue_file_is_package_data() -> None:
    """A non-editable install carries the files: pyproject's package-data names them."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["sugarlab"]
    package = ROOT / "sugarlab"
    listed = {p for pattern in patterns for p in package.glob(pattern)}
    files = set((package / "sim" / "world" / "catalogue").iterdir())
    assert files and files <= listed
