"""The workbook's image parameters default to images the simulated registries hold for the Pis."""

from __future__ import annotations

from sugarlab.lab.params import LabParams
from sugarlab.sim.world.registry import parse, resolve


def test_the_workbooks_default_images_are_catalogued_for_the_pis() -> None:
    defaults = LabParams()
    for image in (defaults.stress_image, defaults.storage_image, defaults.edge_image, defaults.fio_image):
        assert resolve(parse(image), "arm64").size > 0, image
