"""The ServiceAccount admission plugin's mutation of a new pod (plugin/pkg/admission/serviceaccount/admission.go
in kubernetes/kubernetes v1.33, `Admit`, `shouldAutomount`, `mountServiceAccountToken` and `TokenVolumeSource`):
a pod runs as the `default` ServiceAccount unless it names one, and unless the pod or its ServiceAccount turns
`automountServiceAccountToken` off, every container and init container mounts a projected `kube-api-access-*`
volume (a token, the cluster's CA from the `kube-root-ca.crt` ConfigMap, the namespace) read-only at
/var/run/secrets/kubernetes.io/serviceaccount, except a container that already mounts something there.

It runs on Pods only, on create: a Deployment's template does not get the volume, the pods made from it do."""

from __future__ import annotations

import random

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.names import suffix
from sugarlab.sim.storage.store import Store

DEFAULT_ACCOUNT = "default"
VOLUME_PREFIX = "kube-api-access-"  # ServiceAccountVolumeName + "-"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"  # DefaultAPITokenMountPath
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"  # published in every namespace by root-ca-cert-publisher
ROOT_CA_KEY = "ca.crt"
TOKEN_EXPIRATION_S = 3607  # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
PROJECTED_DEFAULT_MODE = 0o644  # v1.ProjectedVolumeSourceDefaultMode, 420


def token_volume_source() -> Obj:
    """TokenVolumeSource: the projected volume's sources, its default mode set explicitly (#104464)."""
    return {
        "defaultMode": PROJECTED_DEFAULT_MODE,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_S, "path": "token"}},
            {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": ROOT_CA_KEY, "path": ROOT_CA_KEY}]}},
            {
                "downwardAPI": {
                    "items": [
                        {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                    ]
                }
            },
        ],
    }


def _should_automount(account: Obj | None, pod: Obj) -> bool:
    """The pod's preference wins, then the ServiceAccount's; true by default."""
    for choice in (
        pod["spec"].get("automountServiceAccountToken"),
        (account or {}).get("automountServiceAccountToken"),
    ):
        if choice is not None:
            return bool(choice)
    return True


def _mount_token(pod: Obj) -> None:
    spec = pod["spec"]
    volumes = spec.get("volumes") or []
    existing = next((v["name"] for v in volumes if v["name"].startswith(VOLUME_PREFIX)), None)
    name = existing or VOLUME_PREFIX + suffix(random.Random())
    needed = False
    for container in (spec.get("initContainers") or []) + spec["containers"]:
        mounts = container.get("volumeMounts") or []
        if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
            continue
        container["volumeMounts"] = [*mounts, {"name": name, "readOnly": True, "mountPath": MOUNT_PATH}]
        needed = True
    if needed and existing is None:
        spec["volumes"] = [*volumes, {"name": name, "projected": token_volume_source()}]


def admit_pod(store: Store, pod: Obj, require_account: bool = True) -> None:
    """Admit a new pod: default its ServiceAccount, refuse one that does not exist (403, as the plugin does;
    the `default` one is let through, since the plugin waits for the serviceaccounts controller to make it),
    and mount its token. Controllers' pods pass `require_account=False`: their creates are not refused here."""
    spec = pod["spec"]
    spec.setdefault("serviceAccountName", DEFAULT_ACCOUNT)
    name, namespace = spec["serviceAccountName"], pod["metadata"]["namespace"]
    account = store.find(store.kind("ServiceAccount"), namespace, name)
    if account is None and require_account and name != DEFAULT_ACCOUNT:
        raise ApiError.forbidden(
            "pods",
            pod["metadata"].get("name") or "",
            f'error looking up service account {namespace}/{name}: serviceaccount "{name}" not found',
        )
    if _should_automount(account, pod):
        _mount_token(pod)
