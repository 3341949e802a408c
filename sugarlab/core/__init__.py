"""The lab's frame: parameters, the workspace, the lab a notebook opens, the runner and the command line.

`errors` holds every exception the workbook raises.
"""

__all__ = ["cleaning", "cli", "errors", "interrupts", "kernels", "lab", "params", "plan", "runner", "workspace"]
