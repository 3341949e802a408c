"""Server-side printing: the Table columns and cells of `kubectl get`, as pkg/printers/internalversion."""
