"""The one place that picks the machines behind a lab: the simulator's machines, or SSH to real Pis.

Steps ask for a host by name and address; whether a command then goes over SSH or to a simulated
Pi is decided here, from the lab's `backend`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from kubernetes.client import Configuration

from sugarlab.hosts.base import Host
from sugarlab.hosts.sim import SimulatedHost, nas_power, power, provision
from sugarlab.hosts.ssh import SSHHost
from sugarlab.lab.params import LabParams

SIM_CONTROLLER = "sugarkube0"  # the simulated cluster's controller machine
CONTROLLER = "controller"  # the name a live controller's host goes by in logs and errors


def open_host(params: LabParams, api: Configuration, name: str, address: str) -> Host:
    """Machine `name` at `address` (SSH with the lab's user, key and host-key policy), or the simulated
    machine of that name on the simulator that `api` (the cluster's client configuration) reaches, where `address` is not needed."""
    if params.backend == "sim":
        return SimulatedHost(api, name)
    return SSHHost(
        address,
        user=params.ssh_user,
        name=name,
        key_filename=params.ssh_key or None,
        host_key_policy=params.host_key_policy,
        known_hosts=params.known_hosts or None,
    )


def power_switch(params: LabParams, api: Configuration) -> Callable[[str, bool], None] | None:
    """Switch a machine's power by name, or None where the lab cannot (real Pis are unplugged by hand)."""
    if params.backend == "sim":
        return partial(power, api)
    return None


def nas_switch(params: LabParams, api: Configuration) -> Callable[[bool], dict[str, object]] | None:
    """Make the NAS stop answering or answer again, or None where the lab cannot (a real NAS is unplugged by hand)."""
    if params.backend == "sim":
        return partial(nas_power, api)
    return None


def open_controller(params: LabParams, api: Configuration) -> Host:
    if params.backend == "sim":
        return SimulatedHost(api, SIM_CONTROLLER)
    return open_host(params, api, CONTROLLER, params.controller_host)


def open_new_workers(params: LabParams, api: Configuration, names: Sequence[str] | None = None) -> dict[str, Host]:
    """The machines to join, by name (`names`, default all of `join_workers`). Simulated ones are imaged and
    booted first (the tutorial's steps 2.1-2.2, done by hand on real Pis); real ones are reached at
    `worker_addresses` or `<name>.sugarkube.lan`."""
    names = params.join_workers if names is None else names
    if params.backend == "sim":
        for name in names:
            provision(api, name, params.join_profile, params.sim_faults.get(name, ""))
    return {
        name: open_host(params, api, name, params.worker_addresses.get(name, f"{name}.sugarkube.lan")) for name in names
    }
