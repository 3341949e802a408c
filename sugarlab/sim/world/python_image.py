"""What a python image ships besides its interpreter: pip, as `ensurepip` bundles it with this interpreter
(what the official images install: docker-library/python runs `python -m ensurepip` then upgrades), and a
trust store that holds the simulated world's CA.

The layer is made once per state directory under `<state>/images/python-X.Y/`: the bundled wheels unpacked
into `site-packages/` (pip, and setuptools as 3.11's ensurepip bundles it; unpacked rather than installed by
pip and left without byte code, so the kubelet's first python container waits a fraction of a second for
it, not the ten seconds an install with compilation takes), pip's scripts for `bin/`, and
`ca-certificates.crt`, Mozilla's roots as pip vendors them (Debian's ca-certificates are the same list) and
the world's CA. The CA is also appended to pip's own copy of certifi's bundle, which pip verifies with.
So a container trusts the simulated internet through the files a real image trusts with, and no variable
in its environment shows it. The sandbox binds the layer read-only inside the container's own writable
site-packages (`kubelet.sandbox`), so `pip install` writes there and nothing of this machine's
environment is visible.
"""

from __future__ import annotations

import ensurepip
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from filelock import FileLock

from sugarlab.sim.world.images import HOST_PYTHON
from sugarlab.sim.world.internet_ca import ca_bundle

PREFIX = Path(sys.base_prefix).resolve()  # the interpreter's own prefix, bound into python containers
SITE_PACKAGES = PREFIX / "lib" / f"python{HOST_PYTHON}" / "site-packages"
INTERPRETER = PREFIX / "bin" / f"python{HOST_PYTHON}"
PIP_SCRIPTS = ("pip", "pip3", f"pip{HOST_PYTHON}")
SCRIPT = f"""#!{INTERPRETER}
# -*- coding: utf-8 -*-
import re
import sys
from pip._internal.cli.main import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""  # what pip writes for its `pip` console script (distlib's script template)
DONE = ".complete"


def layer(state_dir: Path) -> Path:
    """The python images' layer, made on first use."""
    path = state_dir / "images" / f"python-{HOST_PYTHON}"
    if (path / DONE).exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.parent / f".{path.name}.lock"):
        if not (path / DONE).exists():
            _build(path, ca_bundle(state_dir).read_text())
    return path


def _bundled() -> Path:
    bundled = Path(ensurepip.__file__).parent / "_bundled"
    if not any(bundled.glob("pip-*.whl")):
        raise FileNotFoundError(f"{bundled} holds no pip wheel: this Python was built without ensurepip's wheels")
    return bundled


def _build(path: Path, ca: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    work = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        for wheel in _bundled().glob("*.whl"):  # pure wheels: their contents are the site-packages entries
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(work / "site-packages")
        (work / "bin").mkdir()
        for name in PIP_SCRIPTS:
            (work / "bin" / name).write_text(SCRIPT)
            (work / "bin" / name).chmod(0o755)
        certifi = work / "site-packages" / "pip" / "_vendor" / "certifi" / "cacert.pem"
        roots = certifi.read_text()
        certifi.write_text(f"{roots}\n# sugarlab simulated internet\n{ca}")
        (work / "ca-certificates.crt").write_text(f"{roots}\n{ca}")
        (work / DONE).touch()
        work.rename(path)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
