"""Notebook 07's report: Tutorial 13's milestone checklist judged from the lab's artefacts, the key
frames and plots in one place, and a summary written from the numbers.

    sources     the artefacts, parsed and traced to the notebook that wrote them
    milestones  the checklist: each milestone's checks, pass or fail, with evidence
    figures     key frames and the long frame of key figures (their plots: `sugarlab.views.figures`)
    summary     sentences built from the key figures
    document    `Report`: all of the above, as markdown (final/milestone-checklist.md) and HTML
    front_page  a run's index.html
    notebook_html  an executed notebook as a standalone page (nothing fetched from a CDN)
    compare     two archived runs side by side (`sugarlab compare`)
"""

from sugarlab.report.document import CHECKLIST, Report, Section, build, save
from sugarlab.report.sources import ArtefactError, LabFiles, MissingArtefact

__all__ = [
    "CHECKLIST",
    "ArtefactError",
    "LabFiles",
    "MissingArtefact",
    "Report",
    "Section",
    "build",
    "save",
]
