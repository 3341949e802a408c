"""`sugarlab clean`: the lab's objects removed from the cluster a lab workspace (or `-p`) names.

The connection is resolved as a notebook resolves it: what the workspace recorded, overridden by what
is given. A simulated cluster that was not running is started to be cleaned (its state persists under
the workspace) and stopped again afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sugarlab.app.folders import writable_folder
from sugarlab.kube import clean, simulator
from sugarlab.kube.connect import connect
from sugarlab.lab.recorded import lab_parameters


def clean_lab(
    given: Mapping[str, Any],
    *,
    purge: bool = False,
    confirm: Callable[[str], bool] | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """List what will go, ask `confirm` (None: do not ask), delete it; 0 when done or nothing to do,
    1 when the user declined."""
    params = lab_parameters(given)
    writable_folder("workspace", params.workspace_path)
    was_running = params.backend != "sim" or bool(simulator.status(params.workspace_path))
    try:
        cluster = connect(params)
        chosen = clean.plan(cluster, purge=purge)
        say(f"cluster: {cluster.server} (context {cluster.context!r})")
        if chosen.empty:
            say("nothing of the lab's is left on this cluster")
            for line in chosen.lines():
                say(f"  {line}")
            return 0
        for line in chosen.lines():
            say(f"  {line}")
        if confirm is not None and not confirm(f"delete {len(chosen.objects)} objects of the lab?"):
            say("nothing deleted")
            return 1
        for line in clean.execute(cluster, chosen):
            say(line)
        say("the lab's objects are gone; the nodes stay joined")
        return 0
    finally:
        if not was_running:
            simulator.stop(params.workspace_path)
