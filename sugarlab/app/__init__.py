"""The application that runs the workbook: the command line, the headless runner and its console,
interrupts and kernels, cleaning up a lab, the parameters' documentation, and `open_lab`, which a
notebook's first cell calls."""

__all__ = ["cleaning", "cli", "console", "interrupts", "kernels", "notebook", "param_docs", "runner"]
