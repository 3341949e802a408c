"""Tests of the simulator's API server: wire formats, validation, printing, discovery and OpenAPI, watch and paging, dry runs."""
