"""The pieces of `make bench` (tools/bench.py), one measurement a module."""
