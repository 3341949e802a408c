"""A container's process confined with bubblewrap (`bwrap`, Debian's `bubblewrap`).

The root of the container is one writable directory of the lab workspace (`rootfs`), bound at `/` as
containerd's snapshotter gives a container one writable root filesystem: a file renamed from `/tmp` to
any other directory stays on it (os.replace works, as it does in a real container). Over it bwrap mounts, read-only,
this machine's shared libraries, one file per program the image holds (`images`) and the image's
other files (its `Content`: nginx's configuration and pages), and the pod's volumes at their mount
paths (`disks.host_path`; hostPath ones in the node's own directory, which outlives its pods,
`disks.node_host_path`; configMap, secret and downward API ones as files, `file_volumes`), and the
pod's `/etc/resolv.conf` and `/etc/hosts` (`dns_config`). The process gets its own user, PID, IPC and
UTS namespaces and joins the pod's network namespace (`sugarlab.sim.network`: every container of the
pod shares it, as they share the pause container's; a hostNetwork pod joins its node's), entered with
util-linux's `nsenter` before bwrap starts, as `ip netns exec` does. Where the simulator could make no
pod network, the container gets a network namespace of its own with only a loopback. It gets the pod's
name as hostname, the container's environment on the image's PATH, and limits on CPU time, so
whatever it runs stays inside the workspace and ends.

The container's clock is the cluster's: libfaketime (Debian's `faketime`) starts its clock at the
cluster's now and runs it at the cluster's speed, sleeps included, so `date` prints cluster time and
a writer that sleeps 5 s between rows writes one row per 5 cluster seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime
from pathlib import Path, PurePosixPath

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import Confined, SandboxMissing
from sugarlab.sim.kubelet.downward import pod_field
from sugarlab.sim.kubelet.file_volumes import MountFailed, is_file_volume, mount_source
from sugarlab.sim.network import netns
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world import python_image
from sugarlab.sim.world.disks import host_path, node_host_path
from sugarlab.sim.world.images import DEFAULT_PATH, Image, host_program, lookup

BIN = PurePosixPath("/usr/bin")
LIBRARIES = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libexec")
LIBFAKETIME = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
)
MERGED_USR = {"/lib": "usr/lib", "/lib64": "usr/lib64", "/bin": "usr/bin", "/sbin": "usr/bin"}


def bwrap() -> str:
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxMissing("bwrap is not installed: `make system-packages` installs Debian's bubblewrap")
    return found


def nsenter() -> str:
    found = shutil.which("nsenter")
    if found is None:
        raise SandboxMissing("nsenter is not installed: Debian's util-linux holds it")
    return found


def pod_dir(state_dir: Path, uid: str) -> Path:
    return state_dir / "containers" / uid


def etc_dir(state_dir: Path, uid: str) -> Path:
    """The pod's `resolv.conf` and `hosts`, written by the kubelet when it sets up the pod's network."""
    return pod_dir(state_dir, uid) / ".etc"


def network_namespace(state_dir: Path, pod: Obj) -> Path | None:
    """The network namespace the pod's containers join: the pod's own, its node's for a hostNetwork pod;
    None where there is no pod network."""
    path = (
        netns.cluster_path(state_dir)
        if pod["spec"].get("hostNetwork")
        else netns.pod_path(state_dir, pod["metadata"]["uid"])
    )
    return path if path.exists() else None


def container_root(state_dir: Path, pod: Obj, container: Obj) -> Path:
    name: str = container["name"]
    return pod_dir(state_dir, pod["metadata"]["uid"]) / name


def remove_pod(state_dir: Path, uid: str) -> None:
    """The pod is gone: so are its containers' roots and its own volumes (emptyDir), as the kubelet cleans up."""
    shutil.rmtree(pod_dir(state_dir, uid), ignore_errors=True)


def _program_binds(image: Image) -> list[str]:
    args: list[str] = []
    prefix = Path(sys.base_prefix).resolve()
    bound_prefix = False
    for program in image.programs:
        real = host_program(image, program)
        if real is None:
            continue
        if prefix in real.parents:  # an interpreter finds its library beside itself: keep its own path
            if not bound_prefix:
                args += ["--ro-bind", str(prefix), str(prefix)]
                bound_prefix = True
            args += ["--symlink", str(real), str(BIN / program)]
        else:
            args += ["--ro-bind", str(real), str(BIN / program)]
    return args


def _python_binds(image: Image, rootfs: Path, state_dir: Path) -> list[str]:
    """A python image's own environment (`python_image`): a writable site-packages of the container holding its
    layer read-only (this machine's site-packages stays hidden), its scripts directory at the interpreter's
    `bin` and, through a link, at `/usr/local/bin` (where the official images have python and pip), and the
    image's trust store, which OpenSSL's default paths reach through `/usr/lib/ssl`."""
    if image.python is None:
        return []
    own = python_image.layer(state_dir)
    site = rootfs / python_image.SITE_PACKAGES.relative_to("/")  # where they are, bound over the read-only prefix
    scripts = rootfs / (python_image.PREFIX / "bin").relative_to("/")
    site.mkdir(parents=True, exist_ok=True)
    scripts.mkdir(parents=True, exist_ok=True)
    for script in python_image.PIP_SCRIPTS:
        if not (scripts / script).exists():  # the image's, until the container's own pip replaces it
            shutil.copy2(own / "bin" / script, scripts / script)
    args = ["--bind", str(site), str(python_image.SITE_PACKAGES)]
    for entry in sorted((own / "site-packages").iterdir()):
        args += ["--ro-bind", str(entry), str(python_image.SITE_PACKAGES / entry.name)]
    interpreter = str(python_image.INTERPRETER)
    args += ["--bind", str(scripts), str(python_image.PREFIX / "bin"), "--ro-bind", interpreter, interpreter]
    args += ["--symlink", str(python_image.PREFIX / "bin"), "/usr/local/bin"]
    return [*args, "--ro-bind", str(own / "ca-certificates.crt"), "/etc/ssl/certs/ca-certificates.crt"]


def _content_binds(image: Image, root: Path, rootfs: Path) -> list[str]:
    """The image's own files (`Content`), written under the container's root and bound where the image has them:
    read-only, except the directories its programs write into."""
    content, args = image.content, []
    for path, text in content.files.items():
        real = root / "image" / path.lstrip("/")
        real.parent.mkdir(parents=True, exist_ok=True)
        real.write_text(text)
        args += ["--ro-bind", str(real), path]
    for path, host in content.host_files.items():
        args += ["--ro-bind-try", host, path]
    for path in content.writable:
        real = rootfs / path.lstrip("/")
        real.mkdir(parents=True, exist_ok=True)
        args += ["--bind", str(real), path]
    for path, target in content.links.items():
        if not any(PurePosixPath(w) in PurePosixPath(path).parents for w in content.writable):
            args += ["--symlink", target, path]
            continue
        link = rootfs / path.lstrip("/")  # in a directory it writes into: made there, so it may replace it
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return args


def _content_dirs(image: Image) -> list[str]:
    """The directories that hold the image's own files, made first and searchable by all (bwrap makes those it
    needs for a mount point 0700), as an image's are for the unprivileged users its programs switch to."""
    content = image.content
    paths = [*content.files, *content.host_files, *content.writable, *content.links]
    parents = {str(parent) for path in paths for parent in PurePosixPath(path).parents if str(parent) != "/"}
    args: list[str] = []
    for directory in sorted(parents, key=lambda d: (d.count("/"), d)):
        args += ["--perms", "0755", "--dir", directory]
    return args


def _namespaces(image: Image, shared_net: bool) -> list[str]:
    """Namespaces of its own (the network's too, unless it joins the pod's); a user namespace unless its program
    must switch users, which maps only this machine's user: then it runs as root with only the capabilities it
    needs (bwrap's `--cap-add`, root only)."""
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
    args += [] if shared_net else ["--unshare-net"]
    if not image.content.capabilities or os.geteuid() != 0:
        return ["--unshare-user-try", *args]
    for capability in image.content.capabilities:
        args += ["--cap-add", capability]
    return args


def _in_image(path: str, links: dict[str, str]) -> str:
    """A mount path with the image's links in it followed, as runc resolves it inside the root (securejoin):
    the service-account mount under /var/run lands in /run where /var/run links there."""
    for link, target in links.items():
        if target.startswith("/") and PurePosixPath(link) in PurePosixPath(path).parents:
            return str(PurePosixPath(target) / PurePosixPath(path).relative_to(link))
    return path


def _volume_binds(store: Store, state_dir: Path, pod: Obj, container: Obj, links: dict[str, str]) -> list[str]:
    args: list[str] = []
    volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        volume, target = volumes.get(mount["name"], {}), _in_image(mount["mountPath"], links)
        if is_file_volume(volume):  # API data as files: always mounted read-only, as the kubelet mounts them
            files = pod_dir(state_dir, pod["metadata"]["uid"]) / ".files" / mount["name"]
            source = mount_source(store, files, pod, volume) / (mount.get("subPath") or "")
            args += ["--ro-bind", str(source), target]
            continue
        real: Path | None
        if "hostPath" in volume:
            real = host_path_dir(state_dir, pod, volume) / (mount.get("subPath") or "")
        else:
            real = host_path(store, state_dir, pod, container, mount["mountPath"])
        if real is None:  # not a claimed volume (emptyDir ...): a directory of the pod, shared by its containers
            real = pod_dir(state_dir, pod["metadata"]["uid"]) / ".volumes" / mount["name"]  # no container is so named
        real.mkdir(parents=True, exist_ok=True)
        args += ["--ro-bind" if mount.get("readOnly") else "--bind", str(real), target]
    return args


# pkg/volume/hostpath/host_path.go (`checkType`, `checkTypeInternal`): DirectoryOrCreate makes a missing
# directory (0755), Directory must exist, "" checks nothing (and containerd's CRI makes a missing bind source a
# directory). The file, socket and device types are not modelled.
HOST_PATH_DIRECTORY_TYPES = ("", "DirectoryOrCreate", "Directory")


def host_path_dir(state_dir: Path, pod: Obj, volume: Obj) -> Path:
    """A hostPath volume's directory on the pod's node, checked as the kubelet checks its type."""
    source, failed = volume["hostPath"], f'MountVolume.SetUp failed for volume "{volume["name"]}" : '
    kind, real = source.get("type") or "", node_host_path(state_dir, pod["spec"]["nodeName"], source["path"])
    if kind not in HOST_PATH_DIRECTORY_TYPES:
        raise MountFailed(f"{failed}hostPath type {kind} is not modelled by the simulator (only directories)")
    if kind == "Directory" and not real.is_dir():
        raise MountFailed(f"{failed}hostPath type check failed: {source['path']} is not a directory")
    real.mkdir(mode=0o755, parents=True, exist_ok=True)
    return real


def cluster_clock(now: datetime, speed: float) -> dict[str, str]:
    """The environment that gives a process the cluster's clock (libfaketime's FAKETIME, `@start xSPEED`);
    FAKETIME_DONT_RESET keeps the programs it starts on the same timeline instead of restarting it."""
    library = next((path for path in LIBFAKETIME if Path(path).exists()), None)
    if library is None:
        return {}
    return {"LD_PRELOAD": library, "FAKETIME": f"@{now:%Y-%m-%d %H:%M:%S} x{speed:g}", "FAKETIME_DONT_RESET": "1"}


def environment(pod: Obj, container: Obj) -> dict[str, str]:
    """The container's environment as the kubelet builds it: PATH and HOSTNAME, then the spec's `env`, whose
    values are literal or, through the downward API, fields of the pod."""
    env = {"PATH": DEFAULT_PATH, "HOSTNAME": pod["metadata"]["name"], "HOME": "/root"}
    for entry in container.get("env") or []:
        if "name" not in entry:
            continue
        field_ref = (entry.get("valueFrom") or {}).get("fieldRef") or {}
        env[entry["name"]] = (
            pod_field(pod, field_ref["fieldPath"]) if "fieldPath" in field_ref else str(entry.get("value", ""))
        )
    return env


def confine(store: Store, state_dir: Path, pod: Obj, container: Obj, command: list[str]) -> Confined:
    """The bwrap command line that runs `command` inside the container."""
    root = container_root(state_dir, pod, container)
    rootfs = root / "rootfs"
    for writable in ("tmp", "root"):
        (rootfs / writable).mkdir(parents=True, exist_ok=True)
    image = lookup(container["image"])
    network = network_namespace(state_dir, pod)
    args = [nsenter(), f"--net={network}", "--"] if network is not None else []
    args += [
        bwrap(),
        *_namespaces(image, network is not None),
        "--bind",
        str(rootfs),
        "/",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        pod["metadata"]["name"][:63],
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        *_content_dirs(image),
    ]
    for library in LIBRARIES:
        args += ["--ro-bind-try", library, library]
    for link, target in MERGED_USR.items():
        args += ["--symlink", target, link]
    args += [
        "--ro-bind-try",
        "/etc/ld.so.cache",
        "/etc/ld.so.cache",
    ]
    etc = etc_dir(state_dir, pod["metadata"]["uid"])
    args += ["--perms", "0755", "--dir", "/etc"]
    for name in ("resolv.conf", "hosts"):
        args += ["--ro-bind-try", str(etc / name), f"/etc/{name}"]
    args += _program_binds(image)
    args += _python_binds(image, rootfs, state_dir)
    args += _content_binds(image, root, rootfs)
    args += _volume_binds(store, state_dir, pod, container, image.content.links)
    clock = cluster_clock(store.clock.now(), store.clock.rate())
    for name, value in {**clock, **environment(pod, container)}.items():
        args += ["--setenv", name, value]
    args = [*_without_made_links(args, rootfs), "--chdir", container.get("workingDir") or "/", "--", *command]
    return Confined(args, {"PATH": DEFAULT_PATH}, root)


def _without_made_links(args: list[str], rootfs: Path) -> list[str]:
    """The command line without the `--symlink`s an earlier run already made in the root filesystem (bwrap 0.8
    refuses a link that exists; the container's first run and every `kubectl exec` into it share the root)."""
    kept: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "--symlink" and _links(rootfs / args[i + 2].lstrip("/"), args[i + 1]):
            i += 3
            continue
        kept.append(args[i])
        i += 1
    return kept


def _links(path: Path, target: str) -> bool:
    try:
        return os.readlink(path) == target
    except OSError:
        return False
