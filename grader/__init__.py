"""dlgrade: an autograder for the deep-learning course (see README.md)."""
from pathlib import Path

__version__ = "0.1.0"
# The package folder: what a student bundle copies, what the child must never see, where the
# child's own code is copied from. Modules in subfolders use this rather than counting parents.
HOME = Path(__file__).resolve().parent
