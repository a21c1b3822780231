"""Tests of the three distributions: their wheels, lock files, import rules, and installs on their own."""
