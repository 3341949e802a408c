"""The machines behind the simulated nodes, and the few commands the lab runs on them.

A machine answers the commands the expansion notebook needs (hostname, architecture, clock, port
6443, leftover k3s state, `k3s token create`, the k3s install script, `systemctl`, `journalctl`)
the way Raspberry Pi OS and k3s answer them, and those of the SSH hardening audit (`sshd -T`,
`ssh-keygen -lf`, see `sugarlab.sim.world.sshd`); anything else exits 127 and says it is not simulated.
A join credential is never kept: machines hold only its SHA-256, and files only their digest.

Faults a machine can be given, to rehearse the tutorial's NotReady advice:
- `clock-skew`: its clock is days behind and NTP is off, so the agent's TLS handshake fails and the
  node never registers;
- `flannel-blocked`: VXLAN (8472/UDP) is dropped, so the node registers but stays NotReady;
- `firewall-6443`: the controller's port 6443 is unreachable from it;
- `leftover-agent`: an earlier k3s agent left /var/lib/rancher/k3s/agent behind.
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
import shlex
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world import sshd
from sugarlab.sim.world.profiles import NODE_PROFILES
from sugarlab.sim.world.seed import HEALTHY_CONDITIONS, node_object
from sugarlab.sim.world.spec import FAULTS

CONTROLLER_NAMES = ("sugarkube0", "controller", "controller.sugarkube.lan")
INSTALL_SECONDS = (25.0, 50.0)  # get.k3s.io fetching and starting a ~70 MB binary on a Pi
REGISTER_SECONDS = (6.0, 12.0)  # agent start to Node object
READY_SECONDS = (8.0, 20.0)  # Node registered to Ready (flannel up)
SKEW = timedelta(days=3, hours=4)
TOKEN_TTL = timedelta(hours=24)  # `k3s token create` default --ttl
KILLALL = "/usr/local/bin/k3s-killall.sh"  # where the k3s install script puts it


@dataclass
class Machine:
    name: str
    profile: str
    ip: str
    fault: str = ""
    k3s: str = ""  # "", "server" or "agent"
    files: dict[str, Obj] = field(default_factory=dict)  # path -> {"sha256", "mode", "dir_mode"}
    join: Obj = field(default_factory=dict)  # requested, register_at, ready_at, taints, failed
    journal: list[str] = field(default_factory=list)
    powered: bool = True
    power_changed: str = ""  # cluster time of the last power-off or power-on


@dataclass(frozen=True)
class Answer:
    exit_status: int
    stdout: str = ""
    stderr: str = ""


class Machines:
    def __init__(self, store: Store, seed: int) -> None:
        self.store, self.seed = store, seed

    # -- state, kept in the store's metadata so it outlives the server process ------------------
    def all(self) -> dict[str, Machine]:
        return {name: Machine(**row) for name, row in self.store.meta("machines", {}).items()}

    def _save(self, machines: dict[str, Machine]) -> None:
        self.store.set_meta("machines", {name: asdict(m) for name, m in machines.items()})

    def seed_from_nodes(self) -> None:
        """Machines for the nodes a fresh cluster starts with."""
        machines = self.all()
        for node in self.store.view(self.store.kind("Node")):
            name = node["metadata"]["name"]
            if name not in machines:
                server = "node-role.kubernetes.io/control-plane" in node["metadata"].get("labels", {})
                machines[name] = Machine(
                    name,
                    node["metadata"]["annotations"]["sim.sugarlab.io/profile"],
                    node["status"]["addresses"][0]["address"],
                    k3s="server" if server else "agent",
                )
        self._save(machines)

    def provision(self, name: str, profile: str, fault: str) -> Machine:
        """A freshly imaged Pi on the network: the tutorial's steps 2.1 and 2.2."""
        if profile not in NODE_PROFILES or (fault and fault not in FAULTS):
            raise ValueError(f"profile must be one of {sorted(NODE_PROFILES)}; fault one of {FAULTS} or empty")
        machines = self.all()
        if name in machines:
            return machines[name]
        taken = {m.ip for m in machines.values()}
        subnet = next(iter(machines.values())).ip.rsplit(".", 1)[0]
        rng = random.Random(f"{self.seed}:{name}")
        ip = next(f"{subnet}.{n}" for n in rng.sample(range(20, 250), 230) if f"{subnet}.{n}" not in taken)
        machine = Machine(name, profile, ip, fault)
        if fault == "leftover-agent":
            machine.files["/var/lib/rancher/k3s/agent"] = {"sha256": "", "mode": 0o700, "dir_mode": None}
        machines[name] = machine
        self._save(machines)
        return machine

    def powered_off(self) -> set[str]:
        return powered_off(self.store)

    def power(self, name: str, on: bool) -> Machine:
        """Pull or restore a machine's power: its kubelet stops, or boots again (see `nodes`)."""
        machines = self.all()
        machine = machines[name]
        if machine.powered != on:
            machine.powered, machine.power_changed = on, self.store.clock.stamp()
            self._save(machines)
        return machine

    def write_file(self, name: str, path: str, data: bytes, mode: int, dir_mode: int | None) -> None:
        machines = self.all()
        machines[name].files[path] = {"sha256": hashlib.sha256(data).hexdigest(), "mode": mode, "dir_mode": dir_mode}
        self._save(machines)

    # -- commands -----------------------------------------------------------------------------
    def run(self, name: str, command: str) -> Answer:
        machines = self.all()
        machine = machines[name]
        words = shlex.split(command)
        if words[:3] == ["sudo", "-n", "--"]:
            words = words[3:]
        if words[:2] == ["sh", "-c"] and len(words) == 3:
            return self.run(name, words[2])
        if (audit := sshd.answer(self.seed, name, command)) is not None:
            return Answer(*audit)
        if words and words[0] == "sudo":
            words = words[1:]
        now = self.store.clock.now() - (SKEW if machine.fault == "clock-skew" else timedelta())
        if words == ["hostname"]:
            return Answer(0, f"{name}\n")
        if words == ["uname", "-m"]:
            return Answer(0, "aarch64\n")
        if words == ["date", "-u", "+%s"]:
            return Answer(0, f"{int(now.timestamp())}\n")
        if words[:2] == ["timedatectl", "show"]:
            return Answer(0, "no\n" if machine.fault == "clock-skew" else "yes\n")
        if words[:2] == ["test", "-e"] and len(words) == 3:
            return Answer(0 if words[2] in machine.files else 1)
        if port := re.fullmatch(r"timeout \d+ bash -c '</dev/tcp/(\S+)/(\d+)'", command.strip()):
            return self._probe(machine, port[1], int(port[2]))
        if words[:3] == ["k3s", "token", "create"] and machine.k3s == "server":
            return self._token()
        if "get.k3s.io" in command:
            return self._install(machines, machine, command)
        if machine.k3s == "agent" and (
            words in (["systemctl", "stop", "k3s-agent"], ["systemctl", "start", "k3s-agent"]) or words == [KILLALL]
        ):
            # The agent runs the node's kubelet: stopped, the node stops reporting as a machine without power
            # does. k3s leaves its containers running until k3s-killall.sh (docs.k3s.io/upgrades/killall);
            # the simulated machine stops them with the agent.
            self.power(name, words[1:2] == ["start"])
            return Answer(0)
        if words[:2] == ["systemctl", "is-active"] and len(words) == 3:
            unit = {"server": "k3s", "agent": "k3s-agent"}.get(machine.k3s, "")
            active = words[2] == unit and not machine.join.get("failed") and machine.powered
            return Answer(0 if active else 3, "active\n" if active else "inactive\n")
        if words[:1] == ["journalctl"]:
            return Answer(0, "".join(line + "\n" for line in machine.journal[-20:]) or "-- No entries --\n")
        return Answer(
            127, stderr=f"sh: 1: {words[0] if words else command}: not found (this command is not simulated)\n"
        )

    def _probe(self, machine: Machine, host: str, port: int) -> Answer:
        if port == 6443 and host.split(".")[0] in {n.split(".")[0] for n in CONTROLLER_NAMES} | {self._controller().ip}:
            if machine.fault == "firewall-6443":
                return Answer(124, stderr="")  # the connection attempt hangs until `timeout`
            return Answer(0)
        return Answer(
            1, stderr=f"bash: connect: Connection refused\nbash: line 1: /dev/tcp/{host}/{port}: Connection refused\n"
        )

    def _controller(self) -> Machine:
        return next(m for m in self.all().values() if m.k3s == "server")

    def _token(self) -> Answer:
        token = f"{secrets.token_hex(3)}.{secrets.token_hex(8)}"  # kubeadm-style bootstrap token
        valid = self.store.meta("join_tokens", {})
        valid[hashlib.sha256(token.encode()).hexdigest()] = format_time(self.store.clock.now() + TOKEN_TTL)
        self.store.set_meta("join_tokens", valid)
        return Answer(0, token + "\n")

    def _install(self, machines: dict[str, Machine], machine: Machine, command: str) -> Answer:
        env = dict(re.findall(r"\b(K3S_URL|K3S_TOKEN_FILE|INSTALL_K3S_EXEC)=('[^']*'|\"[^\"]*\"|\S+)", command))
        env = {k: v.strip("'\"") for k, v in env.items()}
        url, token_file = env.get("K3S_URL", ""), env.get("K3S_TOKEN_FILE", "")
        if not re.fullmatch(r"https://[\w.-]+:6443/?", url):
            return Answer(1, stderr=f"[ERROR]  Only https:// URLs are supported for K3S_URL (have {url or 'none'})\n")
        if token_file not in machine.files:
            return Answer(1, stderr=f"[ERROR]  K3S_TOKEN_FILE {token_file or '(unset)'} does not exist\n")
        now = self.store.clock.now()
        expiry = self.store.meta("join_tokens", {}).get(machine.files[token_file]["sha256"])
        rng = random.Random(f"{self.seed}:{machine.name}:install")
        installed = now + timedelta(seconds=rng.uniform(*INSTALL_SECONDS))
        taints = re.findall(r"--node-taint[= ](\S+)", env.get("INSTALL_K3S_EXEC", ""))
        machine.k3s = "agent"
        machine.join = {
            "requested": format_time(now),
            "taints": taints,
            "failed": False,
            "register_at": format_time(installed + timedelta(seconds=rng.uniform(*REGISTER_SECONDS))),
        }
        machine.journal = [f"Starting k3s agent {self.store.meta('version')}", f'Connecting to proxy url="{url}"']
        if expiry is None or parse_time(expiry) < now:
            machine.join["failed"] = True
            machine.journal.append('level=error msg="failed to get CA certs: token is not valid or has expired"')
        elif machine.fault == "clock-skew":
            machine.join["failed"] = True
            machine.journal.append(
                'level=error msg="failed to get CA certs: x509: certificate has expired or is '
                "not yet valid: current time is before the certificate's NotBefore\""
            )
        elif machine.fault == "firewall-6443":
            machine.join["failed"] = True
            machine.journal.append(
                f'level=error msg="failed to get CA certs: Get \\"{url}/cacerts\\": dial tcp: i/o timeout"'
            )
        self._save(machines)
        version = self.store.meta("version")
        out = (
            f"[INFO]  Finding release for channel stable\n[INFO]  Using {version} as release\n"
            f"[INFO]  Downloading binary https://github.com/k3s-io/k3s/releases/download/{version}/k3s-arm64\n"
            "[INFO]  Verifying binary download\n[INFO]  Installing k3s to /usr/local/bin/k3s\n"
            "[INFO]  systemd: Enabling k3s-agent unit\n[INFO]  systemd: Starting k3s-agent\n"
        )
        if machine.join["failed"]:
            return Answer(
                1,
                out,
                "Job for k3s-agent.service failed because the control process exited with error "
                'code.\nSee "systemctl status k3s-agent.service" and "journalctl -xeu '
                'k3s-agent.service" for details.\n',
            )
        return Answer(0, out)

    # -- the agent's side of joining, on the cluster's clock ---------------------------------
    def reconcile(self) -> None:
        machines = self.all()
        changed = False
        now = self.store.clock.now()
        for machine in machines.values():
            join = machine.join
            if not join or join.get("failed") or join.get("done"):
                continue
            if "ready_at" not in join and now >= parse_time(join["register_at"]):
                self._register(machine)
                rng = random.Random(f"{self.seed}:{machine.name}:ready")
                join["ready_at"] = format_time(now + timedelta(seconds=rng.uniform(*READY_SECONDS)))
                changed = True
            elif "ready_at" in join and now >= parse_time(join["ready_at"]):
                join["done"] = True
                changed = True
                if machine.fault != "flannel-blocked":
                    self._ready(machine)
                else:
                    machine.journal.append(
                        'level=error msg="flannel exited: failed to set up the VXLAN '
                        'interface: timed out waiting for 8472/udp"'
                    )
        if changed:
            self._save(machines)

    def _register(self, machine: Machine) -> None:
        nodes = self.store.view(self.store.kind("Node"))
        index = 1 + max(int(n["spec"]["podCIDR"].split(".")[2]) for n in nodes)
        controller = next(n for n in nodes if "node-role.kubernetes.io/control-plane" in n["metadata"]["labels"])
        info = controller["status"]["nodeInfo"]
        taints = [
            dict(zip(("key", "value", "effect"), re.split(r"[=:]", t), strict=True)) for t in machine.join["taints"]
        ]
        node = node_object(
            machine.name,
            NODE_PROFILES[machine.profile],
            machine.ip,
            index,
            info["kubeletVersion"],
            info["containerRuntimeVersion"],
            self.store.clock.stamp(),
            random.Random(f"{self.seed}:{machine.name}:node"),
            controller=False,
            taints=taints,
        )
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        ready.update(
            status="False",
            reason="KubeletNotReady",
            message="container runtime network not ready: NetworkReady=false "
            "reason:NetworkPluginNotReady message:Network plugin returns error: "
            "cni plugin not initialized",
        )
        created = self.store.create(self.store.kind("Node"), node)
        events.record(self.store, created, "Starting", "Starting kubelet.", "kubelet", host=machine.name)
        events.record(
            self.store,
            created,
            "RegisteredNode",
            f"Node {machine.name} event: Registered Node {machine.name} in Controller",
            "node-controller",
        )

    def _ready(self, machine: Machine) -> None:
        mark_ready(self.store, machine.name)


def powered_off(store: Store) -> set[str]:
    """Machines without power, read straight from the store for the kubelets' loop."""
    return {name for name, row in store.meta("machines", {}).items() if not row.get("powered", True)}


def mark_ready(store: Store, name: str, drop_taint: str = "") -> None:
    """The kubelet reports healthy conditions (flannel up, or back from a power loss); `drop_taint` goes too."""
    stamp = store.clock.stamp()
    healthy = {kind: (status, reason, message) for kind, status, reason, message in HEALTHY_CONDITIONS}

    def ready(node: Obj) -> None:
        for condition in (c for c in node["status"]["conditions"] if c["type"] in healthy):
            status, reason, message = healthy[condition["type"]]
            if condition["status"] != status:
                condition.update(status=status, reason=reason, message=message, lastTransitionTime=stamp)
            condition["lastHeartbeatTime"] = stamp
        node["spec"]["taints"] = [t for t in node["spec"].get("taints") or [] if t["key"] != drop_taint]

    node = store.update(store.kind("Node"), "", name, ready)
    events.record(store, node, "NodeReady", f"Node {name} status is now: NodeReady", "kubelet", host=name)
