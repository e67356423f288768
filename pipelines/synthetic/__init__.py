"""Seeded, deterministic generators of synthetic data in real published schemas.

Synthetic data fill gaps where no public figures exist at the grain the questions need. Every
file they write is labelled `provenance: synthetic` in its manifest and on every row downstream,
and is calibrated so that its totals equal the real published totals it breaks down.
"""
