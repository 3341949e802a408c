"""The simulated world's image registries: what a pull of an image reference resolves to, or how it fails.

`catalogue/registry.yaml` holds the repositories, their tags, the platforms each tag is built for and its
size. References are read as containerd reads them (github.com/distribution/reference, normalize.go
`ParseNormalizedNamed`: `busybox` is `docker.io/library/busybox:latest`), and a failed pull is worded as
containerd's CRI plugin words it (internal/cri/server/images/image_pull.go `PullImage`: "failed to pull and
unpack image", with the resolver's or the platform matcher's error), behind the gRPC status the kubelet prints.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

from sugarlab.sim.world.catalogues import Schema, load

# distribution/reference's grammar (reference/regexp.go), lower-case path components, tags and sha256 digests.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


class InvalidReference(ValueError):
    """A reference containerd cannot parse (the kubelet's `InvalidImageName`)."""


@dataclass(frozen=True)
class Reference:
    """A normalised image reference: `docker.io/library/busybox:latest`, or `<repository>@sha256:...`."""

    repository: str  # domain and path: docker.io/library/busybox
    tag: str  # "" for a reference by digest only
    digest: str  # "" unless given

    @property
    def domain(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def path(self) -> str:
        return self.repository.split("/", 1)[1]

    def __str__(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse(image: str) -> Reference:
    """`image` as containerd normalises it; `InvalidReference` when it is not a reference at all."""
    # splitDockerDomain: the first component is a domain when it has a '.' or ':' or is localhost
    first, sep, _ = image.partition("/")
    domain_given = bool(sep) and (any(ch in first for ch in ".:") or first == "localhost" or first != first.lower())
    match = _REFERENCE.match(image if domain_given else f"docker.io/{image}")
    if match is None:
        raise InvalidReference(f'couldn\'t parse image reference "{image}": invalid reference format')
    domain, path = match["domain"], match["path"]
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in path:
        path = f"library/{path}"
    tag, digest = match["tag"] or "", match["digest"] or ""
    return Reference(f"{domain}/{path}", tag if tag or digest else "latest", digest)


class Tag(Schema):
    platforms: list[str]  # os/arch[/variant], as the tag's image index lists them
    size: int  # bytes, compressed, of the linux/arm64 image


class Repository(Schema):
    source: str
    tags: dict[str, Tag]


class RegistryAnswers(Schema):
    missing_repository: str  # the resolver's error for a repository the registry does not hold


class Registries(Schema):
    """`catalogue/registry.yaml`."""

    registries: dict[str, RegistryAnswers]
    k3s_images: list[str]
    repositories: dict[str, Repository]


_CATALOGUE = load("registry.yaml", Registries)


@dataclass(frozen=True)
class Image:
    """A pulled image, as containerd's image store lists it (CRI `Image`: repo tags, repo digests, size)."""

    reference: Reference
    digest: str  # sha256:... of the tag's image index
    size: int

    @property
    def repo_tags(self) -> list[str]:
        return [f"{self.reference.repository}:{self.reference.tag}"] if self.reference.tag else []

    @property
    def repo_digest(self) -> str:
        return f"{self.reference.repository}@{self.digest}"


class PullError(Exception):
    """A pull that fails; `str()` is the error the kubelet reports (with containerd's gRPC status)."""

    def __init__(self, code: str, desc: str) -> None:
        super().__init__(f"rpc error: code = {code} desc = {desc}")


def digest_of(repository: str, tag: str) -> str:
    """The simulated registry's digest of a tag: stable, derived from its name (not the real registry's)."""
    return "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()


def resolve(reference: Reference, arch: str) -> Image:
    """What a pull of `reference` onto a linux/`arch` node gets, or the `PullError` containerd reports."""
    failed = f'failed to pull and unpack image "{reference}"'
    unresolved = f'{failed}: failed to resolve reference "{reference}"'
    repository = _CATALOGUE.repositories.get(reference.repository)
    if repository is None:
        answers = _CATALOGUE.registries.get(reference.domain)
        if answers is None:  # a host the simulated world does not have: DNS does not know it
            host = reference.domain.split(":")[0]
            request = f"https://{reference.domain}/v2/{reference.path}/manifests/{reference.tag or reference.digest}"
            raise PullError(
                "Unknown",
                f'{unresolved}: failed to do request: Head "{request}": dial tcp: lookup {host}: no such host',
            )
        answer = answers.missing_repository.format(
            path=reference.path, tag=reference.tag or reference.digest, scope=quote(reference.path, safe="")
        )
        if answer == "not found":
            raise PullError("NotFound", f"{unresolved}: {reference}: not found")
        raise PullError("Unknown", f"{unresolved}: {answer}")
    found = _find(reference, repository)
    if found is None:
        raise PullError("NotFound", f"{unresolved}: {reference}: not found")
    tag_name, tag = found
    if not any(platform.split("/")[1] == arch for platform in tag.platforms):
        raise PullError("NotFound", f"{failed}: no match for platform in manifest: not found")
    return Image(reference, digest_of(reference.repository, tag_name), tag.size)


def _find(reference: Reference, repository: Repository) -> tuple[str, Tag] | None:
    """The tag a reference names: by its tag, or by its digest when it has one (which must match)."""
    for name, tag in repository.tags.items():
        if reference.digest and digest_of(reference.repository, name) == reference.digest:
            return name, tag
        if not reference.digest and name == reference.tag:
            return name, tag
    return None


K3S_IMAGES = tuple(parse(image) for image in _CATALOGUE.k3s_images)  # on every node from the start
REPOSITORIES = tuple(_CATALOGUE.repositories)  # domain/path of each repository the registries hold
