"""Attention (Lecture 4, part 5 "注意力即一切——Transformer", 5.1 Transformer核心组成).

Scaled dot-product attention with boolean masks, the causal and padding masks,
the sinusoidal positional encoding (正弦余弦固定位置编码) and multi-head
attention (多头注意力). NumPy only; masks are boolean with True = may attend.
"""

import numpy as np



def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                                 mask: np.ndarray | None = None
                                 ) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention: softmax(q k^T / sqrt(d)) v.

    Every query scores every key by a dot product a(q, k) = q^T k / sqrt(d);
    the 1/sqrt(d) keeps the scores' scale independent of the dimension so the
    softmax does not saturate. The output for a query is the softmax-weighted
    average of the values.

    Convention: mask is boolean, True = the query may attend to that key.
    Masked entries get weight exactly 0 (softmax over the allowed keys only);
    a query row with every key masked gets all-zero weights and a zero output
    (never NaN). The softmax must be numerically stable.

    Args:
        q: queries, shape (..., Tq, d).
        k: keys, shape (..., Tk, d).
        v: values, shape (..., Tk, dv).
        mask: optional bool array broadcastable to (..., Tq, Tk).

    Returns:
        (out, weights): out of shape (..., Tq, dv) and weights of shape
        (..., Tq, Tk), each row summing to 1 (or 0 if fully masked).
    """
    raise NotImplementedError("hw5 attention.scaled_dot_product_attention")


def causal_mask(T: int) -> np.ndarray:
    """Causal (look-ahead) mask for autoregressive attention.

    Position i may only attend to positions j <= i, so a model cannot peek at
    future tokens.

    Args:
        T: sequence length.

    Returns:
        bool array of shape (T, T), True on and below the diagonal.
    """
    raise NotImplementedError("hw5 attention.causal_mask")


def padding_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """Padding mask for a batch of sequences padded to length T.

    Sequence n has lengths[n] real tokens followed by padding; no query may
    attend to a padded key.

    Args:
        lengths: int array of shape (N,), each in [0, T].
        T: padded sequence length.

    Returns:
        bool array of shape (N, 1, T): True for key positions < lengths[n]. The
        middle axis of size 1 broadcasts over the queries (N, Tq, T).
    """
    raise NotImplementedError("hw5 attention.padding_mask")


def sinusoidal_positional_encoding(T: int, d: int) -> np.ndarray:
    """Sinusoidal positional encoding (正弦余弦固定位置编码).

    Attention itself ignores token order, so a fixed position vector is added
    to each token. Each pair of dimensions (2j, 2j+1) is a sine/cosine of the
    position at frequency 1 / 10000^(2j/d), from fast to slow.

    Convention (row = position i, column = dimension):
    PE[i, 2j] = sin(i / 10000^(2j/d)), PE[i, 2j+1] = cos(i / 10000^(2j/d)).

    Args:
        T: number of positions.
        d: model dimension (even).

    Returns:
        float64 array of shape (T, d).
    """
    raise NotImplementedError("hw5 attention.sinusoidal_positional_encoding")


def multi_head_attention(x_q: np.ndarray, x_kv: np.ndarray, Wq: np.ndarray,
                         Wk: np.ndarray, Wv: np.ndarray, Wo: np.ndarray,
                         num_heads: int, mask: np.ndarray | None = None,
                         bq: np.ndarray | None = None, bk: np.ndarray | None = None,
                         bv: np.ndarray | None = None, bo: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head attention (多头注意力): MHA = Concat(Head_1, ..., Head_h) Wo.

    Queries come from x_q and keys/values from x_kv (the same array for
    self-attention). After the linear projections Q = x_q Wq + bq,
    K = x_kv Wk + bk, V = x_kv Wv + bv, the d_model features are split into
    num_heads contiguous chunks of size d_model / num_heads (head h uses
    features h*dh:(h+1)*dh); each head runs scaled dot-product attention on its
    own chunk, so different heads can attend to different things. The head
    outputs are concatenated back in order and projected by Wo (+ bo).

    Args:
        x_q: shape (N, Tq, d_model).
        x_kv: shape (N, Tk, d_model).
        Wq, Wk, Wv, Wo: shape (d_model, d_model), applied as x @ W.
        num_heads: number of heads; must divide d_model.
        mask: optional bool array broadcastable to (N, Tq, Tk), True = may
            attend (e.g. a causal_mask (Tq, Tk) or a padding_mask (N, 1, Tk));
            the same mask applies to every head.
        bq, bk, bv, bo: optional biases of shape (d_model,); missing = zero.

    Returns:
        (out, weights): out of shape (N, Tq, d_model), weights of shape
        (N, num_heads, Tq, Tk).
    """
    raise NotImplementedError("hw5 attention.multi_head_attention")
