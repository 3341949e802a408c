"""The simulated registries: references read as containerd reads them, and pulls that fail as containerd says."""

from __future__ import annotations

import pytest

from sugarlab.common.kubectl import image_name
from sugarlab.sim.world import images
from sugarlab.sim.world.registry import REPOSITORIES, InvalidReference, PullError, digest_of, parse, resolve


@pytest.mark.parametrize(
    ("image", "normalised"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("rancher/klipper-lb:v0.4.13", "docker.io/rancher/klipper-lb:v0.4.13"),
        ("index.docker.io/library/nginx:1.27", "docker.io/library/nginx:1.27"),
        ("registry.k8s.io/sig-storage/nfsplugin:v4.11.0", "registry.k8s.io/sig-storage/nfsplugin:v4.11.0"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
        ("busybox@sha256:" + "a" * 64, "docker.io/library/busybox@sha256:" + "a" * 64),
    ],
)
def test_references_are_normalised_as_containerd_does(image: str, normalised: str) -> None:
    assert str(parse(image)) == normalised


@pytest.mark.parametrize("image", ["Busybox", "busybox:", "nginx:1.27 ", "a//b", "busybox@sha256:abc"])
def test_a_malformed_reference_is_refused(image: str) -> None:
    with pytest.raises(InvalidReference, match="invalid reference format"):
        parse(image)


def test_a_catalogued_tag_resolves_to_its_size_and_digest() -> None:
    image = resolve(parse("nginx:1.27"), "arm64")
    assert image.size > 10_000_000
    assert image.repo_tags == ["docker.io/library/nginx:1.27"]
    assert image.repo_digest == "docker.io/library/nginx@" + digest_of("docker.io/library/nginx", "1.27")


def test_a_catalogued_digest_resolves_and_another_is_not_found() -> None:
    digest = digest_of("docker.io/library/busybox", "1.36")
    assert resolve(parse(f"busybox@{digest}"), "arm64").repo_tags == []
    with pytest.raises(PullError, match=r"busybox@sha256:0{64}: not found$"):
        resolve(parse("busybox@sha256:" + "0" * 64), "arm64")


def test_a_missing_tag_is_not_found() -> None:
    with pytest.raises(PullError) as failed:
        resolve(parse("docker.io/library/python:3.11-slimm"), "arm64")
    assert str(failed.value) == (
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/python:3.11-slimm": '
        'failed to resolve reference "docker.io/library/python:3.11-slimm": '
        "docker.io/library/python:3.11-slimm: not found"
    )


def test_a_missing_repository_on_docker_hub_is_access_denied() -> None:
    with pytest.raises(PullError) as failed:
        resolve(parse("docker.io/library/pyhton:3.11-slim"), "arm64")
    assert str(failed.value) == (
        'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/pyhton:3.11-slim": '
        'failed to resolve reference "docker.io/library/pyhton:3.11-slim": pull access denied, repository does '
        "not exist or may require authorization: server message: insufficient_scope: authorization failed"
    )


def test_an_image_without_a_build_for_the_node_has_no_match_for_its_platform() -> None:
    assert resolve(parse("polinux/stress"), "amd64").size > 0
    with pytest.raises(PullError, match=r"code = NotFound .*: no match for platform in manifest: not found$"):
        resolve(parse("polinux/stress"), "arm64")


def test_an_unknown_registry_host_does_not_resolve() -> None:
    with pytest.raises(PullError, match=r"dial tcp: lookup registry\.example: no such host$"):
        resolve(parse("registry.example/app:1"), "arm64")


def test_every_image_whose_contents_are_catalogued_is_in_a_registry() -> None:
    held = {image_name(repository) for repository in REPOSITORIES}
    described = {name for name in images.CATALOGUE if not name.startswith("python-")} | set(images.SYSTEM_ENTRYPOINTS)
    assert described - held == set()
