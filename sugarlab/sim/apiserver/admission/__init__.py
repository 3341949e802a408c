"""Admission and validation of what is written, as k8s.io/apiserver's admission chain and pkg/apis/*/validation."""
