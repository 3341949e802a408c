"""Tests of the simulator's kubelet: containers run confined, file volumes, exec and port-forward streams."""
