"""Tutorial step 6.5, the final cluster snapshot: `final/nodes.txt`, `final/pods.txt`, `final/storageclass.txt`.

The first two are `kubectl get nodes -o wide` and `kubectl get pods -A -o wide`, rendered like the
baseline's (`sugarlab.kube.inventory`, `sugarlab.views.tables`). The third is `kubectl describe storageclass
<storage_class>` (kubectl's describeStorageClass in k8s.io/kubectl pkg/describe/describe.go, laid out by
Go's tabwriter with padding 2). When that class does not exist the file says so, as kubectl's
NotFound error does, and describes the classes there are instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sugarlab.common.kubectl import parse_time, since
from sugarlab.kube.inventory import list_nodes_frame, list_pods_frame, server_now
from sugarlab.lab.session import Lab
from sugarlab.views.tables import TextTable, nodes_table, pods_table

NODES, PODS, STORAGE_CLASS = "final/nodes.txt", "final/pods.txt", "final/storageclass.txt"
DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def tabbed(lines: list[str]) -> str:
    """Go's tabwriter (padding 2) over `\\t`-separated cells: consecutive lines with tabs form a block
    whose columns share a width; a line without a tab ends the block."""
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        widths: dict[int, int] = {}
        for cells in block:
            for i, cell in enumerate(cells[:-1]):
                widths[i] = max(widths.get(i, 0), len(cell) + 2)
        out.extend("".join(c.ljust(widths[i]) for i, c in enumerate(cells[:-1])) + cells[-1] for cells in block)
        block.clear()

    for line in lines:
        if "\t" in line:
            block.append(line.split("\t"))
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out) + "\n"


def _labels(values: dict[str, str] | None) -> str:
    """k8s.io/apimachinery labels.FormatLabels: sorted key=value pairs, or <none>."""
    return ",".join(f"{k}={v}" for k, v in sorted((values or {}).items())) or "<none>"


def _events(events: list[dict[str, Any]], now: datetime) -> list[str]:
    if not events:
        return ["Events:\t<none>"]
    lines = ["Events:", "  Type\tReason\tAge\tFrom\tMessage", "  ----\t------\t----\t----\t-------"]
    for event in sorted(events, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or "")):
        first, last = parse_time(event.get("firstTimestamp")), parse_time(event.get("lastTimestamp"))
        count = int(event.get("count") or 1)
        seen = since(last or first, now) + (f" (x{count} over {since(first, now)})" if count > 1 else "")
        source = (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""
        lines.append(
            f"  {event.get('type', '')}\t{event.get('reason', '')}\t{seen}\t{source}\t"
            f"{(event.get('message') or '').strip()}"
        )
    return lines


def describe_storage_class(sc: dict[str, Any], events: list[dict[str, Any]], now: datetime) -> str:
    """The text of `kubectl describe storageclass` for one class as the API returns it."""
    meta = sc.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    default = "Yes" if any(annotations.get(key) == "true" for key in DEFAULT_CLASS) else "No"
    expansion = sc.get("allowVolumeExpansion")
    lines = [
        f"Name:\t{meta.get('name', '')}",
        f"IsDefaultClass:\t{default}",
        f"Annotations:\t{_labels(annotations)}",
        f"Provisioner:\t{sc.get('provisioner', '')}",
        f"Parameters:\t{_labels(sc.get('parameters'))}",
        f"AllowVolumeExpansion:\t{'<unset>' if expansion is None else str(bool(expansion))}",
    ]
    options = sc.get("mountOptions") or []
    lines += ["MountOptions:\t<none>"] if not options else ["MountOptions:", *(f"  {o}" for o in options)]
    if sc.get("reclaimPolicy"):
        lines.append(f"ReclaimPolicy:\t{sc['reclaimPolicy']}")
    if sc.get("volumeBindingMode"):
        lines.append(f"VolumeBindingMode:\t{sc['volumeBindingMode']}")
    return tabbed([*lines, *_events(events, now)])


def storage_class_text(lab: Lab, name: str) -> tuple[str, bool]:
    """(the describe text, whether class `name` exists)."""
    storage = client.StorageV1Api(lab.cluster.api)
    listed, _, headers = storage.list_storage_class_with_http_info()
    now = server_now(headers)
    classes = {c.metadata.name: lab.cluster.api.sanitize_for_serialization(c) for c in listed.items}

    def describe(sc: dict[str, Any]) -> str:
        selector = f"involvedObject.kind=StorageClass,involvedObject.name={sc['metadata']['name']}"
        events = lab.cluster.core.list_event_for_all_namespaces(field_selector=selector).items
        return describe_storage_class(sc, [lab.cluster.api.sanitize_for_serialization(e) for e in events], now)

    if name in classes:
        return describe(classes[name]), True
    head = (
        f'Error from server (NotFound): storageclasses.storage.k8s.io "{name}" not found\n\n'
        f"# {name} is missing: notebook 04 (storage) creates it. "
        + (f"The classes that exist: {', '.join(sorted(classes))}.\n" if classes else "No storage class exists.\n")
    )
    return head + "".join(f"\n{describe(classes[c])}" for c in sorted(classes)), False


def take(lab: Lab) -> dict[str, TextTable]:
    """Write the three files; return their text by path (`display` shows it as kubectl prints it).
    Records the `final snapshot` step."""
    texts = {NODES: nodes_table(list_nodes_frame(lab.cluster)), PODS: pods_table(list_pods_frame(lab.cluster))}
    try:
        description, found = storage_class_text(lab, lab.params.storage_class)
    except ApiException as error:
        description, found = f"Error from server: {error.reason}\n", False
    texts[STORAGE_CLASS] = TextTable(description)
    for path, text in texts.items():
        lab.workspace.write_text(path, text)
    nodes = len(texts[NODES].splitlines()) - 1
    lab.workspace.record_step(
        "final snapshot",
        found,
        f"{nodes} node(s); storage class {lab.params.storage_class} " + ("described" if found else "missing"),
    )
    return texts
