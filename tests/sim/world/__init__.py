"""Tests of the simulated world behind the nodes: machines and their heartbeats, the NAS and its outages."""
