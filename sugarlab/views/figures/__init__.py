"""Every figure of the workbook and its report, one module per topic, built from frames already computed.

Figures are built with `matplotlib.figure.Figure` (no pyplot), so nothing here picks a backend or
calls `show()`; a notebook displays the returned Figure with `%matplotlib inline`, and the report and
the artefacts embed it as PNG (`png_bytes`). Each title says where the numbers came from (`cluster`,
`local` or `simulated`). Steps and the report call these; notebooks reach them all through this
package.
"""

from sugarlab.views.figures.cluster import node_usage_figure, png_bytes, pods_per_node_figure
from sugarlab.views.figures.edge_ai import latency_distribution_figure, p95_figure, tuning_latency_figure
from sugarlab.views.figures.expansion import join_latency_figure, power_budget_figure
from sugarlab.views.figures.operations import event_churn_figure, fio_results_figure
from sugarlab.views.figures.runs import run_change_figure
from sugarlab.views.figures.storage import FailureMark, failover_rows_figure
from sugarlab.views.figures.workload import baseline_comparison_figure, stress_placement_figure, stress_usage_figure

__all__ = [
    "FailureMark",
    "baseline_comparison_figure",
    "event_churn_figure",
    "failover_rows_figure",
    "fio_results_figure",
    "join_latency_figure",
    "latency_distribution_figure",
    "node_usage_figure",
    "p95_figure",
    "pods_per_node_figure",
    "png_bytes",
    "power_budget_figure",
    "run_change_figure",
    "stress_placement_figure",
    "stress_usage_figure",
    "tuning_latency_figure",
]
