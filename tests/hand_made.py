"""A lab workspace made by hand following the tutorial, from the real outputs in tests/data (their sources are in
tests/data/README.md and tests/data/fio/README.md): `kubectl top` text in `baseline/resource-snapshot.csv` (the
tutorial's `kubectl top nodes | tee ...` then `kubectl top pods -A | tee -a ...`) and fio's normal text in
`operations/fio-report.log` (its `kubectl logs job/fio-benchmark > ...`)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def hand_made(root: Path, fio_log: str) -> Path:
    """What an operator's shell leaves: plain files, no registry of who wrote them."""
    (root / "baseline").mkdir(parents=True)
    (root / "operations").mkdir()
    (root / "baseline/cluster-inventory.txt").write_text((DATA / "kubectl-get-nodes-wide.txt").read_text())
    (root / "baseline/resource-snapshot.csv").write_text(
        (DATA / "kubectl-top-nodes.txt").read_text() + (DATA / "kubectl-top-pods.txt").read_text()
    )
    (root / "operations/fio-report.log").write_text((DATA / "fio" / fio_log).read_text())
    return root
