"""Parameters are checked in one place, before anything touches a cluster or the workspace."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import papermill
import pytest
import yaml

from sugarlab import ClusterUnreachable, ParameterError, open_lab
from sugarlab.lab.params import (
    EVERY_NOTEBOOK,
    PER_NOTEBOOK,
    SECTIONS,
    LabParams,
    declared_by,
    owner,
    validate_parameters,
)

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _kubeconfig(tmp_path: Path, server: str, contexts: tuple[str, ...] = ("home",)) -> Path:
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": contexts[0],
                "clusters": [{"name": "k3s", "cluster": {"server": server}}],
                "users": [{"name": "admin", "user": {}}],
                "contexts": [{"name": c, "context": {"cluster": "k3s", "user": "admin"}} for c in contexts],
            }
        )
    )
    return path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_values_are_coerced_the_way_papermill_sends_them() -> None:
    params = validate_parameters({"seed": "007", "context": 1, "speed": 30, "retake_baseline": "false"})
    assert (params.seed, params.context, params.speed, params.retake_baseline) == (7, "1", 30.0, False)
    # a list parameter given as text, as Papermill's -p passes it: its comma-separated items
    bare = validate_parameters({"sim_addons": "csi-driver-nfs", "failures": "delete-pod, drain-node"})
    assert (bare.metrics_server, bare.sim_nfs_provisioner, bare.failures) == (
        False,
        "csi-driver-nfs",
        ["delete-pod", "drain-node"],
    )
    nas = validate_parameters({"nfs_export": "nas.local:/srv/nfs"})
    assert (nas.nfs_server, nas.nfs_path, nas.nfs_mount_options) == ("nas.local", "/srv/nfs", ["vers=4.1"])


@pytest.mark.parametrize(
    ("values", "name", "allowed"),
    [
        ({"backend": "k8s"}, "backend", "'sim' or 'live'"),
        ({"sim_workers": -1}, "sim_workers", "greater than or equal to 0"),
        ({"speed": 0}, "speed", "greater than 0"),
        ({"controller_profile": "pi3"}, "controller_profile", "pi4-2gb"),
        ({"workers": 2}, "workers", "not a lab parameter"),
        ({"nfs_export": "192.168.42.50"}, "nfs_export", "server:/path"),
        ({"sim_addons": "metrics-server,traefik"}, "sim_addons", "metrics-server, csi-driver-nfs, nfs-subdir"),
        ({"sim_addons": ["csi-driver-nfs", "nfs-subdir"]}, "sim_addons", "one NFS provisioner"),
        ({"nfs_mount_options": ["vers=4.1,hard"]}, "nfs_mount_options", "one per item"),
    ],
)
def test_bad_values_name_the_parameter_the_value_and_what_is_allowed(
    values: dict[str, Any], name: str, allowed: str
) -> None:
    with pytest.raises(ParameterError) as err:
        validate_parameters(values)
    assert err.value.name == name and allowed in str(err.value)
    assert repr(next(iter(values.values()))) in str(err.value)


def test_missing_kubeconfig_is_named_before_any_work(tmp_path: Path) -> None:
    workspace = tmp_path / "lab"
    with pytest.raises(ParameterError, match=r"'kubeconfig' = '.*nope\.yaml' is not allowed: no such file"):
        open_lab("01-baseline", backend="live", kubeconfig=str(tmp_path / "nope.yaml"), workspace=str(workspace))
    assert not workspace.exists()


def test_unknown_context_lists_the_contexts_there_are(tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(tmp_path, "https://127.0.0.1:6443", ("home", "office"))
    with pytest.raises(ParameterError, match=r"contexts in .*: home, office"):
        open_lab(
            "01-baseline", backend="live", kubeconfig=str(kubeconfig), context="lab", workspace=str(tmp_path / "w")
        )
    assert not (tmp_path / "w").exists()


def test_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    server = f"http://127.0.0.1:{_closed_port()}"
    kubeconfig = _kubeconfig(tmp_path, server)
    with pytest.raises(ClusterUnreachable, match=f"no Kubernetes API server answered at {server}"):
        open_lab("01-baseline", backend="live", kubeconfig=str(kubeconfig), workspace=str(tmp_path / "w"))
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_declares_known_parameters_with_help(notebook: Path) -> None:
    declared = papermill.inspect_notebook(str(notebook))
    assert declared, f"{notebook.name} has no cell tagged 'parameters'"
    fields = LabParams.model_fields
    for name, spec in declared.items():
        assert name in fields, f"{notebook.name}: {name} is not a lab parameter"
        assert spec["help"], f"{notebook.name}: {name} has no help comment"
        assert validate_parameters({name: eval(spec["default"])}) == validate_parameters({}), (
            f"{notebook.name}: the default of {name} differs from LabParams"
        )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_declares_its_own_section_and_nothing_else(notebook: Path) -> None:
    """Papermill lists (and so `-p` can set) each parameter a notebook owns, and no other section's."""
    assert list(papermill.inspect_notebook(str(notebook))) == list(declared_by(notebook.stem))


def test_every_parameter_belongs_to_one_notebook_or_to_all() -> None:
    owned = [name for names in SECTIONS.values() for name in names if name not in PER_NOTEBOOK]
    assert len(owned) == len(set(owned))
    assert [nb for nb, names in SECTIONS.items() if "apply" in names] == [
        "02-expansion",
        "03-workload",
        "04-storage",
        "05-edge-ai",
        "06-operations",
    ]
    assert sorted([*owned, *PER_NOTEBOOK, *EVERY_NOTEBOOK]) == sorted(LabParams.model_fields)
    assert {owner(name) for name in ("seed", "worker_taint", "storage_class")} == {
        "01-baseline",
        "02-expansion",
        "04-storage",
    }
    assert all(LabParams.model_fields[name].description for name in LabParams.model_fields)
