"""metrics.k8s.io: `NodeMetrics` and `PodMetrics`, read-only, as metrics-server serves them through the
aggregator; the figures are `world.metrics`'s, with the kubelet's measurements of pods run for real."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.routes.targets import Target
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.selectors import label_matcher
from sugarlab.sim.world import metrics


def serve(ctx: Context, request: Request, target: Target) -> Response:
    if request.method != "GET" or target.subresource:
        raise ApiError.method_not_allowed("metrics are read-only")
    nodes = ctx.store.view(ctx.store.kind("Node"))
    pods = ctx.store.view(ctx.store.kind("Pod"), target.namespace if target.rt.plural == "pods" else None)
    now = ctx.store.clock.now()
    if target.rt.plural == "nodes":
        items = metrics.node_metrics(nodes, pods, ctx.seed, now, ctx.kubelet.processes.usage)
    else:
        items = metrics.pod_metrics(nodes, pods, ctx.seed, now, ctx.kubelet.processes.usage)
    labels = label_matcher(request.query_params.get("labelSelector"))
    items = [i for i in items if labels(i)]
    if target.name:
        item = next((i for i in items if i["metadata"]["name"] == target.name), None)
        if item is None:
            raise ApiError.not_found(target.rt.plural, target.name, target.rt.group)
        return JSONResponse(item)
    return JSONResponse(
        {"kind": target.rt.list_kind, "apiVersion": target.rt.api_version, "metadata": {}, "items": items}
    )
