"""transformer (hw5): the EncoderLayer checks catch deliberately wrong layers and flag torch's own MHA."""
from __future__ import annotations

import numpy as np

from grader.checks.transformer import _numpy_layer, _torch_layer, _weights, _x
from helpers import assert_caught, grade_inprocess, submission_with

# Each override appends a whole class: the later definition rebinds EncoderLayer.
_HEADER = """
class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward):
        super().__init__()
        self.nhead = nhead
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-5)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-5)

    def attend(self, x, mask, scale=True, use_mask=True):
        N, T, d = x.shape
        dh = d // self.nhead
        q, k, v = (p(x).view(N, T, self.nhead, dh).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        s = q @ k.transpose(-2, -1) / (math.sqrt(dh) if scale else 1.0)
        if mask is not None and use_mask:
            s = s.masked_fill(~mask.expand(N, T, T).unsqueeze(1), float("-inf"))
        w = torch.nan_to_num(torch.softmax(s, dim=-1))
        return self.out_proj((w @ v).transpose(1, 2).reshape(N, T, d))

    def ff(self, x):
        return self.linear2(F.relu(self.linear1(x)))
"""

# {function: {flaw: source}}, like every tests/test_<module>.py (the module has one class).
WRONG = {
    "EncoderLayer": {
        "pre_norm": _HEADER + """
    def forward(self, x, mask=None):
        x = x + self.attend(self.norm1(x), mask)
        return x + self.ff(self.norm2(x))
""",
        "no_sqrt_dhead_scale": _HEADER + """
    def forward(self, x, mask=None):
        x = self.norm1(x + self.attend(x, mask, scale=False))
        return self.norm2(x + self.ff(x))
""",
        "ignores_mask": _HEADER + """
    def forward(self, x, mask=None):
        x = self.norm1(x + self.attend(x, mask, use_mask=False))
        return self.norm2(x + self.ff(x))
""",
        "strided_heads": _HEADER + """
    def forward(self, x, mask=None):
        N, T, d = x.shape
        dh = d // self.nhead
        q, k, v = (p(x).view(N, T, dh, self.nhead).permute(0, 3, 1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
        a = self.out_proj((w @ v).permute(0, 2, 3, 1).reshape(N, T, d))
        x = self.norm1(x + a)
        return self.norm2(x + self.ff(x))
""",
        "no_residual_in_feed_forward": _HEADER + """
    def forward(self, x, mask=None):
        x = self.norm1(x + self.attend(x, mask))
        return self.norm2(self.ff(x))
""",
        "nan_for_fully_masked_queries": _HEADER + """
    def forward(self, x, mask=None):
        N, T, d = x.shape
        dh = d // self.nhead
        q, k, v = (p(x).view(N, T, self.nhead, dh).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        s = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if mask is not None:
            s = s.masked_fill(~mask.expand(N, T, T).unsqueeze(1), float("-inf"))
        a = self.out_proj((torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(N, T, d))
        x = self.norm1(x + a)
        return self.norm2(x + self.ff(x))
""",
        "builtin_multihead_attention": """
class EncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x, mask=None):
        a, _ = self.self_attn(x, x, x, attn_mask=None if mask is None else ~mask, need_weights=False)
        x = self.norm1(x + a)
        return self.norm2(x + self.linear2(F.relu(self.linear1(x))))
""",
        "dropout_after_attention": _HEADER + """
    def forward(self, x, mask=None):
        x = self.norm1(x + self.drop(self.attend(x, mask)))
        return self.norm2(x + self.ff(x))


_Right = EncoderLayer


class EncoderLayer(_Right):
    def __init__(self, d_model, nhead, dim_feedforward):
        super().__init__(d_model, nhead, dim_feedforward)
        self.drop = nn.Dropout(0.1)  # active after model.train() only: the contract has no dropout
""",
        "bad_layer_norm_eps": _HEADER + """
    def forward(self, x, mask=None):
        x = self.norm1(x + self.attend(x, mask))
        return self.norm2(x + self.ff(x))


_Right = EncoderLayer


class EncoderLayer(_Right):
    def __init__(self, d_model, nhead, dim_feedforward):
        super().__init__(d_model, nhead, dim_feedforward)
        self.norm1 = nn.LayerNorm(d_model, eps=1e-6)
""",
    },
}

# a subtle cheat: the contract's names and weights, but torch's MHA built inside forward
HIDDEN_MHA = _HEADER + """
    def forward(self, x, mask=None):
        d = x.shape[-1]
        mha = nn.MultiheadAttention(d, self.nhead, batch_first=True).to(x.dtype)
        with torch.no_grad():
            mha.in_proj_weight.copy_(torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight]))
            mha.in_proj_bias.copy_(torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]))
            mha.out_proj.weight.copy_(self.out_proj.weight)
            mha.out_proj.bias.copy_(self.out_proj.bias)
        a, _ = mha(x, x, x, attn_mask=None if mask is None else ~mask, need_weights=False)
        x = self.norm1(x + a)
        return self.norm2(x + self.ff(x))
"""


def test_dropout_after_attention_fails_only_train_and_eval_agree(tmp_path):
    """The contract's "train() and eval() give the same output" has its own check, and only it sees dropout."""
    results = assert_caught(tmp_path, "transformer", "EncoderLayer", WRONG["EncoderLayer"]["dropout_after_attention"])
    lost = {c.id for c in results.checks if c.status != "passed"}
    assert lost == {"hw5.transformer.EncoderLayer.train_and_eval_agree"}, lost


def test_builtin_attention_is_flagged_with_a_reason(tmp_path):
    for source in (WRONG["EncoderLayer"]["builtin_multihead_attention"], HIDDEN_MHA):
        results = grade_inprocess(submission_with(tmp_path / "sub", "transformer", source), ["transformer"])
        check = next(c for c in results.checks if c.id.endswith("no_builtin_attention"))
        assert check.status == "failed" and "MultiheadAttention" in check.message, check.message
        assert "build multi-head self-attention yourself" in check.message
        assert results.score <= 1, [(c.id, c.status) for c in results.checks]  # only submodules may pass


def test_wrong_names_list_missing_and_unexpected_keys(tmp_path):
    renamed = _HEADER.replace("self.q_proj = nn.Linear", "self.query = nn.Linear").replace(
        "(self.q_proj, self.k_proj", "(self.query, self.k_proj") + """
    def forward(self, x, mask=None):
        x = self.norm1(x + self.attend(x, mask))
        return self.norm2(x + self.ff(x))
"""
    results = grade_inprocess(submission_with(tmp_path / "sub", "transformer", renamed), ["transformer"])
    check = next(c for c in results.checks if c.id.endswith("matches_torch_small"))
    assert check.status == "failed"
    assert "q_proj.weight" in check.message and "query.weight" in check.message


def test_reference_gets_full_marks_for_many_seeds(tmp_path):
    # 8 seeds keep this file fast; seeds 1..20 (and more) were run once by hand, with the same result
    folder = submission_with(tmp_path / "sub", "transformer")
    for seed in range(1, 9):
        results = grade_inprocess(folder, ["transformer"], seed=seed)
        assert results.score == results.max_score, (seed, [c.message for c in results.checks
                                                           if c.status != "passed"])


def test_other_valid_layer_gets_full_marks(tmp_path):
    # per-head loops, a large negative instead of -inf, explicit zeroing of fully masked rows
    other = _HEADER + """
    def forward(self, x, mask=None):
        N, T, d = x.shape
        dh = d // self.nhead
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        allowed = torch.ones(N, T, T, dtype=torch.bool) if mask is None else mask.expand(N, T, T)
        heads = []
        for h in range(self.nhead):
            sl = slice(h * dh, (h + 1) * dh)
            s = q[..., sl] @ k[..., sl].transpose(1, 2) / dh ** 0.5
            s = torch.where(allowed, s, torch.full_like(s, -1e9))
            w = torch.softmax(s, dim=-1) * allowed.any(-1, keepdim=True)
            heads.append(w @ v[..., sl])
        x = self.norm1(x + self.out_proj(torch.cat(heads, dim=-1)))
        return self.norm2(x + self.ff(x))
"""
    results = grade_inprocess(submission_with(tmp_path / "sub", "transformer", other), ["transformer"])
    assert results.score == results.max_score, [c.message for c in results.checks if c.status != "passed"]


def test_numpy_oracle_agrees_with_torch():
    rng = np.random.default_rng(0)
    for nhead, d, ff in ((1, 4, 8), (2, 8, 16), (4, 16, 24)):
        state, x = _weights(rng, d, ff), _x(rng, d, N=2, T=5)
        causal = np.tril(np.ones((5, 5), dtype=bool))
        np.testing.assert_allclose(_numpy_layer(state, x, nhead), _torch_layer(state, x, nhead, ff),
                                   rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(_numpy_layer(state, x, nhead, causal),
                                   _torch_layer(state, x, nhead, ff, src_mask=~causal), rtol=1e-10, atol=1e-10)


def _no_builtin(tmp_path, findings, source: str = ""):
    """hw5.transformer.EncoderLayer.no_builtin_attention through run_one, with these findings."""
    from grader.runners.inprocess import InProcessRunner
    from grader.pipeline import run_one
    from helpers import SEED, course

    spec = next(c for c in course().manifest.checks if c.id == "hw5.transformer.EncoderLayer.no_builtin_attention")
    runner = InProcessRunner(submission_with(tmp_path / "sub", "transformer", source))
    assert runner.load("transformer", 60).status == "ok"
    return run_one(course().checks[spec.id], spec, runner, SEED, findings=tuple(findings))


def test_a_forbidden_name_in_the_source_fails_no_builtin_attention(tmp_path):
    """The judge's reading of the source (ctx.findings) sees what no runtime watch does."""
    from grader.staging.policy import Finding

    sdpa = "torch.nn.functional.scaled_dot_product_attention"
    assert _no_builtin(tmp_path / "none", ()).status == "passed"
    for function in ("EncoderLayer", ""):  # found in the layer's code, or at module level
        result = _no_builtin(tmp_path / (function or "module"), [Finding("forbidden_name", sdpa, "transformer", 12,
                                                                         function)])
        assert result.status == "failed" and f"{sdpa} (line 12)" in result.message, result.message
        assert "build multi-head self-attention yourself" in result.message
    # The pipeline takes the points of torch in a numpy module and of tampering; this check reads
    # only the names the course forbids for its module.
    assert _no_builtin(tmp_path / "other", [Finding("tampering", "sys._getframe", "transformer", 3, "")]).status == "passed"


def test_scaled_dot_product_attention_seen_running_fails_no_builtin_attention(tmp_path):
    """The runtime watch, the second signal: torch's fused attention computes the right numbers."""
    source = _HEADER + """
    def forward(self, x, mask=None):
        N, T, d = x.shape
        q, k, v = (p(x).view(N, T, self.nhead, d // self.nhead).transpose(1, 2)
                   for p in (self.q_proj, self.k_proj, self.v_proj))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=None if mask is None else mask.unsqueeze(1))
        x = self.norm1(x + self.out_proj(a.transpose(1, 2).reshape(N, T, d)))
        return self.norm2(x + self.ff(x))
"""
    result = _no_builtin(tmp_path, (), source)
    assert result.status == "failed" and "F.scaled_dot_product_attention" in result.message, result.message
