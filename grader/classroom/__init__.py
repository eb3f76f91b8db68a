"""Grading a class and handing grades on: batch runs, gradebook, class report, Canvas rosters,
Gradescope and CI formats."""
