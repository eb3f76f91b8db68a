"""Staging: from what a student handed in (a folder, a notebook, a zip) to a private folder of the
expected modules, with everything left out and why (near-miss names, load errors, the source scan)."""
