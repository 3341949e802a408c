"""Tutorial step 6.4 for every node: the SSH hardening audit through the hosts interface, and its checklist.

Each node of the cluster is reached the way notebook 02 reaches machines: the simulator's machines on
sim, SSH on live (the controller at `controller_host`, a worker at its `worker_addresses` entry,
any other node at its InternalIP). `sugarlab.steps.operations.ssh_audit.audit_host` reads the effective sshd settings
(`sshd -T`) and the host key fingerprints; a node that cannot be audited still gets its row, with
the reason, so the checklist always covers the whole cluster.
"""

from __future__ import annotations

import pandas as pd
from tqdm.auto import tqdm

from sugarlab.hosts import Host
from sugarlab.hosts.factory import open_host
from sugarlab.lab.session import Lab
from sugarlab.steps.operations.ssh_audit import FINDING_COLUMNS, AuditResult, audit_host, security_checklist_markdown

CHECKLIST = "operations/security-checklist.md"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def node_hosts(lab: Lab) -> dict[str, Host]:
    """node name -> the host to audit it through, for every node the API server knows."""
    p = lab.params
    hosts: dict[str, Host] = {}
    for node in lab.cluster.core.list_node().items:
        name = node.metadata.name
        internal = next((a.address for a in node.status.addresses or [] if a.type == "InternalIP"), name)
        controller = CONTROL_PLANE in (node.metadata.labels or {})
        address = p.worker_addresses.get(name) or (p.controller_host if controller else internal)
        hosts[name] = open_host(p, lab.cluster.api.configuration, name, address)
    return hosts


def audit(lab: Lab, progress: bool = True) -> list[AuditResult]:
    """Every node's audit, in node-name order; hosts are closed afterwards."""
    hosts = node_hosts(lab)
    results = []
    try:
        for name in tqdm(sorted(hosts), desc="sshd audit", disable=not progress):
            results.append(audit_host(hosts[name]))
    finally:
        for host in hosts.values():
            host.close()
    return results


def findings(results: list[AuditResult]) -> pd.DataFrame:
    frames = [r.findings for r in results if not r.findings.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FINDING_COLUMNS)


def fingerprints(results: list[AuditResult]) -> pd.DataFrame:
    rows = [
        {"node": r.node, "key_type": k.key_type, "bits": k.bits, "fingerprint": k.fingerprint}
        for r in results
        for k in r.fingerprints
    ]
    return pd.DataFrame(rows, columns=["node", "key_type", "bits", "fingerprint"])


def save(lab: Lab, results: list[AuditResult]) -> str:
    """Write `operations/security-checklist.md` (dated today, UTC) and record the audit step.

    A node the audit could not reach is an open finding, in the checklist and the step's detail, not a
    failed step: the audit's purpose is the checklist, and an unreachable machine is what it found there."""
    text = security_checklist_markdown(results)
    lab.workspace.write_text(CHECKLIST, text)
    audited = [r for r in results if r.completed]
    failing = sorted({row.item for r in audited for row in r.failures.itertuples()})
    detail = f"{len(audited)} of {len(results)} node(s) audited; " + (
        f"to fix: {', '.join(failing)}" if failing else "every item passed"
    )
    unreached = [r.diagnosis for r in results if not r.completed]
    if unreached:
        detail += "; open: " + "; ".join(unreached)
    lab.workspace.record_step("ssh hardening audit", bool(results), detail)
    return text
