"""Mutation testing of the checks: ``dlgrade mutants`` (see docs/mutants.md)."""
from .operators import (ALLOWLIST_NAME, DEFAULT_MIN_KILL, DEFAULT_SEED, OPERATORS, Baseline, Equivalent, Mutant,
                        ModuleResult, Outcome, Unit, generate, generate_module, load_allowlist, module_units,
                        render_report, run_mutants, summary_lines)
