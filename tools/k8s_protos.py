"""Build the simulator's protobuf schema of the Kubernetes API from Kubernetes' own published sources.

Writes `sugarlab/sim/proto/k8s.binpb`, a FileDescriptorSet compiled by protoc (from grpcio-tools) out
of the `generated.proto` files of k8s.io/api and k8s.io/apimachinery, and `sugarlab/sim/proto/
k8s-fields.json`, which says for each message field what only the Go types tell: the JSON name of the
field where it differs from the protobuf one (none for an embedded struct written inline), and whether a zero value is kept in JSON (a pointer, or
a field without `omitempty`) or dropped, as encoding/json does with the Go struct kube-apiserver decodes
into. Run it again (with the new commits named below) to follow a newer Kubernetes:

    python -m venv /tmp/protoc && /tmp/protoc/bin/pip install grpcio-tools
    /tmp/protoc/bin/python tools/k8s_protos.py --api API_CHECKOUT --apimachinery APIMACHINERY_CHECKOUT

Built from github.com/kubernetes/api at 10b39a39bcee995dfe7cd5e8e7b922be5e46f1e2 and
github.com/kubernetes/apimachinery at eed236ceee2c19c2753a3d93ac0631dc20750454, with grpcio-tools 1.85.1;
the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

OUT = Path(__file__).resolve().parents[1] / "sugarlab" / "sim" / "proto"
# The stable API groups kube-apiserver serves, plus the apimachinery types their messages use.
API_DIRS = (
    "admissionregistration/v1",
    "apps/v1",
    "authentication/v1",
    "authorization/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "certificates/v1",
    "coordination/v1",
    "core/v1",
    "discovery/v1",
    "events/v1",
    "flowcontrol/v1",
    "networking/v1",
    "node/v1",
    "policy/v1",
    "rbac/v1",
    "scheduling/v1",
    "storage/v1",
)
MACHINERY_DIRS = ("pkg/api/resource", "pkg/apis/meta/v1", "pkg/runtime", "pkg/runtime/schema", "pkg/util/intstr")
STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.DOTALL | re.MULTILINE)
# `Name Type `json:".." protobuf:".."``, or an embedded `Type `json:",inline" protobuf:".."``.
FIELD = re.compile(r'^\s+(?:\w+\s+)?([\w.\[\]*]+)\s+`json:"([^"]*)"\s+protobuf:"([^"]*)"', re.MULTILINE)


def go_fields(package_dir: Path) -> dict[str, dict[str, list[object]]]:
    """struct -> protobuf field name -> [JSON name ("" when inline), keep a zero value], from one package's Go types."""
    structs: dict[str, dict[str, list[object]]] = {}
    for source in sorted(package_dir.glob("*.go")):
        if source.name.endswith("_test.go"):
            continue
        for struct, body in STRUCT.findall(source.read_text()):
            fields: dict[str, list[object]] = {}
            for go_type, json_tag, proto_tag in FIELD.findall(body):
                json_name, *options = json_tag.split(",")
                proto_name = next((p[5:] for p in proto_tag.split(",") if p.startswith("name=")), "")
                if not proto_name or json_name == "-":
                    continue
                if not json_name:  # an embedded struct whose fields JSON writes inline (`json:",inline"`)
                    fields[proto_name] = ["", False]
                    continue
                keep_zero = go_type.startswith("*") or "omitempty" not in options
                if json_name != proto_name or keep_zero:
                    fields[proto_name] = [json_name, keep_zero]
            if fields:
                structs[struct] = fields
    return structs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", type=Path, required=True, help="a checkout of github.com/kubernetes/api")
    parser.add_argument(
        "--apimachinery", type=Path, required=True, help="a checkout of github.com/kubernetes/apimachinery"
    )
    args = parser.parse_args()
    protos = [(args.api, "k8s.io/api", d) for d in API_DIRS]
    protos += [(args.apimachinery, "k8s.io/apimachinery", d) for d in MACHINERY_DIRS]
    fields: dict[str, dict[str, list[object]]] = {}
    with tempfile.TemporaryDirectory() as include:
        # Every generated.proto goes on the include path, so that whatever the chosen ones import resolves.
        for checkout, module in ((args.api, "k8s.io/api"), (args.apimachinery, "k8s.io/apimachinery")):
            for source in checkout.rglob("generated.proto"):
                target = Path(include, module, source.parent.relative_to(checkout), "generated.proto")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                package = re.search(r"^package ([\w.]+);", source.read_text(), re.MULTILINE)
                assert package is not None, source
                for struct, known in go_fields(source.parent).items():
                    fields[f"{package.group(1)}.{struct}"] = known
        OUT.mkdir(parents=True, exist_ok=True)
        code = protoc.main(
            [
                "protoc",
                f"-I{include}",
                "--include_imports",
                f"--descriptor_set_out={OUT / 'k8s.binpb'}",
                *[f"{module}/{directory}/generated.proto" for _, module, directory in protos],
            ]
        )
        if code != 0:
            raise SystemExit(f"protoc failed with code {code}")
    compiled = descriptor_pb2.FileDescriptorSet.FromString((OUT / "k8s.binpb").read_bytes())
    names = {f"{f.package}.{m.name}" for f in compiled.file for m in f.message_type}
    kept = {name: known for name, known in fields.items() if name in names}
    (OUT / "k8s-fields.json").write_text(json.dumps(kept, sort_keys=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
