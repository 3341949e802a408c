"""kube-apiserver's validation of objects it is asked to store: a 422 `Invalid` naming each field.

The checks, their order and their messages follow kubernetes v1.33: `ValidateObjectMeta` and the
name functions of k8s.io/apimachinery pkg/api/validation, the `Is*` functions of pkg/util/validation,
the error bodies of pkg/util/validation/field (`Required value`, `Invalid value: "x": …`,
`Too long: may not be more than 1048576 bytes`), and pkg/apis/core/validation (`ValidatePodSpec`,
`ValidateConfigMap`, `ValidateSecret`, `ValidateService`, `ValidatePersistentVolumeClaim`), with the
update rules of pkg/apis/{apps,batch,storage}/validation. Only a subset of those checks is modelled:
the ones a mistyped or edited manifest trips.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.names import dns1123_label, dns1123_subdomain, regex_error
from sugarlab.sim.machinery.resources import ResourceType

MAX_SECRET_SIZE = 1024 * 1024  # core.MaxSecretSize, also the limit of a ConfigMap's data
MAX_ANNOTATIONS_SIZE = 256 * 1024  # TotalAnnotationSizeLimitB: keys and values together

DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
LABEL_VALUE = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
CONFIG_KEY = "[-._a-zA-Z0-9]+"
REASONS = {
    "Required value": "FieldValueRequired",
    "Invalid value": "FieldValueInvalid",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    body: str  # field.Error.ErrorBody(): the type, the value where shown, the detail

    @property
    def reason(self) -> str:
        return REASONS[self.body.split(":")[0]]


def _go_value(value: Any) -> str:
    return (
        json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    )


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, "Required value" + (f": {detail}" if detail else ""))


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path, f"Invalid value: {_go_value(value)}: {detail}")


def not_supported(path: str, value: str, allowed: tuple[str, ...]) -> FieldError:
    return FieldError(
        path, f"Unsupported value: {json.dumps(value)}: supported values: " + ", ".join(json.dumps(a) for a in allowed)
    )


def dns1035_label(value: str) -> list[str]:
    errors = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not re.fullmatch(DNS1035_LABEL, value):
        errors.append(
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                "alphabetic character, and end with an alphanumeric character",
                DNS1035_LABEL,
                "my-name",
                "abc-123",
            )
        )
    return errors


def config_key(value: str) -> list[str]:
    errors = ["must be no more than 253 characters"] if len(value) > 253 else []
    if not re.fullmatch(CONFIG_KEY, value):
        errors.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                CONFIG_KEY,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    if value in (".", ".."):
        errors.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


# The name rule of each kind's ValidateObjectMeta call; kinds not listed have rules of their own
# (RBAC and API registration names are path segments, a CRD is named <plural>.<group>), not modelled.
NAME_RULES: dict[str, Callable[[str], list[str]]] = {
    "Namespace": dns1123_label,
    "Service": dns1035_label,
    **{
        kind: dns1123_subdomain
        for kind in (
            "Pod",
            "Node",
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Endpoints",
            "ReplicationController",
            "ResourceQuota",
            "LimitRange",
            "Deployment",
            "ReplicaSet",
            "DaemonSet",
            "StatefulSet",
            "ControllerRevision",
            "Job",
            "CronJob",
            "StorageClass",
            "CSIDriver",
            "PodDisruptionBudget",
            "Lease",
            "EndpointSlice",
            "Ingress",
            "IngressClass",
            "NetworkPolicy",
            "PriorityClass",
        )
    },
}


def _mask_trailing_dash(name: str) -> str:
    return name[:-2] + "a" if len(name) > 1 and name.endswith("-") else name


def object_meta(kind: str, meta: Obj) -> list[FieldError]:
    errors: list[FieldError] = []
    rule = NAME_RULES.get(kind)
    generate = meta.get("generateName") or ""
    if generate and rule:
        errors += [invalid("metadata.generateName", generate, m) for m in rule(_mask_trailing_dash(generate))]
    name = meta.get("name") or ""
    if not name and not generate:  # a generated name is made before validation
        errors.append(required("metadata.name", "name or generateName is required"))
    elif rule:
        errors += [invalid("metadata.name", name, m) for m in rule(name)]
    errors += labels(meta.get("labels") or {}, "metadata.labels")
    annotations = meta.get("annotations") or {}
    if sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items()) > MAX_ANNOTATIONS_SIZE:
        errors.append(
            FieldError("metadata.annotations", f"Too long: may not be more than {MAX_ANNOTATIONS_SIZE} bytes")
        )
    return errors


def labels(values: Obj, path: str) -> list[FieldError]:
    errors = []
    for value in values.values():
        if isinstance(value, str):
            if len(value) > 63:
                errors.append(invalid(path, value, "must be no more than 63 characters"))
            if not re.fullmatch(LABEL_VALUE, value):
                errors.append(
                    invalid(
                        path,
                        value,
                        regex_error(
                            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                            "'.', and must start and end with an alphanumeric character",
                            LABEL_VALUE,
                            "MyValue",
                            "my_value",
                            "12345",
                        ),
                    )
                )
    return errors


def pod_spec(spec: Obj, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    containers = spec.get("containers") or []
    if not containers:
        errors.append(required(f"{path}.containers"))
    seen: set[str] = set()
    for i, container in enumerate(containers):
        here = f"{path}.containers[{i}]"
        name = container.get("name") or ""
        if not name:
            errors.append(required(f"{here}.name"))
        elif name in seen:
            errors.append(FieldError(f"{here}.name", f"Duplicate value: {json.dumps(name)}"))
        else:
            errors += [invalid(f"{here}.name", name, m) for m in dns1123_label(name)]
        seen.add(name)
        if not container.get("image"):
            errors.append(required(f"{here}.image"))
        for j, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort")
            if not number:
                errors.append(required(f"{here}.ports[{j}].containerPort"))
            elif not 1 <= number <= 65535:
                errors.append(
                    invalid(f"{here}.ports[{j}].containerPort", number, "must be between 1 and 65535, inclusive")
                )
    restart = spec.get("restartPolicy")
    if restart and restart not in ("Always", "OnFailure", "Never"):
        errors.append(not_supported(f"{path}.restartPolicy", restart, ("Always", "Never", "OnFailure")))
    return errors


def non_negative(path: str, value: Any) -> list[FieldError]:
    if isinstance(value, int) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def _int_or_string(value: Any) -> str:
    """fmt's %#v of an intstr.IntOrString, as field errors print it (it has no value String method)."""
    if isinstance(value, str):
        return f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{json.dumps(value)}}}"
    return f'intstr.IntOrString{{Type:0, IntVal:{value}, StrVal:""}}'


def positive_int_or_percent(path: str, value: Any) -> list[FieldError]:
    """ValidatePositiveIntOrPercent (pkg/apis/apps/validation) with IsValidPercent."""
    if isinstance(value, str) and not re.fullmatch("[0-9]+%", value):
        return [
            FieldError(
                path,
                f"Invalid value: {_int_or_string(value)}: "
                + regex_error(
                    "a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%"
                ),
            )
        ]
    return non_negative(path, value)


def budget(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    return [
        e
        for key in ("minAvailable", "maxUnavailable")
        if key in spec
        for e in positive_int_or_percent(f"spec.{key}", spec[key])
    ]


def _data_size(obj: Obj) -> int:
    size = sum(len(v.encode()) for v in (obj.get("data") or {}).values() if isinstance(v, str))
    return size + sum(len(base64.b64decode(v)) for v in (obj.get("binaryData") or {}).values() if isinstance(v, str))


def _keys(obj: Obj, bag: str) -> list[FieldError]:
    return [invalid(f"{bag}[{key}]", key, m) for key in (obj.get(bag) or {}) for m in config_key(key)]


def config_map(obj: Obj) -> list[FieldError]:
    errors = _keys(obj, "data") + _keys(obj, "binaryData")
    if _data_size(obj) > MAX_SECRET_SIZE:
        errors.append(FieldError("[]", f"Too long: may not be more than {MAX_SECRET_SIZE} bytes"))
    return errors


def secret(obj: Obj) -> list[FieldError]:
    errors = _keys(obj, "data")
    size = sum(len(base64.b64decode(v)) for v in (obj.get("data") or {}).values() if isinstance(v, str))
    size += sum(len(v.encode()) for v in (obj.get("stringData") or {}).values() if isinstance(v, str))
    if size > MAX_SECRET_SIZE:
        errors.append(FieldError("data", f"Too long: may not be more than {MAX_SECRET_SIZE} bytes"))
    return errors


def service(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = []
    kind = spec.get("type")
    if kind and kind not in ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort"):
        errors.append(not_supported("spec.type", kind, ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")))
    # validateServicePort (pkg/apis/core/validation): IsValidPortNum for the port and an int targetPort, which
    # SetDefaults_Service has set to the port when it was left out.
    for i, port in enumerate(spec.get("ports") or []):
        number = port.get("port") or 0
        target = port.get("targetPort") or number
        for name, value in (("port", number), ("targetPort", target)):
            if isinstance(value, int) and not 1 <= value <= 65535:
                errors.append(invalid(f"spec.ports[{i}].{name}", value, "must be between 1 and 65535, inclusive"))
    return errors


def claim(obj: Obj) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = []
    if not spec.get("accessModes"):
        errors.append(required("spec.accessModes", "at least 1 access mode is required"))
    if "storage" not in ((spec.get("resources") or {}).get("requests") or {}):
        errors.append(required("spec.resources[storage]"))
    return errors


def _template(obj: Obj, path: str) -> list[FieldError]:
    template = obj
    for part in path.split("."):
        template = (template.get(part) or {}) if isinstance(template, dict) else {}
    return pod_spec(template.get("spec") or {}, f"{path}.spec")


def custom_resource_definition(crd: Obj) -> list[FieldError]:
    """The checks of ValidateCustomResourceDefinition (apiextensions-apiserver pkg/apis/apiextensions/validation)
    that decide what is served: names, scope, exactly one storage version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    errors = [required(f"spec.names.{n}") for n in ("plural", "kind") if not names.get(n)]
    if not spec.get("group"):
        errors.append(required("spec.group"))
    name = (crd.get("metadata") or {}).get("name", "")
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        errors.append(invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if spec.get("scope") not in ("Cluster", "Namespaced"):
        errors.append(not_supported("spec.scope", str(spec.get("scope") or ""), ("Cluster", "Namespaced")))
    versions = spec.get("versions") or []
    if not versions or sum(1 for v in versions if v.get("storage")) != 1:
        shown = [v.get("name") for v in versions]  # kube-apiserver prints the Go values of the versions
        errors.append(invalid("spec.versions", shown, "must have exactly one version marked as storage version"))
    return errors


BY_KIND: dict[str, Callable[[Obj], list[FieldError]]] = {
    "CustomResourceDefinition": custom_resource_definition,
    "Pod": lambda o: pod_spec(o.get("spec") or {}, "spec"),
    "ConfigMap": config_map,
    "Secret": secret,
    "Service": service,
    "PersistentVolumeClaim": claim,
    **{
        kind: (
            lambda o: (
                non_negative("spec.replicas", (o.get("spec") or {}).get("replicas")) + _template(o, "spec.template")
            )
        )
        for kind in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")
    },
    **{kind: (lambda o: _template(o, "spec.template")) for kind in ("DaemonSet", "Job")},
    "PodDisruptionBudget": budget,
    "CronJob": lambda o: _template(o, "spec.jobTemplate.spec.template"),
}


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, f"Forbidden: {detail}")


def _go_selector(selector: Obj) -> str:
    """fmt's %#v of a metav1.LabelSelector, as ValidateImmutableField prints it."""
    labels = selector.get("matchLabels")
    shown = (
        "map[string]string(nil)"
        if labels is None
        else "map[string]string{"
        + ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(labels.items()))
        + "}"
    )
    expressions = selector.get("matchExpressions")
    listed = (
        "[]v1.LabelSelectorRequirement(nil)"
        if expressions is None
        else "[]v1.LabelSelectorRequirement{"
        + ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{json.dumps(e.get('key', ''))}, Operator:{json.dumps(e.get('operator', ''))}, "
            f"Values:{'[]string(nil)' if e.get('values') is None else '[]string{' + ', '.join(map(json.dumps, e['values'])) + '}'}}}"
            for e in expressions
        )
        + "}"
    )
    return f"v1.LabelSelector{{MatchLabels:{shown}, MatchExpressions:{listed}}}"


def _selector_update(new: Obj, old: Obj) -> list[FieldError]:
    """apps/v1 selectors cannot change (ValidateDeploymentUpdate and its siblings, ValidateImmutableField)."""
    selector, before = (new.get("spec") or {}).get("selector"), (old.get("spec") or {}).get("selector")
    if isinstance(selector, dict) and selector != before:
        return [FieldError("spec.selector", f"Invalid value: {_go_selector(selector)}: field is immutable")]
    return []


# ValidateStatefulSetUpdate: what an update may change in a StatefulSet's spec.
STATEFULSET_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def _statefulset_update(new: Obj, old: Obj) -> list[FieldError]:
    spec, before = new.get("spec") or {}, old.get("spec") or {}
    # Fields the update leaves out keep the stored (defaulted) value, so only the ones given are compared.
    if any(spec[k] != before.get(k) for k in spec if k not in STATEFULSET_MUTABLE):
        return [
            forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden",
            )
        ]
    return []


def _storage_class_update(new: Obj, old: Obj) -> list[FieldError]:
    """ValidateStorageClassUpdate (pkg/apis/storage/validation); the defaults are the API's."""
    errors = []
    if (new.get("parameters") or {}) != (old.get("parameters") or {}):
        errors.append(forbidden("parameters", "updates to parameters are forbidden."))
    for key, default in (("provisioner", ""), ("reclaimPolicy", "Delete")):
        if (new.get(key) or default) != (old.get(key) or default):
            errors.append(forbidden(key, f"updates to {key} are forbidden."))
    mode, before = new.get("volumeBindingMode") or "Immediate", old.get("volumeBindingMode") or "Immediate"
    if mode != before:
        errors.append(invalid("volumeBindingMode", mode, "field is immutable"))
    return errors


def _job_update(new: Obj, old: Obj) -> list[FieldError]:
    """A NonIndexed Job's completions cannot change (ValidateJobSpecUpdate)."""
    spec, before = new.get("spec") or {}, old.get("spec") or {}
    completions = spec.get("completions")
    if (
        (spec.get("completionMode") or "NonIndexed") == "NonIndexed"
        and completions is not None
        and completions != before.get("completions")
    ):
        return [invalid("spec.completions", completions, "field is immutable")]
    return []


UPDATES: dict[str, Callable[[Obj, Obj], list[FieldError]]] = {
    "Deployment": _selector_update,
    "ReplicaSet": _selector_update,
    "DaemonSet": _selector_update,
    "StatefulSet": _statefulset_update,
    "StorageClass": _storage_class_update,
    "Job": _job_update,
}


def _aggregate(errors: list[FieldError]) -> str:
    texts = [f"{e.field}: {e.body}" for e in errors]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def validate(rt: ResourceType, obj: Obj, old: Obj | None = None) -> None:
    """Raise kube-apiserver's 422 for an object it would refuse to store (`old`: the stored object an
    update replaces)."""
    errors = object_meta(rt.kind, obj.get("metadata") or {})
    if old is not None and rt.kind in UPDATES:
        errors += UPDATES[rt.kind](obj, old)
    check = BY_KIND.get(rt.kind)
    if check:
        errors += check(obj)
    if not errors:
        return
    name = (obj.get("metadata") or {}).get("name") or ""
    qualified = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    # StatusDetails' order, with its empty fields left out (omitempty)
    details: Obj = {
        "name": name,
        "group": rt.group,
        "kind": rt.kind,
        "causes": [{"reason": e.reason, "message": e.body, "field": e.field} for e in errors],
    }
    details = {k: v for k, v in details.items() if v}
    raise ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {_aggregate(errors)}', details)
