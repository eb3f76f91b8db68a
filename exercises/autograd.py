"""Lecture 4, part 1: from the perceptron to deep networks (从感知机到深度神经网络).

You build a tiny reverse-mode automatic differentiation engine over scalar
computation graphs (计算图), like the lecture's f = (x + y)^2 example: every
arithmetic operation creates a node that remembers its inputs and its local
derivatives, and backward() applies the chain rule (链式法则) from the output back
to every input, summing the contributions of all paths.
"""

from __future__ import annotations

import math
import numbers



class Scalar:
    """A node of a scalar computation graph: a value plus the gradient of the output.

    Build expressions with + - * / ** and the methods below; each result is a new
    Scalar linked to its inputs. Calling backward() on the final node fills in
    `grad` on every node it depends on.

    Attributes:
        data: the node's value, a Python float.
        grad: d(output) / d(this node), a Python float; 0.0 until backward() runs.
    """

    def __init__(self, data: float, _parents: tuple[tuple[Scalar, float], ...] = ()) -> None:
        """Create a node holding `data` (converted to a Python float), with grad 0.0.

        Args:
            data: the value, a real number.
            _parents: for nodes made by an operation, the pairs
                (input node, local derivative d this / d input). Leave it empty:
                a node you create yourself is a leaf (an input of the graph).
        """
        raise NotImplementedError("hw1 autograd.Scalar.__init__")

    def __add__(self, other: Scalar | float) -> Scalar:
        """a + b. Local derivatives: d/da = 1, d/db = 1 (addition passes the gradient on)."""
        raise NotImplementedError("hw1 autograd.Scalar.__add__")

    def __radd__(self, other: float) -> Scalar:
        """number + Scalar, the same as Scalar + number."""
        raise NotImplementedError("hw1 autograd.Scalar.__radd__")

    def __neg__(self) -> Scalar:
        """-a. Local derivative: d/da = -1."""
        raise NotImplementedError("hw1 autograd.Scalar.__neg__")

    def __sub__(self, other: Scalar | float) -> Scalar:
        """a - b. Local derivatives: d/da = 1, d/db = -1."""
        raise NotImplementedError("hw1 autograd.Scalar.__sub__")

    def __rsub__(self, other: float) -> Scalar:
        """number - Scalar."""
        raise NotImplementedError("hw1 autograd.Scalar.__rsub__")

    def __mul__(self, other: Scalar | float) -> Scalar:
        """a * b. Local derivatives: d/da = b, d/db = a (each input is scaled by the other)."""
        raise NotImplementedError("hw1 autograd.Scalar.__mul__")

    def __rmul__(self, other: float) -> Scalar:
        """number * Scalar, the same as Scalar * number."""
        raise NotImplementedError("hw1 autograd.Scalar.__rmul__")

    def __truediv__(self, other: Scalar | float) -> Scalar:
        """a / b. Local derivatives: d/da = 1 / b, d/db = -a / b^2. Division by 0 raises."""
        raise NotImplementedError("hw1 autograd.Scalar.__truediv__")

    def __rtruediv__(self, other: float) -> Scalar:
        """number / Scalar."""
        raise NotImplementedError("hw1 autograd.Scalar.__rtruediv__")

    def __pow__(self, p: float) -> Scalar:
        """a ** p for a fixed number p. Local derivative: d/da = p * a^(p-1).

        The exponent must be a plain number, not a Scalar. At a == 0 with p < 1
        (a square root at 0) the slope is infinite: the course leaves that case open.
        """
        raise NotImplementedError("hw1 autograd.Scalar.__pow__")

    def relu(self) -> Scalar:
        """max(0, a). Local derivative: 1 if a > 0 else 0 (0 at a == 0)."""
        raise NotImplementedError("hw1 autograd.Scalar.relu")

    def tanh(self) -> Scalar:
        """tanh(a). Local derivative: 1 - tanh(a)^2."""
        raise NotImplementedError("hw1 autograd.Scalar.tanh")

    def sigmoid(self) -> Scalar:
        """sigma(a) = 1 / (1 + e^-a). Local derivative: sigma(a) * (1 - sigma(a)).

        Computed without overflow for any a: for a >= 0 use 1 / (1 + e^-a), for
        a < 0 the equal form e^a / (1 + e^a), so e is only raised to a power <= 0.
        """
        raise NotImplementedError("hw1 autograd.Scalar.sigmoid")

    def exp(self) -> Scalar:
        """e^a. Local derivative: e^a (the output itself)."""
        raise NotImplementedError("hw1 autograd.Scalar.exp")

    def log(self) -> Scalar:
        """Natural logarithm ln(a) for a > 0. Local derivative: 1 / a."""
        raise NotImplementedError("hw1 autograd.Scalar.log")

    def backward(self) -> None:
        """Reverse-mode differentiation: grad = d(self)/d(node) on every node reachable from self.

        Order the graph topologically (every node after all of its inputs),
        set self.grad = 1.0, then walk the order backwards: each node adds
        (its grad) * (local derivative) to the grad of each of its inputs.
        That is the chain rule df/dx = df/dz * dz/dx; a node used several
        times receives the sum over all paths. It must work on graphs deeper
        than Python's recursion limit (a chain of 5,000 operations), so the
        order cannot come from one recursive call per level of the graph.
        Call it once per graph: gradients accumulate.
        """
        raise NotImplementedError("hw1 autograd.Scalar.backward")



def square_of_sum(x: float, y: float) -> tuple[float, float, float]:
    """The lecture's computation-graph example f = (x + y)^2, forward and backward.

    Forward: z = x + y, then f = z^2. Backward by the chain rule:
    df/dz = 2z, and since dz/dx = dz/dy = 1, df/dx = df/dy = 2(x + y).
    Compute it with Scalar and backward(), not by the closed form.

    Args:
        x: a real number.
        y: a real number.

    Returns:
        (f, df_dx, df_dy) as Python floats.
    """
    raise NotImplementedError("hw1 autograd.square_of_sum")
