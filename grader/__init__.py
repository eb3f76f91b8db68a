"""dlgrade: an autograder for the deep-learning course (see README.md)."""

__version__ = "0.1.0"
