"""Tests of the simulator's controllers: the kinds k3s keeps by itself, disruption budgets."""
