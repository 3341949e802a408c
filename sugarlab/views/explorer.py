"""An ipywidgets explorer over frames that are already computed: filter pods by namespace and node.

It never talks to a cluster, so a headless (papermill) run keeps the full static frames in the
notebook and the widget only adds interactivity for a reader with a live kernel.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from sugarlab.views.readable import frame_html

ALL = "all"


def options(frame: pd.DataFrame, column: str) -> list[str]:
    """`all` followed by the sorted distinct values of `column`."""
    values = frame[column].dropna().astype(str).unique() if column in frame else []
    return [ALL, *sorted(values)]


def filter_pods(pods: pd.DataFrame, namespace: str = ALL, node: str = ALL) -> pd.DataFrame:
    mask = pd.Series(True, index=pods.index)
    if namespace != ALL:
        mask &= pods["namespace"] == namespace
    if node != ALL:
        mask &= pods["node"] == node
    return pods[mask]


def filter_top_pods(top_pods: pd.DataFrame, pods: pd.DataFrame, namespace: str = ALL, node: str = ALL) -> pd.DataFrame:
    """Top-pods rows for the pods that `filter_pods` keeps (top pods has no node; it is joined from `pods`)."""
    kept = filter_pods(pods, namespace, node)[["namespace", "name"]]
    if namespace == ALL and node == ALL:
        return top_pods
    return top_pods.merge(kept, on=["namespace", "name"], how="inner")


def pod_explorer(pods: pd.DataFrame, top_pods: pd.DataFrame | None = None) -> widgets.VBox:
    """Dropdowns for namespace and node (each with `all`) above the filtered frames.

    The frames are rendered into an HTML widget rather than captured by an Output widget: headless
    executors (nbclient, nbval) track Output widgets' messages, and that tracking can stall a run.
    Pod names stay on one line; the tables scroll sideways in the widget (`readable.frame_html`).
    """
    namespace = widgets.Dropdown(options=options(pods, "namespace"), value=ALL, description="namespace")
    node = widgets.Dropdown(options=options(pods, "node"), value=ALL, description="node")
    table = widgets.HTML()

    def refresh(_: object = None) -> None:
        shown = [filter_pods(pods, namespace.value, node.value)]
        if top_pods is not None:
            shown.append(filter_top_pods(top_pods, pods, namespace.value, node.value))
        table.value = "".join(frame_html(frame) for frame in shown)

    namespace.observe(refresh, names="value")
    node.observe(refresh, names="value")
    refresh()
    return widgets.VBox([widgets.HBox([namespace, node]), table])
