"""Child-side drivers: adapt what a check needs (a class, a callable argument, a torch module) to
plain data, inside the student's process.

A driver's answer is the student's: the submission can replace any driver, and everything it
returns is data to check, never a verdict. So a driver returns only what the student's code
produced for inputs the judge chose (outputs, parameter arrays with their names and shapes,
gradients), and the judge derives counts, layouts and properties itself. What a driver can only
observe (warnings, call counts, an input modified in place, what a forward pass ran) may cost a
check its points, never earn them: every point also needs values that only a working
implementation produces (tests/test_forgeries.py replaces each driver and checks this).
"""
