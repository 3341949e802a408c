"""The one place that picks SSH or simulated machines for a lab (nothing is dialled: hosts connect lazily)."""

from __future__ import annotations

from kubernetes.client import Configuration

from sugarlab.hosts import SSHHost
from sugarlab.hosts.factory import nas_switch, open_controller, open_host, open_new_workers, power_switch
from sugarlab.hosts.sim import SimulatedHost
from sugarlab.lab.params import validate_parameters

SIM_API = Configuration(host="https://127.0.0.1:9")  # never contacted by these tests


def test_a_live_lab_reaches_its_machines_over_ssh_with_its_settings() -> None:
    params = validate_parameters(
        {
            "backend": "live",
            "ssh_user": "pi",
            "ssh_key": "~/.ssh/lab",
            "host_key_policy": "strict",
            "controller_host": "sugarkube0.lan",
            "join_workers": ["worker-a", "worker-b"],
            "worker_addresses": {"worker-a": "192.168.42.21"},
        }
    )
    controller = open_controller(params, SIM_API)
    assert isinstance(controller, SSHHost) and (controller.host, controller.name) == ("sugarkube0.lan", "controller")
    workers = open_new_workers(params, SIM_API)
    assert {name: host.host for name, host in workers.items() if isinstance(host, SSHHost)} == {
        "worker-a": "192.168.42.21",
        "worker-b": "worker-b.sugarkube.lan",
    }
    node = open_host(params, SIM_API, "sugarkube3", "192.168.42.23")
    assert isinstance(node, SSHHost) and node.user == "pi" and node.key_filename is not None
    assert node.key_filename.name == "lab"
    assert power_switch(params, SIM_API) is None  # real Pis are unplugged by hand
    assert nas_switch(params, SIM_API) is None  # and so is a real NAS


def test_a_simulated_lab_reaches_the_simulators_machines_by_name() -> None:
    params = validate_parameters({"backend": "sim"})
    node = open_host(params, SIM_API, "sugarkube1", "192.168.42.11")
    assert isinstance(node, SimulatedHost) and node.name == "sugarkube1"
    assert open_controller(params, SIM_API).name == "sugarkube0"
    assert callable(power_switch(params, SIM_API)) and callable(nas_switch(params, SIM_API))
