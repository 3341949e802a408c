"""`meta.k8s.io/v1` Table responses, which `kubectl get` asks for to print its columns.

Every kind served has kube-apiserver's own printer (columns, types, priorities, cell formats), and every
custom resource the columns its CRD declares; ages are computed on the cluster's clock, as a real server computes them on its own.
"""

from __future__ import annotations

from datetime import datetime

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.printers.columns import Printer
from sugarlab.sim.apiserver.printers.print_cluster import CLUSTER_PRINTERS, DEFAULT
from sugarlab.sim.apiserver.printers.print_core import CORE_PRINTERS
from sugarlab.sim.apiserver.printers.print_custom import custom_printer
from sugarlab.sim.apiserver.printers.print_workloads import WORKLOAD_PRINTERS
from sugarlab.sim.machinery.resources import ResourceType

PRINTERS: dict[str, Printer] = {**CORE_PRINTERS, **WORKLOAD_PRINTERS, **CLUSTER_PRINTERS}


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def printer(rt: ResourceType) -> Printer:
    if rt.custom:
        return custom_printer(rt.columns)
    return PRINTERS.get(rt.kind, DEFAULT)


def table(rt: ResourceType, objects: list[Obj], now: datetime, resource_version: str) -> Obj:
    chosen = printer(rt)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [c.definition() for c in chosen.columns],
        "rows": [
            {
                "cells": chosen.cells(o, now),
                **({"conditions": c} if (c := chosen.conditions(o)) else {}),
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]},
            }
            for o in objects
        ],
    }
