"""One way to wait on a cluster: poll until a condition holds, with a progress bar, on the cluster's clock.

A poll returns the result once the condition holds, or `Pending` saying how far along it is. Timeouts
are in cluster seconds: the simulator's clock runs `Cluster.speed` times faster than the wall clock,
so a five-minute rollout on k3s takes five minutes, and `300 / speed` real seconds on the simulator.

A wait for pods names them (`Pods`): every poll then also looks at their containers, and one that cannot
pull its image ends the wait at once (`ImagePullFailed`) instead of after the whole timeout, since the
kubelet only backs off and retries (up to five minutes apart) while the image stays unpullable.

The bar tells the truth in a notebook: it moves with each `Pending`'s counts, stays when the wait ends,
complete and green when the condition held, red when the wait failed (tqdm.notebook styles a bar
'danger' when it closes short of its total, `tqdm_notebook.close` in tqdm/notebook.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubernetes import client
from tqdm.auto import tqdm
from tqdm.notebook import tqdm_notebook

from sugarlab.lab.errors import ImagePullFailed, WaitTimeout

T = TypeVar("T")


@dataclass(frozen=True)
class Pending:
    """A poll's answer while the condition does not hold: `done` of `total` for the bar, `seen` for the
    timeout's message, and `value`, what the caller may still use when time runs out."""

    done: int = 0
    total: int | None = None
    seen: str = ""
    value: Any = None


# The waiting reasons of a container whose image the kubelet cannot get: pkg/kubelet/images/types.go
# (ErrImagePullBackOff "ImagePullBackOff", ErrImageNeverPull, ErrInvalidImageName "InvalidImageName") and
# pkg/kubelet/container/sync_result.go (ErrImagePull). CrashLoopBackOff and CreateContainerConfigError are
# not here: the first may heal, the second is about the pod's references, not its image.
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


@dataclass(frozen=True)
class Pods:
    """The pods a wait depends on (`selector` is a label selector in `namespace`) and the lab parameter
    that names their image, for the error when one of them cannot pull it."""

    core: client.CoreV1Api
    namespace: str
    selector: str
    parameter: str

    def check_images(self) -> None:
        """Raise `ImagePullFailed` for the first container (init containers included) that waits because
        its image cannot be pulled."""
        for pod in self.core.list_namespaced_pod(self.namespace, label_selector=self.selector).items:
            status = pod.status
            for container in [*(status.init_container_statuses or []), *(status.container_statuses or [])]:
                waiting = container.state.waiting if container.state else None
                if waiting is not None and waiting.reason in PULL_FAILURES:
                    raise ImagePullFailed(
                        f"{self.namespace}/{pod.metadata.name}",
                        pod.spec.node_name or "",
                        container.image,
                        waiting.reason,
                        self._kubelet_says(pod.metadata.name, waiting.message or ""),
                        self.parameter,
                    )

    def _kubelet_says(self, pod: str, message: str) -> str:
        """The waiting message, and the pod's latest `Failed` event that says more than "Error: <reason>"
        (while backing off, the waiting message only repeats the pull's error of the last try)."""
        events = self.core.list_namespaced_event(
            self.namespace, field_selector=f"involvedObject.kind=Pod,involvedObject.name={pod},reason=Failed"
        ).items
        told = [e for e in events if e.message and not e.message.startswith("Error: ")]
        told.sort(key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)
        latest = told[-1].message.strip() if told else ""
        if latest and message in latest:
            return latest
        if latest and latest not in message:
            return f"{message} (event: {latest})"
        return message or "no message"


def wait_for(
    poll: Callable[[], T | Pending],
    what: str,
    timeout: float,
    *,
    speed: float = 1.0,
    interval: float = 0.2,
    progress: bool = False,
    pods: Pods | None = None,
    real_floor: float = 0.0,
    counts: Callable[[T], tuple[int, int]] | None = None,
) -> T:
    """Call `poll` until it returns something other than `Pending`, and return that.

    `timeout` is in cluster seconds, `interval` in real seconds. After the timeout, one last poll has
    run; `WaitTimeout` then carries its `Pending` as `last`. With `pods`, every pending poll is followed
    by a look at their images: `ImagePullFailed` ends the wait when one cannot be pulled. The wait lasts
    at least `real_floor` real seconds, for what runs on the wall clock whatever the cluster's speed.

    The bar ends on `counts(result)` (done, total), for a result that may fall short (a Job that failed
    ends its bar red at the completions it made); without `counts`, on the last total a poll gave, done.
    """
    deadline = time.monotonic() + max(timeout / speed, real_floor)
    with tqdm(desc=what, disable=not progress) as bar:
        try:
            while True:
                answer = poll()
                if not isinstance(answer, Pending):
                    _show(bar, *(counts(answer) if counts else (int(bar.total or 1),) * 2))
                    return answer
                _show(bar, answer.done, answer.total)
                if pods is not None:
                    pods.check_images()
                if time.monotonic() > deadline:
                    raise WaitTimeout(what, timeout, answer)
                time.sleep(interval)
        except BaseException:
            if isinstance(bar, tqdm_notebook) and not bar.disable:
                bar.display(bar_style="danger")  # as tqdm_notebook.update does when the loop raises
            raise


def _show(bar: tqdm[Any], done: int, total: int | None) -> None:
    """`done` of `total` on the bar. A notebook bar's widget keeps the total it was made with unless
    `reset` gives it another (tqdm/notebook.py `tqdm_notebook.reset`); its start time is kept for the rate."""
    if bar.disable:
        return
    if total is not None and total != bar.total:
        started = bar.start_t
        bar.reset(total=total)
        bar.start_t = started
    bar.n = done
    bar.refresh()
