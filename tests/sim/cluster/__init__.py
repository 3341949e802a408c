"""Tests of the simulator as a whole: starting and stopping it, and the tutorial's own kubectl commands against it."""
