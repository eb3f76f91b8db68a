# Dave's hw1 activations: crashes at import time (a helper module that is not submitted).
import numpy as np
from my_helpers import stable_sigmoid


def sigmoid(x):
    return stable_sigmoid(x)
