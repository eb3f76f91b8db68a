"""Runners: where student code executes. The judge talks to a runner, never to student code."""
