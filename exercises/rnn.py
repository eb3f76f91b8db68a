"""Recurrent networks (Lecture 4, part 4 "序列建模神器——循环神经网络").

A vanilla RNN step and its unrolled forward pass, backpropagation through time
(BPTT), the gated LSTM and GRU cells in PyTorch's layout, and the
"sequence to class" (序列到类别) read-out. NumPy only; batch axis first.
"""

import numpy as np



def rnn_step(x: np.ndarray, h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
             b: np.ndarray) -> np.ndarray:
    """One step of a vanilla RNN: h_next = tanh(x @ Wx + h @ Wh + b).

    The hidden state (隐藏态) is the network's memory: each time step (时间步)
    mixes the new input x_t with the previous state h_{t-1} through the same
    weights, so information is passed along the sequence like a relay.

    Args:
        x: input at this time step, shape (N, D).
        h: previous hidden state, shape (N, H).
        Wx: input-to-hidden weights, shape (D, H).
        Wh: hidden-to-hidden weights, shape (H, H).
        b: bias, shape (H,).

    Returns:
        The next hidden state, shape (N, H), same float dtype as the inputs.
    """
    raise NotImplementedError("hw4 rnn.rnn_step")


def rnn_forward(xs: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                b: np.ndarray) -> np.ndarray:
    """Run a vanilla RNN over a whole sequence.

    The same step h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b) is applied for
    t = 1..T starting from h0; the weights are shared across time.

    Args:
        xs: input sequence, shape (N, T, D) (batch first, then time).
        h0: initial hidden state, shape (N, H) (often zeros).
        Wx: input-to-hidden weights, shape (D, H).
        Wh: hidden-to-hidden weights, shape (H, H).
        b: bias, shape (H,).

    Returns:
        hs of shape (N, T, H): hs[:, t] is the hidden state after step t
        (h0 itself is not included).
    """
    raise NotImplementedError("hw4 rnn.rnn_forward")


def rnn_backward(dhs: np.ndarray, xs: np.ndarray, h0: np.ndarray, Wx: np.ndarray,
                 Wh: np.ndarray, b: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time (BPTT) for rnn_forward.

    Unroll the RNN into a deep feed-forward network with shared weights and
    apply the chain rule from the last step back to the first: the gradient
    reaching h_t is the upstream gradient dhs[:, t] plus what flows back from
    step t+1 through Wh. Gradients of the shared weights are summed over all
    time steps. Using tanh' = 1 - tanh^2, with a_t = x_t Wx + h_{t-1} Wh + b:
    da_t = dh_t * (1 - h_t^2), dx_t = da_t Wx^T, dh_{t-1} += da_t Wh^T.

    Args:
        dhs: upstream gradient of the loss w.r.t. every hidden state, shape (N, T, H).
        xs: the forward inputs, shape (N, T, D).
        h0: the forward initial state, shape (N, H).
        Wx: shape (D, H). Wh: shape (H, H). b: shape (H,).

    Returns:
        (dxs, dh0, dWx, dWh, db) with the shapes of (xs, h0, Wx, Wh, b):
        (N, T, D), (N, H), (D, H), (H, H), (H,).
    """
    raise NotImplementedError("hw4 rnn.rnn_backward")


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, Wx: np.ndarray,
              Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step of an LSTM (长短期记忆网络).

    The LSTM adds a cell state c (单元状态) that carries long-term memory and
    three gates (门控机制) that decide what to forget (遗忘门 f), what to write
    (输入门 i, candidate g) and what to expose (输出门 o); this eases the
    long-range dependency problem (长程依赖问题) of the vanilla RNN.

    Convention (PyTorch's gate order i, f, g, o): a = x @ Wx + h @ Wh + b is
    split along the feature axis into four chunks of size H,
    i = sigmoid(a[:, 0:H]), f = sigmoid(a[:, H:2H]), g = tanh(a[:, 2H:3H]),
    o = sigmoid(a[:, 3H:4H]); c_next = f * c + i * g; h_next = o * tanh(c_next).

    Args:
        x: input, shape (N, D).
        h: previous hidden state, shape (N, H).
        c: previous cell state, shape (N, H).
        Wx: shape (D, 4H). Wh: shape (H, 4H). b: shape (4H,).

    Returns:
        (h_next, c_next), each of shape (N, H).
    """
    raise NotImplementedError("hw4 rnn.lstm_step")


def gru_step(x: np.ndarray, h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
             bx: np.ndarray, bh: np.ndarray) -> np.ndarray:
    """One step of a GRU (门控循环单元).

    The GRU keeps no separate cell state: a reset gate r (重置门) decides how
    much of the past enters the candidate n, and an update gate z (更新门)
    interpolates between the old state and the candidate.

    Convention (PyTorch's gate order r, z, n; chunks of size H along the
    feature axis): gx = x @ Wx + bx, gh = h @ Wh + bh,
    r = sigmoid(gx_r + gh_r), z = sigmoid(gx_z + gh_z),
    n = tanh(gx_n + r * gh_n) (r multiplies h @ Wh_n + bh_n, bias included),
    h_next = (1 - z) * n + z * h.

    Args:
        x: input, shape (N, D).
        h: previous hidden state, shape (N, H).
        Wx: shape (D, 3H). Wh: shape (H, 3H).
        bx: input bias, shape (3H,). bh: hidden bias, shape (3H,).

    Returns:
        h_next, shape (N, H).
    """
    raise NotImplementedError("hw4 rnn.gru_step")


def sequence_to_class(hs: np.ndarray, W: np.ndarray, b: np.ndarray,
                      pooling: str = "last") -> np.ndarray:
    """Sequence-to-class read-out (序列到类别模式).

    A whole sequence is summarised by one vector, either the last hidden state
    h_T (which has seen every input) or the average of the hidden states over
    time, and a linear layer maps it to class scores.

    Args:
        hs: hidden states, shape (N, T, H).
        W: classifier weights, shape (H, C).
        b: classifier bias, shape (C,).
        pooling: "last" (use hs[:, -1]) or "mean" (average over T);
            anything else raises ValueError.

    Returns:
        logits of shape (N, C).
    """
    raise NotImplementedError("hw4 rnn.sequence_to_class")
