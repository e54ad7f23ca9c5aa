"""gridgov benchmarks: figures, not tests. Run ``python -m bench all`` (``make bench``) or ``python -m bench geo``.

Each benchmark measures its baseline in the same run and reports medians and ratios (the machines are shared and
noisy); the latest figures live in docs/benchmarks.md.
"""
