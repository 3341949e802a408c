"""Tutorial step 5, "Launch an edge AI workload": the inference service deployed, reached, measured, tuned.

The service's source travels in a ConfigMap, as in the tutorial, and runs in `python:3.11-slim`. It is
reached on 127.0.0.1 only, through the API server's service proxy with the kubeconfig's own
credentials (the tutorial's caution: nothing is exposed beyond this machine). On the simulator the
pods run the real service as local processes, so every latency here is measured on this machine and
labelled `local`: it is not a Raspberry Pi figure.

A downloaded model (live, or `edge_model_url`) is kept on each node in `MODEL_CACHE`, a hostPath
directory, under a name made from its URL: a pod restart, a redeploy of the tuning sweep or a second
replica on the same node finds it there (its SHA-256 checked) instead of downloading 100 MB again.
"""

from __future__ import annotations

import hashlib
import math
import ssl
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pandas as pd
import yaml
from kubernetes import client
from tqdm.auto import tqdm

from sugarlab import payloads
from sugarlab.kube.apply import server_side_apply
from sugarlab.kube.top import top_pods
from sugarlab.kube.wait import Pending, Pods, wait_for
from sugarlab.lab.errors import ClusterError, MetricsUnavailable, ParameterError, WaitTimeout
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab
from sugarlab.payloads.edge_ai import DEFAULT_MODEL_URL, synthetic_jpeg
from sugarlab.payloads.edge_ai.settings import OFFLINE_MODELS
from sugarlab.steps.operations.events import keep as keep_events

NAMESPACE, NAME, PORT = "edge-ai", "vehicle-detector", 9000
# The simulator runs each inference pod as a process of this machine, which imports ONNX Runtime and builds
# its model on the wall clock (seconds on 2 idle cores, many more on a loaded machine), while the
# cluster's clock runs `speed` times faster: its rollout waits at least this long in real seconds.
LOCAL_START_S = 120.0
CONFIGMAP = "workloads/edge-ai/vehicle-detector-configmap.yaml"
DEPLOYMENT = "workloads/edge-ai/edge-ai-deployment.yaml"
INFERENCE_LOG, USAGE, TUNING = "edge-ai/inference.log", "edge-ai/resource-usage.csv", "edge-ai/tuning-experiments.md"
PACKAGE = Path(payloads.__file__).parent.parent  # the sugarlab package, as the pod mounts it
# The service's modules (a payload imports nothing of the workbook); the packages around it are mounted empty.
PACKAGES = ["__init__.py", "payloads/__init__.py"]
SOURCES = sorted(p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "payloads" / "edge_ai").glob("*.py"))
MODEL_CACHE = "/var/lib/sugarlab/models"  # on each node; the pods mount it at /models
# What the container installs at start, the service's own dependencies.
PIP = "fastapi uvicorn python-multipart onnxruntime onnx 'ml_dtypes<0.7' numpy pillow filelock"  # see pyproject.toml
# A rehearsal's model: trained, so its answers mean something (the service's own default offline).
OFFLINE_MODEL = "efficientnet-lite0"


def downloads(p: LabParams) -> bool:
    """Whether the pods download their model: always live (no URL publishes the EfficientNet-Lite0 graph,
    so live pods keep the tutorial's ResNet-50 from the model zoo), or when a rehearsal names a URL."""
    return p.backend == "live" or bool(p.edge_model_url)


@dataclass(frozen=True)
class Tuning:
    max_batch: int = 4
    intra_op_threads: int = 2
    replicas: int = 2
    cpu_limit: str = "2"

    def __str__(self) -> str:
        return (
            f"batch {self.max_batch}, {self.intra_op_threads} threads, {self.replicas} replicas, cpu {self.cpu_limit}"
        )

    @classmethod
    def of(cls, row: pd.Series) -> Tuning:
        """The setting a row of the study measured."""
        return cls(int(row["max_batch"]), int(row["intra_op_threads"]), int(row["replicas"]), str(row["cpu_limit"]))


DEFAULT_TUNING = asdict(Tuning())  # the setting each knob of the sweep is varied from


# -- manifests ------------------------------------------------------------------------------------------
def _key(source: str) -> str:
    """A ConfigMap key for a file under the package (keys cannot hold `/`)."""
    return "sugarlab." + source.replace("/", ".")


def source_configmap() -> dict[str, Any]:
    """The service's modules under keys a volume maps back."""
    data = {**{_key(s): "" for s in PACKAGES}, **{_key(s): (PACKAGE / s).read_text() for s in SOURCES}}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{NAME}-code", "namespace": NAMESPACE},
        "data": data,
    }


def cached_model_name(url: str) -> str:
    """The model's file name in the node's cache: its URL's own name behind a digest of the whole URL, so
    two URLs never share a file."""
    name = url.rstrip("/").rsplit("/", 1)[-1] or "model.onnx"
    return f"{hashlib.sha256(url.encode()).hexdigest()[:12]}-{name}"


def deployment_manifests(p: LabParams, tuning: Tuning, offline_model: str = OFFLINE_MODEL) -> list[dict[str, Any]]:
    """The Deployment and Service; a rehearsal runs `offline_model`, a live cluster the model at its URL."""
    env = {
        "HOST": "0.0.0.0",
        "PORT": str(PORT),  # in the container, for the Service to reach it
        "MAX_BATCH": str(tuning.max_batch),
        "INTRA_OP_THREADS": str(tuning.intra_op_threads),
    }
    if downloads(p):
        url = p.edge_model_url or DEFAULT_MODEL_URL
        env |= {"MODEL_URL": url, "MODEL_PATH": f"/models/{cached_model_name(url)}"}
    else:
        env["OFFLINE_MODEL"] = offline_model
    cpu_request = tuning.cpu_limit if p.edge_pin_cpus else p.edge_cpu_request
    memory_request = p.edge_memory_limit if p.edge_pin_cpus else p.edge_memory_request
    key, rest = p.worker_taint.split("=", 1)
    value, effect = rest.split(":")
    container = {
        "name": "inference",
        "image": p.edge_image,
        "command": [
            "/bin/sh",
            "-c",
            f"pip install --no-cache-dir {PIP} && cd /app && exec python -m sugarlab.payloads.edge_ai",
        ],
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "ports": [{"containerPort": PORT}],
        "resources": {
            "requests": {"cpu": cpu_request, "memory": memory_request},
            "limits": {"cpu": tuning.cpu_limit, "memory": p.edge_memory_limit},
        },
        # pip install runs first: allow ten minutes to start, then probe as usual.
        "startupProbe": {"httpGet": {"path": "/healthz", "port": PORT}, "periodSeconds": 5, "failureThreshold": 120},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": PORT}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": PORT}, "periodSeconds": 10},
        "volumeMounts": [{"name": "app-code", "mountPath": "/app"}, {"name": "models", "mountPath": "/models"}],
    }
    items = [{"key": _key(s), "path": f"sugarlab/{s}"} for s in [*PACKAGES, *SOURCES]]
    labels = {"app": NAME}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "replicas": tuning.replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [container],
                    "tolerations": [{"key": key, "operator": "Equal", "value": value, "effect": effect}],
                    "volumes": [
                        {"name": "app-code", "configMap": {"name": f"{NAME}-code", "items": items}},
                        {"name": "models", "hostPath": {"path": MODEL_CACHE, "type": "DirectoryOrCreate"}},
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {"selector": labels, "ports": [{"port": PORT, "targetPort": PORT}]},
    }
    return [deployment, service]


def write_manifests(lab: Lab, configmap: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    lab.workspace.write_text(CONFIGMAP, yaml.safe_dump(configmap, sort_keys=False))
    lab.workspace.write_text(DEPLOYMENT, yaml.safe_dump_all(docs, sort_keys=False))


def apply(lab: Lab, docs: list[dict[str, Any]]) -> None:
    """Server-side apply, so a rerun or a new tuning updates what is there."""
    server_side_apply(lab.cluster, docs, NAMESPACE)


def wait_rollout(lab: Lab, progress: bool = True) -> dict[str, Any]:
    """Until every replica of the current template is available (`kubectl rollout status`)."""
    apps = client.AppsV1Api(lab.cluster.api)

    def rolled_out() -> dict[str, Any] | Pending:
        deployment = lab.cluster.api.sanitize_for_serialization(apps.read_namespaced_deployment(NAME, NAMESPACE))
        status, wanted = deployment.get("status", {}), deployment["spec"]["replicas"]
        if (
            status.get("observedGeneration", 0) >= deployment["metadata"]["generation"]
            and status.get("updatedReplicas") == wanted == status.get("availableReplicas")
            and status.get("replicas") == wanted
        ):
            return dict(deployment)
        available = status.get("availableReplicas", 0)
        return Pending(available, wanted, f"{available} of {wanted} replicas available")

    try:
        return wait_for(
            rolled_out,
            f"{NAME} rollout",
            lab.params.edge_rollout_timeout,
            speed=lab.cluster.speed,
            progress=progress,
            pods=Pods(lab.cluster.core, NAMESPACE, f"app={NAME}", "edge_image"),
            real_floor=LOCAL_START_S if lab.cluster.rehearsal else 0.0,
            counts=lambda deployment: (
                deployment["status"].get("availableReplicas", 0),
                deployment["spec"]["replicas"],
            ),
        )
    except WaitTimeout as late:
        raise ClusterError(
            f"deployment {NAMESPACE}/{NAME}: {late.last.seen} after {late.timeout:.0f} s; "
            f"check `kubectl describe pods -n {NAMESPACE}` (image pull, pip install, probes)"
        ) from None


# -- reaching it -----------------------------------------------------------------------------------------
def service_client(lab: Lab, timeout: float = 120.0) -> httpx.Client:
    """HTTP to the service through the API server's proxy, with the kubeconfig's credentials."""
    conf = lab.cluster.api.configuration
    headers = {s["key"]: s["value"] for s in conf.auth_settings().values() if s["in"] == "header" and s["value"]}
    cert = (conf.cert_file, conf.key_file) if conf.cert_file else None
    verify = ssl.create_default_context(cafile=conf.ssl_ca_cert) if conf.ssl_ca_cert else conf.verify_ssl
    return httpx.Client(
        base_url=f"{conf.host}/api/v1/namespaces/{NAMESPACE}/services/{NAME}:{PORT}/proxy",
        headers=headers,
        cert=cert,
        verify=verify,
        timeout=timeout,
    )


def sample_image(lab: Lab) -> tuple[bytes, str]:
    """The image to classify and what it is."""
    if lab.params.edge_sample_image:
        path = Path(lab.params.edge_sample_image).expanduser()
        if not path.is_file():
            raise ParameterError(
                "edge_sample_image", str(path), "an image file that exists (or empty for a generated scene)"
            )
        return path.read_bytes(), f"{path.name} (given)"
    return synthetic_jpeg(), "a generated 1920x1080 street-like scene (no photo is bundled or downloaded)"


def infer(http: httpx.Client, image: bytes) -> dict[str, Any]:
    response = http.post("/infer", files={"image": ("image.jpg", image, "image/jpeg")})
    if response.status_code != 200:
        raise ClusterError(f"POST /infer through the service proxy answered {response.status_code}: {response.text}")
    return cast(dict[str, Any], response.json())


def answer_table(answer: dict[str, Any]) -> pd.DataFrame:
    """The service's top classes, best first: class index, label (when the model carries labels), probability."""
    top = pd.DataFrame(answer["top"])
    columns = ["index", "label", "probability"] if "label" in top else ["index", "probability"]
    return top[columns].rename(columns={"index": "class index"})


def answer_markdown(answer: dict[str, Any]) -> str:
    """One answer of the service as a person reads it: the model, its note on what the answers mean (the
    offline ResNet-50 stand-in's synthetic weights make every class tie), then the top classes as a table."""
    table = answer_table(answer)
    labelled = "label" in table
    lines = [f"**Model:** {answer['model']}, answered in {answer['timing_ms']['total']:.0f} ms", ""]
    if answer.get("note"):
        lines += [f"**Note:** {answer['note']}.", ""]
    if not labelled:
        lines += ["The model carries no class labels: classes are named by their index.", ""]
    shown = table.assign(probability=[f"{p:.1%}" for p in table["probability"]])
    rows: str = shown.to_markdown(index=False, colalign=("right", "left", "right") if labelled else ("right", "right"))
    return "\n".join([*lines, rows])


def log_inference(lab: Lab, answer: dict[str, Any], what: str) -> None:
    text = yaml.safe_dump({"image": what, "provenance": _provenance(lab), "answer": answer}, sort_keys=False)
    lab.workspace.write_text(INFERENCE_LOG, text)


def _provenance(lab: Lab) -> str:
    return lab.cluster.workload_provenance


# -- load ---------------------------------------------------------------------------------------------------
@dataclass
class Load:
    latencies_ms: list[float]
    errors: int
    seconds: float

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms) or [float("nan")]
        quantiles = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
        return {
            "requests": len(self.latencies_ms) + self.errors,
            "errors": self.errors,
            "p50_ms": quantiles[49],
            "p95_ms": quantiles[94],
            "p99_ms": quantiles[98],
            "throughput_rps": len(self.latencies_ms) / self.seconds if self.seconds else 0.0,
        }


def load(http: httpx.Client, image: bytes, concurrency: int, requests: int) -> Load:
    """`requests` inferences, `concurrency` at a time: a bounded run that stops by itself."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(_: int) -> None:
        nonlocal errors
        began = time.perf_counter()
        try:
            ok = http.post("/infer", files={"image": ("image.jpg", image, "image/jpeg")}).status_code == 200
        except httpx.HTTPError:
            ok = False
        with lock:
            if ok:
                latencies.append((time.perf_counter() - began) * 1000)
            else:
                errors += 1

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    return Load(latencies, errors, time.perf_counter() - began)


def load_with_usage(
    lab: Lab, http: httpx.Client, image: bytes, concurrency: int, requests: int
) -> tuple[Load, pd.DataFrame]:
    """A load with pod usage sampled from the metrics API while it runs (`kubectl top pods -n edge-ai`)."""
    samples: list[pd.DataFrame] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                samples.append(top_pods(lab.cluster, NAMESPACE).assign(provenance=_provenance(lab)))
            except MetricsUnavailable:
                return
            done.wait(lab.real_seconds(15))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = load(http, image, concurrency, requests)
    finally:
        done.set()
        sampler.join()
    return result, pd.concat(samples, ignore_index=True) if samples else pd.DataFrame()


# -- tuning study ------------------------------------------------------------------------------------------
def sweep(size: str) -> list[tuple[Tuning, list[int]]]:
    """Settings to compare, one knob at a time from the default, each with the concurrencies to load it at.

    The small sweep loads every setting at its highest concurrency, which is all `choose` compares, and
    the default also at concurrency 1, the latency of a lone request. Settings are ordered so that pods
    are replaced as rarely as possible: the default first (it is already deployed), then replica counts
    (a scale keeps the pods it has), then the knobs that change the pod template, the thread count last:
    where replicas times threads exceed the cores (this machine's two, under the simulator) one thread
    usually serves most, and the chosen setting is left deployed, so it then needs no new pods.
    """
    base = Tuning()
    if size == "full":
        variants = [
            base,
            Tuning(replicas=1),
            Tuning(replicas=3),
            Tuning(max_batch=1),
            Tuning(max_batch=8),
            Tuning(intra_op_threads=1),
            Tuning(intra_op_threads=4),
            Tuning(cpu_limit="1"),
            Tuning(max_batch=1, intra_op_threads=1, replicas=4, cpu_limit="1"),
        ]
        return [(tuning, [1, 4, 16]) for tuning in variants]
    variants = [Tuning(replicas=1), Tuning(max_batch=1), Tuning(cpu_limit="1"), Tuning(intra_op_threads=1)]
    return [(base, [1, 8]), *[(tuning, [8]) for tuning in variants]]


@dataclass(frozen=True)
class Study:
    results: pd.DataFrame  # one row per setting and concurrency
    latencies: dict[str, list[float]]  # every request's latency, by setting and concurrency
    usage: pd.DataFrame  # pod usage sampled while the default setting was loaded at its highest concurrency

    @property
    def provenance(self) -> str:
        return str(self.results["provenance"].iloc[0])


def tuning_study(lab: Lab, http: httpx.Client, image: bytes, progress: bool = True) -> Study:
    """Every setting of the sweep deployed in turn and loaded at its concurrencies; the pod usage under
    the default setting's heaviest load is written to `edge-ai/resource-usage.csv`."""
    rows, distributions, usage = [], {}, pd.DataFrame()
    for tuning, concurrencies in tqdm(
        sweep(lab.params.sweep_size), desc="tuning sweep", unit="setting", disable=not progress
    ):
        apply(lab, deployment_manifests(lab.params, tuning))  # unchanged settings and replica counts start no pods
        wait_rollout(lab, progress=False)
        keep_events(lab)  # each setting's rollout, before the sweep outlasts the event TTL
        infer(http, image)  # warm every path once before measuring
        for concurrency in concurrencies:
            if tuning == Tuning() and concurrency == max(concurrencies):
                result, usage = load_with_usage(lab, http, image, concurrency, lab.params.sweep_requests)
            else:
                result = load(http, image, concurrency, lab.params.sweep_requests)
            rows.append(
                {**asdict(tuning), "concurrency": concurrency, **result.summary(), "provenance": _provenance(lab)}
            )
            distributions[f"{tuning} @ c{concurrency}"] = result.latencies_ms
    lab.workspace.write_text(USAGE, usage.to_csv(index=False))
    return Study(pd.DataFrame(rows), distributions, usage)


def choose(study: pd.DataFrame) -> tuple[pd.Series, str]:
    """The error-free setting with the best throughput at the highest concurrency; lower p95 breaks ties."""
    at_top = study[study["concurrency"] == study["concurrency"].max()]
    clean = at_top[at_top["errors"] == 0]
    if clean.empty:
        raise ClusterError("every setting had errors at the highest concurrency; see the study table")
    best = clean.sort_values(["throughput_rps", "p95_ms"], ascending=[False, True]).iloc[0]
    why = (
        f"At concurrency {int(best['concurrency'])} it served {best['throughput_rps']:.1f} requests/s with p95 "
        f"{best['p95_ms']:.0f} ms and no errors"
    )
    default = at_top[(at_top[list(asdict(Tuning()))] == pd.Series(asdict(Tuning()))).all(axis=1)]
    if not default.empty:
        d = default.iloc[0]
        why += (
            f", against {d['throughput_rps']:.1f} requests/s, p95 {d['p95_ms']:.0f} ms and "
            f"{int(d['errors'])} errors for the default setting"
        )
    return best, why + "."


def tuning_report(
    study: pd.DataFrame, best: pd.Series, why: str, provenance: str, models: pd.DataFrame | None = None
) -> str:
    columns = [
        "max_batch",
        "intra_op_threads",
        "replicas",
        "cpu_limit",
        "concurrency",
        "requests",
        "errors",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "throughput_rps",
    ]
    table = study[columns].to_markdown(index=False, floatfmt=".1f")
    where = (
        "measured on the machine running the simulated cluster (figures labelled `local`), not on a Raspberry Pi"
        if provenance == "local"
        else "measured on the cluster through the API server's proxy"
    )
    return (
        f"# Edge AI tuning experiments\n\nEach setting was deployed in turn and loaded through the service proxy; "
        f"latencies are {where}.\n\n{table}\n\n## Chosen setting\n\n"
        f"`MAX_BATCH={best['max_batch']}`, `INTRA_OP_THREADS={best['intra_op_threads']}`, "
        f"replicas {best['replicas']}, CPU limit {best['cpu_limit']}.\n\n{why}\n"
        + (_models_section(models) if models is not None else "")
    )


# -- models and floors ---------------------------------------------------------------------------------------
FLOOR_REPEATS = 9


def floors(model: str, image: bytes) -> tuple[float, float]:
    """p50 milliseconds of the offline `model` alone and of the service's preprocessing alone, measured in this
    process (`sugarlab.payloads.edge_ai.floors`)."""
    from sugarlab.payloads.edge_ai.classifier import read_model  # only this study loads a model here
    from sugarlab.payloads.edge_ai.floors import Floors
    from sugarlab.payloads.edge_ai.settings import Settings

    graph, _, _ = read_model(Settings(offline_model=model))
    sampled = Floors(graph.SerializeToString(), image)
    for repeat in range(FLOOR_REPEATS):
        sampled.sample(settle=repeat == FLOOR_REPEATS - 1)
    return sampled.medians()


def model_comparison(lab: Lab, http: httpx.Client, image: bytes, tuning: Tuning, progress: bool = True) -> pd.DataFrame:
    """Each model the pods can run, deployed with `tuning`: a lone request's p50 against the floors measured
    in this process, and the throughput at the sweep's highest concurrency. On a live cluster only the
    tutorial's ResNet-50 (its URL) is compared; a rehearsal compares the trained EfficientNet-Lite0 with
    the offline ResNet-50, the lab's own model last, so that the caller's redeploy of the setting it keeps
    starts no pods."""
    top = max(c for _, concurrencies in sweep(lab.params.sweep_size) for c in concurrencies)
    others = [m for m in OFFLINE_MODELS if m != OFFLINE_MODEL]
    models = ["resnet50 (MODEL_URL)"] if downloads(lab.params) else [*others, OFFLINE_MODEL]
    rows = []
    for model in tqdm(models, desc="models", unit="model", disable=not progress):
        apply(lab, deployment_manifests(lab.params, tuning, model.split()[0]))
        wait_rollout(lab, progress=False)
        answer = infer(http, image)  # warms the new pods, and names the model they loaded
        alone = load(http, image, 1, max(8, lab.params.sweep_requests // 2)).summary()
        loaded = load(http, image, top, lab.params.sweep_requests).summary()
        model_ms, prep_ms = floors(model.split()[0], image) if not downloads(lab.params) else (math.nan, math.nan)
        rows.append(
            {
                "model": answer["model"],
                "p50_ms_alone": alone["p50_ms"],
                "model_floor_ms": model_ms,
                "preprocess_floor_ms": prep_ms,
                "p50_over_floors": alone["p50_ms"] / (model_ms + prep_ms),
                "concurrency": top,
                "throughput_rps": loaded["throughput_rps"],
                "errors": alone["errors"] + loaded["errors"],
                "provenance": _provenance(lab),
            }
        )
    return pd.DataFrame(rows)


def _models_section(models: pd.DataFrame) -> str:
    table = models.drop(columns=["provenance"]).to_markdown(index=False, floatfmt=".2f")
    return (
        "\n## Models\n\nThe chosen setting with each model: a lone request's p50 through the service proxy "
        "against the floors measured in the notebook's process (the model alone with ONNX Runtime's default "
        "options, and the service's preprocessing alone; `benchmarks/edge_ai_latency.py` compares the service "
        f"with the tutorial's app on 127.0.0.1, without the proxy), and the throughput under load.\n\n{table}\n"
    )
