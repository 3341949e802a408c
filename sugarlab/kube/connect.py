"""The one place that builds a Kubernetes client, for a live cluster or the simulated one.

Everything else in sugarlab talks to Kubernetes through the `Cluster` this returns, so the calls a
notebook makes against the simulator are the same calls it makes against real k3s.
"""

from __future__ import annotations

import os
import weakref
from typing import Any
from urllib.parse import urlsplit

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from sugarlab.kube import simulator
from sugarlab.kube.errors import ApiError
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.errors import ClusterUnreachable, ParameterError
from sugarlab.lab.params import LabParams
from sugarlab.sim.world.spec import CONTEXT


class StatusApiClient(client.ApiClient):  # type: ignore[misc]  # the client is untyped (see pyproject.toml)
    """The official client, except that a refused request raises `ApiError` with the server's `Status`,
    and its pooled connections are closed when it goes rather than left to the garbage collector."""

    def __init__(self, configuration: client.Configuration) -> None:
        super().__init__(configuration)
        weakref.finalize(self, self.rest_client.close)

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        response = super().call_api(method, url, header_params, body, post_params, _request_timeout)
        if 200 <= response.status <= 299:
            return response
        response.read()  # the body is the server's Status
        raise ApiError(f"{method} {urlsplit(url).path}", ApiException(http_resp=response))


def _client(kubeconfig: str, context: str | None) -> StatusApiClient:
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
    return StatusApiClient(configuration)


# What the official client's loader raises for a file that is not a kubeconfig: its own ConfigException, or,
# for YAML that is not a mapping of the expected shape, whatever indexing it first trips on.
NOT_A_KUBECONFIG = (ConfigException, yaml.YAMLError, UnicodeDecodeError, TypeError, AttributeError, KeyError)


def _not_a_kubeconfig(kubeconfig: str, exc: Exception) -> ParameterError:
    if isinstance(exc, TypeError | AttributeError | KeyError):  # YAML, but not a kubeconfig's shape
        why = "not a mapping of clusters, contexts and users"
    else:
        why = " ".join(str(exc).split()) or type(exc).__name__
    return ParameterError("kubeconfig", kubeconfig, f"not a usable kubeconfig ({why})")


def _context_names(kubeconfig: str) -> tuple[list[str], str]:
    try:
        contexts, current = config.list_kube_config_contexts(config_file=kubeconfig)
        return [c["name"] for c in contexts], (current or {}).get("name", "")
    except NOT_A_KUBECONFIG as exc:
        raise _not_a_kubeconfig(kubeconfig, exc) from None


def _live_client(params: LabParams) -> tuple[client.ApiClient, str]:
    """The user's kubeconfig and context, or the pod's service account when run inside the cluster."""
    kubeconfig = str(params.kubeconfig_path)
    if not params.kubeconfig_path.is_file():
        if not params.kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            return StatusApiClient(configuration), "in-cluster"
        raise ParameterError(
            "kubeconfig",
            kubeconfig,
            "no such file; give the path of your cluster's kubeconfig "
            "(on the controller: /etc/rancher/k3s/k3s.yaml, with the server address changed)",
        )
    names, current = _context_names(kubeconfig)
    if params.context and params.context not in names:
        raise ParameterError("context", params.context, f"contexts in {kubeconfig}: {', '.join(names) or 'none'}")
    try:
        return _client(kubeconfig, params.context or None), params.context or current
    except NOT_A_KUBECONFIG as exc:
        raise _not_a_kubeconfig(kubeconfig, exc) from None


def connect(params: LabParams) -> Cluster:
    """Build the client for `params` and prove the API server answers, before any lab work."""
    if params.backend == "sim":
        api, context = _client(str(simulator.start(params)), None), CONTEXT
    else:
        api, context = _live_client(params)
    speed = params.speed if params.backend == "sim" else 1.0
    cluster = Cluster(api, params.backend, api.configuration.host, context, speed)
    try:
        client.VersionApi(api).get_code(_request_timeout=5)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ClusterUnreachable(
            f"no Kubernetes API server answered at {cluster.server} (context {cluster.context!r}): "
            f"{type(exc).__name__}. Check the cluster is up, that 6443/TCP is open to this machine, "
            "and that the kubeconfig's server address is right."
        ) from None
    return cluster
