"""autograd (hw1): the Scalar checks and square_of_sum's checks catch deliberately wrong implementations."""
from __future__ import annotations

from grader.pipeline import grade
from helpers import SEED, assert_caught, course, grade_inprocess, statuses, submission_with

# A correct engine of another design (micrograd style): each node keeps a closure that pushes its
# gradient to its inputs. It must get full marks; the flaws below are small edits of it.
CLOSURES = '''
    import math as _math


    class Scalar:
        def __init__(self, data, _inputs=()):
            self.data = float(data)
            self.grad = 0.0
            self._inputs = _inputs
            self._push = lambda: None

        @staticmethod
        def _wrap(x):
            return x if isinstance(x, Scalar) else Scalar(x)

        def __add__(self, other):
            other = Scalar._wrap(other)
            out = Scalar(self.data + other.data, (self, other))

            def push():
                self.grad += out.grad
                other.grad += out.grad
            out._push = push
            return out

        __radd__ = __add__

        def __mul__(self, other):
            other = Scalar._wrap(other)
            out = Scalar(self.data * other.data, (self, other))

            def push():
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad
            out._push = push
            return out

        __rmul__ = __mul__

        def __neg__(self):
            return self * -1.0

        def __sub__(self, other):
            return self + (-Scalar._wrap(other))

        def __rsub__(self, other):
            return Scalar._wrap(other) + (-self)

        def __pow__(self, p):
            out = Scalar(self.data ** p, (self,))

            def push():
                self.grad += (p * self.data ** (p - 1) if p != 0 else 0.0) * out.grad
            out._push = push
            return out

        def __truediv__(self, other):
            return self * Scalar._wrap(other) ** -1

        def __rtruediv__(self, other):
            return Scalar._wrap(other) * self ** -1

        def _unary(self, value, slope):
            out = Scalar(value, (self,))

            def push():
                self.grad += slope * out.grad
            out._push = push
            return out

        def relu(self):
            return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0)

        def tanh(self):
            t = _math.tanh(self.data)
            return self._unary(t, 1 - t ** 2)

        def sigmoid(self):
            s = 0.5 * (1 + _math.tanh(0.5 * self.data))
            return self._unary(s, s * (1 - s))

        def exp(self):
            e = _math.exp(self.data)
            return self._unary(e, e)

        def log(self):
            return self._unary(_math.log(self.data), 1 / self.data)

        def backward(self):
            order, seen, stack = [], set(), [(self, iter(self._inputs))]
            seen.add(id(self))
            while stack:  # depth-first, post-order, without recursion
                node, inputs = stack[-1]
                for child in inputs:
                    if id(child) not in seen:
                        seen.add(id(child))
                        stack.append((child, iter(child._inputs)))
                        break
                else:
                    stack.pop()
                    order.append(node)
            self.grad = 1.0
            for node in reversed(order):
                node._push()
'''

RECURSIVE_ORDER = '''
    def _recursive_backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for parent, _ in node._parents:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in node._parents:
                parent.grad += local * node.grad

    Scalar.backward = _recursive_backward
'''

WRONG = {
    "Scalar": {
        "mul_overwrites_grad": CLOSURES.replace("self.grad += other.data * out.grad",
                                                "self.grad = other.data * out.grad"),
        "rsub_wrong_sign": '''
            def _bad_rsub(self, other):
                return self - other

            Scalar.__rsub__ = _bad_rsub
        ''',
        "rtruediv_slope_sign": '''
            def _bad_rtruediv(self, other):
                return Scalar(other / self.data, ((self, other / self.data ** 2),))

            Scalar.__rtruediv__ = _bad_rtruediv
        ''',
        "pow_without_p": '''
            def _bad_pow(self, p):
                return Scalar(self.data ** p, ((self, self.data ** (p - 1)),))

            Scalar.__pow__ = _bad_pow
        ''',
        "pow_slope_infinite_at_zero_for_p_one": '''
            def _pow_le(self, p):
                p = float(p)
                local = 0.0 if p == 0 else math.inf if self.data == 0 and p <= 1 else p * math.pow(self.data, p - 1)
                return Scalar(math.pow(self.data, p), ((self, local),))

            Scalar.__pow__ = _pow_le
        ''',
        "pow_slope_zero_for_p_one": '''
            def _pow_p_one(self, p):
                local = 0.0 if p in (0.0, 1.0) else p * math.pow(self.data, p - 1)
                return Scalar(math.pow(self.data, p), ((self, local),))

            Scalar.__pow__ = _pow_p_one
        ''',
        "relu_slope_one_at_zero": '''
            def _relu_ge(self):
                return Scalar(max(self.data, 0.0), ((self, 1.0 if self.data >= 0 else 0.0),))

            Scalar.relu = _relu_ge
        ''',
        "tanh_slope_not_squared": '''
            def _bad_tanh(self):
                t = math.tanh(self.data)
                return Scalar(t, ((self, 1.0 - t),))

            Scalar.tanh = _bad_tanh
        ''',
        "backward_without_topological_order": '''
            def _naive_backward(self):
                self.grad = 1.0
                _push(self)

            def _push(node):
                for parent, local in node._parents:
                    parent.grad += local * node.grad
                    _push(parent)

            Scalar.backward = _naive_backward
        ''',
        "breadth_first_order": '''
            def _bfs_backward(self):
                from collections import deque
                self.grad, queue, seen = 1.0, deque([self]), {id(self)}
                while queue:
                    node = queue.popleft()
                    for parent, local in node._parents:
                        parent.grad += local * node.grad
                        if id(parent) not in seen:
                            seen.add(id(parent))
                            queue.append(parent)

            Scalar.backward = _bfs_backward
        ''',
        "recursive_topological_order": RECURSIVE_ORDER,
        "grad_starts_at_one": '''
            _original_init = Scalar.__init__

            def _bad_init(self, data, _parents=()):
                _original_init(self, data, _parents)
                self.grad = 1.0

            Scalar.__init__ = _bad_init
        ''',
    },
    "square_of_sum": {
        "derivative_returned_as_f": '''
            def square_of_sum(x, y):
                xs, ys = Scalar(x), Scalar(y)
                f = (xs + ys) ** 2
                f.backward()
                return 2 * (x + y), xs.grad, ys.grad
        ''',
        "gradient_of_one_side_only": '''
            def square_of_sum(x, y):
                xs = Scalar(x)
                f = (xs + y) ** 2
                f.backward()
                return f.data, xs.grad, 0.0
        ''',
    },
}


def test_recursive_backward_fails_only_the_deep_chain(tmp_path):
    results = assert_caught(tmp_path, "autograd", "Scalar", RECURSIVE_ORDER)
    lost = {i for i, s in statuses(results).items() if s != "passed"}
    assert lost == {"hw1.autograd.Scalar.deep_chain"}


def test_recursive_backward_fails_the_deep_chain_in_the_real_child(tmp_path):
    """The child raises its recursion limit; the deep chain still runs under Python's default one."""
    folder = submission_with(tmp_path / "sub", "autograd", RECURSIVE_ORDER)
    results = grade(course(), folder, seed=SEED, modules=["autograd"], visible_only=True)
    lost = {c.id: c.status for c in results.checks if c.status != "passed"}
    assert lost == {"hw1.autograd.Scalar.deep_chain": "error"}
    assert "RecursionError" in next(c.message for c in results.checks if c.id.endswith("deep_chain"))


def test_closure_based_engine_gets_full_marks(tmp_path):
    results = grade_inprocess(submission_with(tmp_path / "sub", "autograd", CLOSURES), ["autograd"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_a_wrong_scalar_is_charged_once(tmp_path):
    """square_of_sum computed with a Scalar whose ** ignores p: only Scalar loses points."""
    results = grade_inprocess(submission_with(tmp_path / "sub", "autograd", WRONG["Scalar"]["pow_without_p"]),
                              ["autograd"])
    lost = {c.id for c in results.checks if c.status != "passed"}
    assert lost and all(".Scalar." in i for i in lost), lost
