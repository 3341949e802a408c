"""The one place that builds a Kubernetes client, for a live cluster or the simulated one.

Everything else in sugarlab talks to Kubernetes through the `Cluster` this returns, so the calls a
notebook makes against the simulator are the same calls it makes against real k3s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import urllib3
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from sugarlab.core.errors import ClusterUnreachable, ParameterError
from sugarlab.core.params import LabParams

Provenance = Literal["cluster", "local", "simulated"]


@dataclass(frozen=True)
class Cluster:
    """An API client with what a report needs to know about where it points."""

    api: client.ApiClient
    backend: Literal["sim", "live"]
    server: str
    context: str
    run: str = ""  # the lab workspace's id, the `sugarlab.dev/run` label of what the lab creates

    @property
    def provenance(self) -> Provenance:
        """Where figures read from this cluster's APIs come from."""
        return "simulated" if self.backend == "sim" else "cluster"

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    @property
    def custom(self) -> client.CustomObjectsApi:
        return client.CustomObjectsApi(self.api)

    @property
    def version(self) -> str:
        return str(client.VersionApi(self.api).get_code().git_version)


def _context_names(kubeconfig: str) -> tuple[list[str], str]:
    try:
        contexts, current = config.list_kube_config_contexts(config_file=kubeconfig)
    except ConfigException as exc:
        raise ParameterError("kubeconfig", kubeconfig, f"not a usable kubeconfig ({exc})") from None
    return [c["name"] for c in contexts], (current or {}).get("name", "")


def _live_client(params: LabParams) -> tuple[client.ApiClient, str]:
    """The user's kubeconfig and context, or the pod's service account when run inside the cluster."""
    kubeconfig = str(params.kubeconfig_path)
    if not params.kubeconfig_path.is_file():
        if not params.kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            return client.ApiClient(configuration), "in-cluster"
        raise ParameterError(
            "kubeconfig", kubeconfig, "no such file; give the path of your cluster's kubeconfig "
            "(on the controller: /etc/rancher/k3s/k3s.yaml, with the server address changed)"
        )
    names, current = _context_names(kubeconfig)
    if params.context and params.context not in names:
        raise ParameterError("context", params.context, f"contexts in {kubeconfig}: {', '.join(names) or 'none'}")
    api = config.new_client_from_config(config_file=kubeconfig, context=params.context or None)
    return api, params.context or current


def connect(params: LabParams) -> Cluster:
    """Build the client for `params` and prove the API server answers, before any lab work."""
    if params.backend == "sim":
        from sugarlab.sim.lifecycle import ensure_running
        from sugarlab.sim.spec import CONTEXT

        api, context = config.new_client_from_config(config_file=str(ensure_running(params))), CONTEXT
    else:
        api, context = _live_client(params)
    cluster = Cluster(api, params.backend, api.configuration.host, context)
    try:
        client.VersionApi(api).get_code(_request_timeout=5)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ClusterUnreachable(
            f"no Kubernetes API server answered at {cluster.server} (context {cluster.context!r}): "
            f"{type(exc).__name__}. Check the cluster is up, that 6443/TCP is open to this machine, "
            "and that the kubeconfig's server address is right."
        ) from None
    return cluster
