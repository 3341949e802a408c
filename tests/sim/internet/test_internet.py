"""The simulated internet over 127.0.0.1: real pip against its PyPI, urllib against GitHub's and Wikimedia's URLs."""

from __future__ import annotations

import hashlib
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sugarlab.payloads.edge_ai.model_files import DEFAULT_MODEL_URL, offline_model_path
from sugarlab.sim.world.internet import HOSTS, address_of
from tests.sim.internet.world import World, internet

PHOTO_URL = "https://upload.wikimedia.org/wikipedia/commons/5/5f/Traffic_in_Singapore%2C_Jan_2016_-_02.jpg"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with internet(tmp_path_factory.mktemp("state")) as running:
        yield running


def _pip(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--index-url", "https://pypi.org/simple", "--cert", str(world.ca),
         "--proxy", world.proxy, "--disable-pip-version-check", "--no-input", "--isolated"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _opener(world: World) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=str(world.ca))
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": world.proxy}), urllib.request.HTTPSHandler(context=context)
    )


def test_the_catalogued_hosts_resolve_to_their_public_addresses_and_others_to_nothing() -> None:
    assert address_of("pypi.org") == "151.101.0.223"
    assert address_of("GitHub.com.") == HOSTS["github.com"].address
    assert address_of("example.com") is None
    assert address_of("huggingface.co") is None


def test_pip_installs_a_rebuilt_wheel_that_imports(world: World, tmp_path: Path) -> None:
    done = _pip(world, "install", "--target", str(tmp_path / "t"), "--no-deps", "six")
    assert done.returncode == 0, done.stderr
    wheel = next((world.state_dir / "internet" / "wheels").glob("six-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "six.py" in names and "six-1.17.0.dist-info/RECORD" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(("INSTALLER", "REQUESTED", "direct_url.json"))]
    imported = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import six; print(six.__file__)",
         str(tmp_path / "t")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert imported.stdout.startswith(str(tmp_path / "t"))


def test_the_tutorials_requirements_resolve_against_the_simulated_pypi(world: World, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = _pip(
        world, "install", "--dry-run", "--ignore-installed", "--report", str(report),
        "fastapi", "uvicorn[standard]", "pillow", "onnxruntime", "numpy",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert {"fastapi", "uvicorn", "uvloop", "httptools", "watchfiles", "onnxruntime", "numpy", "pillow"} <= names


def test_an_uninstalled_project_is_a_404_and_names_are_normalised(world: World) -> None:
    context = ssl.create_default_context(cafile=str(world.ca))
    with httpx.Client(base_url="https://pypi.org", verify=context, proxy=world.proxy) as pypi:
        assert pypi.get("/simple/no-such-project-here/").status_code == 404
        moved = pypi.get("/simple/PyYAML/")
        assert (moved.status_code, moved.headers["location"]) == (301, "/simple/pyyaml/")
        page = pypi.get("/simple/six/", headers={"accept": "application/vnd.pypi.simple.v1+json"})
        assert page.headers["content-type"].startswith("application/vnd.pypi.simple.v1+json")
        (entry,) = page.json()["files"]
        assert entry["url"].startswith("https://files.pythonhosted.org/packages/")
        html = pypi.get("/simple/six/", headers={"accept": "text/html"}).text
        assert f"#sha256={entry['hashes']['sha256']}" in html


def test_port_80_redirects_to_https(world: World) -> None:
    port = world.ports[(HOSTS["github.com"].address, 80)]
    answer = httpx.get(f"http://127.0.0.1:{port}/onnx/models", headers={"host": "github.com"})
    assert (answer.status_code, answer.headers["location"]) == (301, "https://github.com/onnx/models")


def test_the_model_zoos_url_redirects_to_githubs_lfs_host_and_answers_the_offline_model(world: World) -> None:
    with _opener(world).open(DEFAULT_MODEL_URL, timeout=60) as answer:
        assert answer.url.startswith("https://media.githubusercontent.com/media/onnx/models/main/")
        body = answer.read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(offline_model_path().read_bytes()).digest()
    moved = DEFAULT_MODEL_URL.replace("/main/validated/", "/main/")  # the tutorial's, gone since onnx/models#636
    for gone in (moved, "https://github.com/onnx/models/raw/main/no/such/model.onnx"):
        with pytest.raises(urllib.error.HTTPError) as missing:
            _opener(world).open(gone, timeout=60)
        missing.value.close()
        assert missing.value.code == 404


def test_the_tutorials_photo_url_answers_a_jpeg(world: World) -> None:
    with _opener(world).open(PHOTO_URL, timeout=60) as answer:
        assert answer.headers["content-type"] == "image/jpeg"
        assert answer.read(3) == b"\xff\xd8\xff"


def test_a_host_outside_the_catalogue_cannot_be_reached(world: World) -> None:
    with pytest.raises(OSError):
        _opener(world).open("https://example.com/", timeout=30)
