# Carol's hw1 perceptron: the training loop waits for an epoch without mistakes, which never
# comes on data that is not linearly separable, and it ignores the epoch limit.
import numpy as np


def sign(z):
    return np.where(z >= 0, 1.0, -1.0).astype(np.result_type(z, np.float64) if np.asarray(z).dtype.kind != "f" else np.asarray(z).dtype)


def perceptron_predict(X, w, b):
    return sign(X @ w + b)


def perceptron_train(X, y, lr=1.0, epochs=100):
    w, b, errors = np.zeros(X.shape[1]), 0.0, []
    while True:                            # mistake: never stops on XOR
        mistakes = 0
        for xi, yi in zip(X, y):
            if yi * (xi @ w + b) <= 0:
                w = w + lr * yi * xi
                b = b + lr * yi
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            return w, b, errors


def logic_gate(name):
    gates = {"AND": (np.array([1.0, 1.0]), -1.5), "OR": (np.array([1.0, 1.0]), -0.5),
             "NAND": (np.array([-1.0, -1.0]), 1.5)}
    if name not in gates:
        raise ValueError(f"unknown gate {name!r}")
    return gates[name]
