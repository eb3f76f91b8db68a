"""How strong are the checks? Mutation testing of the reference solutions.

``dlgrade mutants`` makes small, plausible bugs in a reference module (a swapped operator, an
index off by one, a sum over the wrong axis, a dropped term, a changed constant, an argument
ignored, a layer left out, dropout added to a torch module), grades each
such *mutant* with all of the module's checks, and counts a mutant as killed when any check does
not pass. A surviving mutant is a bug the checks miss, unless it is *equivalent* (it behaves
exactly like the reference under the contract); those are listed with a reason in
mutants-equivalent.yaml at the course root.

Generation works on the AST of the solution region as ``release`` defines it: the bodies of the
public functions and methods (not their signatures or docstrings) and the private helpers and
private constants, which are solution code too (operators.py; splicing.py writes the mutants).

Grading runs the checks in-process (``InProcessRunner``: the reference is trusted) in worker
processes that are killed and replaced when a mutant exceeds its wall-clock budget (a changed
loop condition can loop forever); a mutant that times out counts as killed, as the real grader
would report a timeout. A mutant can only change the result of checks that execute the code it
changes, so each module is graded once unchanged with a profiler recording which functions every
check runs, and a mutant is graded with those checks only, its own function's checks first,
stopping at the first check that does not pass.
"""
from .allowlist import ALLOWLIST_NAME, Equivalent, load_allowlist
from .operators import OPERATORS, Mutant, Unit
from .report import render_report, summary_lines
from .run import DEFAULT_MIN_KILL, DEFAULT_SEED, Baseline, ModuleResult, Outcome, run_mutants
from .splicing import generate, generate_module, module_units

__all__ = ["ALLOWLIST_NAME", "DEFAULT_MIN_KILL", "DEFAULT_SEED", "OPERATORS", "Baseline", "Equivalent", "ModuleResult",
           "Mutant", "Outcome", "Unit", "generate", "generate_module", "load_allowlist", "module_units",
           "render_report", "run_mutants", "summary_lines"]
