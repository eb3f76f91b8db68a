"""generative (hw6): every function's checks catch deliberately wrong implementations."""
from __future__ import annotations

import pytest

from helpers import assert_caught, grade_inprocess, statuses, submission_with

# The reference's GAN step with one line changed, for the gan_train_step flaws below.
_STEP_HEAD = """
            def gan_train_step(G, D, opt_G, opt_D, real, z):
                import torch
                import torch.nn.functional as F

                bce = F.binary_cross_entropy_with_logits
"""

WRONG = {
    "reparameterize": {
        "variance_instead_of_std": """
            def reparameterize(mu, logvar, eps):
                return mu + np.exp(logvar) * eps
        """,
        "float64_always": """
            def reparameterize(mu, logvar, eps):
                mu = np.asarray(mu, dtype=np.float64)
                return mu + np.exp(0.5 * logvar) * eps
        """,
    },
    "vae_kl": {
        "sign_flipped": """
            def vae_kl(mu, logvar):
                return 0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=-1)
        """,
        "half_missing": """
            def vae_kl(mu, logvar):
                return -np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=-1)
        """,
        "mean_over_latent": """
            def vae_kl(mu, logvar):
                return -0.5 * np.mean(1.0 + logvar - mu**2 - np.exp(logvar), axis=-1)
        """,
    },
    "vae_loss": {
        "mse_over_features": """
            def vae_loss(x, x_recon, mu, logvar):
                sq = (x - x_recon) ** 2
                return float(np.mean(np.mean(sq, axis=tuple(range(1, sq.ndim))) + vae_kl(mu, logvar)))
        """,
        "flattens_only_last_axis": """
            def vae_loss(x, x_recon, mu, logvar):
                return float(np.mean(np.sum((x - x_recon) ** 2, axis=-1) + vae_kl(mu, logvar)))
        """,
    },
    "gan_discriminator_loss": {
        "plus_instead_of_minus": """
            def gan_discriminator_loss(d_real, d_fake):
                return float(-np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake)))
        """,
        "one_mean_over_both_batches": """
            def gan_discriminator_loss(d_real, d_fake):
                return float(-np.mean(np.concatenate([np.log(d_real).ravel(), np.log(1 - d_fake).ravel()])))
        """,
    },
    "gan_generator_loss": {
        "saturating_form": """
            def gan_generator_loss(d_fake):
                return float(np.mean(np.log(1 - d_fake)))
        """,
    },
    "gan_losses_from_logits": {
        "naive_log_sigmoid": """
            def gan_losses_from_logits(real_logits, fake_logits):
                sig = lambda s: 1 / (1 + np.exp(-s))
                loss_d = -np.mean(np.log(sig(real_logits))) - np.mean(np.log(1 - sig(fake_logits)))
                return float(loss_d), float(-np.mean(np.log(sig(fake_logits))))
        """,
        "swapped_outputs": """
            def gan_losses_from_logits(real_logits, fake_logits):
                loss_d = np.mean(np.logaddexp(0, -real_logits)) + np.mean(np.logaddexp(0, fake_logits))
                return float(np.mean(np.logaddexp(0, -fake_logits))), float(loss_d)
        """,
    },
    "gan_train_step": {
        # No detach and no opt_G.zero_grad(): the D step's gradient leaks into the G update.
        "no_detach_no_zero_grad": _STEP_HEAD + """
                fake = G(z)
                r, f = D(real), D(fake)
                loss_d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
                opt_D.zero_grad()
                loss_d.backward()
                opt_D.step()
                out = D(G(z))
                loss_g = bce(out, torch.ones_like(out))
                loss_g.backward()
                opt_G.step()
                return loss_d.item(), loss_g.item()
        """,
        # No detach, but opt_G.zero_grad() before the G backward: the numbers come out right, only
        # the watch on G's gradients after opt_D.step() sees the leak.
        "no_detach_but_zero_grad": _STEP_HEAD + """
                fake = G(z)
                r, f = D(real), D(fake)
                loss_d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
                opt_D.zero_grad()
                loss_d.backward()
                opt_D.step()
                out = D(G(z))
                loss_g = bce(out, torch.ones_like(out))
                opt_G.zero_grad()
                loss_g.backward()
                opt_G.step()
                return loss_d.item(), loss_g.item()
        """,
        "g_step_also_steps_opt_D": _STEP_HEAD + """
                fake = G(z).detach()
                r, f = D(real), D(fake)
                loss_d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
                opt_D.zero_grad()
                loss_d.backward()
                opt_D.step()
                out = D(G(z))
                loss_g = bce(out, torch.ones_like(out))
                opt_G.zero_grad()
                loss_g.backward()
                opt_G.step()
                opt_D.step()
                return loss_d.item(), loss_g.item()
        """,
        "generator_step_first": _STEP_HEAD + """
                out = D(G(z))
                loss_g = bce(out, torch.ones_like(out))
                opt_G.zero_grad()
                loss_g.backward()
                opt_G.step()
                r, f = D(real), D(G(z).detach())
                loss_d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
                opt_D.zero_grad()
                loss_d.backward()
                opt_D.step()
                return loss_d.item(), loss_g.item()
        """,
        "saturating_generator_loss": _STEP_HEAD + """
                r, f = D(real), D(G(z).detach())
                loss_d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
                opt_D.zero_grad()
                loss_d.backward()
                opt_D.step()
                out = D(G(z))
                loss_g = -bce(out, torch.zeros_like(out))  # mean log(1 - D(G(z)))
                opt_G.zero_grad()
                loss_g.backward()
                opt_G.step()
                return loss_d.item(), loss_g.item()
        """,
        "returns_tensors": _STEP_HEAD + """
                r, f = D(real), D(G(z).detach())
                loss_d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
                opt_D.zero_grad()
                loss_d.backward()
                opt_D.step()
                out = D(G(z))
                loss_g = bce(out, torch.ones_like(out))
                opt_G.zero_grad()
                loss_g.backward()
                opt_G.step()
                return loss_d, loss_g
        """,
    },
    "cycle_consistency_loss": {
        "without_lam": """
            def cycle_consistency_loss(x, x_cycled, y, y_cycled, lam=10.0):
                return float(np.mean(np.abs(x - x_cycled)) + np.mean(np.abs(y - y_cycled)))
        """,
        "squared_error": """
            def cycle_consistency_loss(x, x_cycled, y, y_cycled, lam=10.0):
                return float(lam * (np.mean((x - x_cycled) ** 2) + np.mean((y - y_cycled) ** 2)))
        """,
    },
    "linear_beta_schedule": {
        "linspace_T_plus_1": """
            def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
                return np.linspace(beta_start, beta_end, T + 1)[:-1]
        """,
        "arange_based": """
            def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
                return np.arange(beta_start, beta_end, (beta_end - beta_start) / T)
        """,
        "float32_running_sum": """
            def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
                # float32 is allowed, but adding the step T times drifts beyond float32 precision
                steps = np.full(T, (beta_end - beta_start) / (T - 1), dtype=np.float32)
                steps[0] = beta_start
                return np.cumsum(steps, dtype=np.float32)
        """,
        "float16": """
            def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
                return np.linspace(beta_start, beta_end, T).astype(np.float16)
        """,
    },
    "q_sample": {
        "abar_instead_of_sqrt": """
            def q_sample(x0, t, alphas_cumprod, noise):
                a = alphas_cumprod[t].reshape((-1,) + (1,) * (x0.ndim - 1)).astype(x0.dtype)
                return a * x0 + (1 - a) * noise
        """,
        "indexes_t_minus_1": """
            def q_sample(x0, t, alphas_cumprod, noise):
                a = alphas_cumprod[np.asarray(t) - 1].reshape((-1,) + (1,) * (x0.ndim - 1)).astype(x0.dtype)
                return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise
        """,
        "float64_always": """
            def q_sample(x0, t, alphas_cumprod, noise):
                a = alphas_cumprod[t].reshape((-1,) + (1,) * (x0.ndim - 1))
                return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise
        """,
    },
    "ddpm_loss": {
        "sum_instead_of_mean": """
            def ddpm_loss(eps_pred, eps):
                return float(np.sum((eps_pred - eps) ** 2))
        """,
    },
}

# tests/test_wrong_implementations.py grades every WRONG entry; these flaws must fail the check meant for them.
CAUGHT_BY = {
    "gan_train_step": {
        "no_detach_but_zero_grad": "hw6.generative.gan_train_step.no_gradient_leaks",
        "g_step_also_steps_opt_D": "hw6.generative.gan_train_step.no_gradient_leaks",
        "no_detach_no_zero_grad": "hw6.generative.gan_train_step.matches_trusted_step",
        "returns_tensors": "hw6.generative.gan_train_step.matches_trusted_step",
    },
    "gan_losses_from_logits": {"naive_log_sigmoid": "hw6.generative.gan_losses_from_logits.extreme_logits"},
}


def test_gradient_leak_messages_name_the_mistake(tmp_path):
    for flaw, words in (("no_detach_but_zero_grad", "the discriminator step let gradient reach the generator"),
                        ("g_step_also_steps_opt_D", "the generator step updated the discriminator"),
                        ("generator_step_first", "opt_G.step() ran before opt_D.step()")):
        results = grade_inprocess(submission_with(tmp_path / flaw, "generative",
                                                  WRONG["gan_train_step"][flaw]), ["generative"])
        check = next(c for c in results.checks if c.id == "hw6.generative.gan_train_step.no_gradient_leaks")
        assert words in check.message, check.message


def test_no_detach_with_zero_grad_keeps_the_numbers_right(tmp_path):
    """The leak is invisible in the numbers: only the gradient watch can catch it."""
    results = grade_inprocess(submission_with(tmp_path / "sub", "generative",
                                              WRONG["gan_train_step"]["no_detach_but_zero_grad"]), ["generative"])
    mine = statuses(results, "gan_train_step")
    assert mine["hw6.generative.gan_train_step.matches_trusted_step"] == "passed"
    assert mine["hw6.generative.gan_train_step.no_gradient_leaks"] == "failed"


CORRECT_BUT_DIFFERENT = """
    def reparameterize(mu, logvar, eps):
        out = np.empty_like(mu)
        for idx in np.ndindex(*mu.shape):
            out[idx] = mu[idx] + np.sqrt(np.exp(logvar[idx])) * eps[idx]
        return out

    def vae_kl(mu, logvar):
        out = np.zeros(mu.shape[0], dtype=mu.dtype)
        for n in range(mu.shape[0]):
            for j in range(mu.shape[1]):
                out[n] += 0.5 * (np.exp(logvar[n, j]) + mu[n, j] ** 2 - 1 - logvar[n, j])
        return out

    def vae_loss(x, x_recon, mu, logvar):
        n = x.shape[0]
        return sum(float(np.sum((x[i] - x_recon[i]) ** 2)) + float(vae_kl(mu, logvar)[i]) for i in range(n)) / n

    def gan_losses_from_logits(real_logits, fake_logits):
        def softplus(a):
            return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))
        loss_d = np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits))
        return float(loss_d), float(np.mean(softplus(-fake_logits)))

    def gan_train_step(G, D, opt_G, opt_D, real, z):
        # The PyTorch DCGAN-tutorial pattern: no_grad fake, D not frozen in the G step (its .grad
        # is polluted but only opt_G steps), losses written with logsigmoid, zero_grad after step.
        import torch
        import torch.nn.functional as F

        with torch.no_grad():
            fake = G(z)
        loss_d = -F.logsigmoid(D(real)).mean() - F.logsigmoid(-D(fake)).mean()
        loss_d.backward()
        opt_D.step()
        opt_D.zero_grad()
        opt_G.zero_grad()
        loss_g = -F.logsigmoid(D(G(z))).mean()
        loss_g.backward()
        opt_G.step()
        opt_G.zero_grad()
        opt_D.zero_grad()
        return loss_d.item(), loss_g.item()

    def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
        step = (beta_end - beta_start) / (T - 1)
        return np.array([beta_start + i * step for i in range(T)])

    def q_sample(x0, t, alphas_cumprod, noise):
        out = np.empty_like(x0)
        for n in range(x0.shape[0]):
            a = x0.dtype.type(alphas_cumprod[t[n]])
            out[n] = np.sqrt(a) * x0[n] + np.sqrt(1 - a) * noise[n]
        return out
"""


# Another fair GAN step: G frozen with requires_grad_(False) during the D step instead of .detach(),
# gradients zeroed to tensors of zeros, losses returned as 0-d numpy arrays.
FROZEN_G_STEP = """
    def gan_train_step(G, D, opt_G, opt_D, real, z):
        import torch

        for p in G.parameters():
            p.requires_grad_(False)
        real_logits, fake_logits = D(real), D(G(z))
        loss_d = torch.nn.BCEWithLogitsLoss()(real_logits, torch.ones_like(real_logits)) \\
            + torch.nn.BCEWithLogitsLoss()(fake_logits, torch.zeros_like(fake_logits))
        opt_D.zero_grad(set_to_none=False)
        loss_d.backward()
        opt_D.step()
        for p in G.parameters():
            p.requires_grad_(True)
        opt_G.zero_grad(set_to_none=False)
        logits = D(G(z))
        loss_g = torch.nn.BCEWithLogitsLoss()(logits, torch.ones_like(logits))
        loss_g.backward()
        opt_G.step()
        return loss_d.detach().numpy(), loss_g.detach().numpy()
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_correct_but_different_implementations_get_full_marks(tmp_path, seed):
    results = grade_inprocess(submission_with(tmp_path / "sub", "generative", CORRECT_BUT_DIFFERENT),
                              ["generative"], seed=seed)
    assert results.score == results.max_score, [(c.id, c.message) for c in results.checks if c.status != "passed"]


def test_reference_full_marks_for_many_seeds(tmp_path):
    folder = submission_with(tmp_path / "sub", "generative")
    for seed in range(1, 21):
        results = grade_inprocess(folder, ["generative"], seed=seed)
        assert results.score == results.max_score, (seed, [(c.id, c.message) for c in results.checks
                                                           if c.status != "passed"])


def test_torch_in_a_numpy_function_is_flagged(tmp_path):
    uses_torch = """
        def ddpm_loss(eps_pred, eps):
            import torch
            return float(torch.nn.functional.mse_loss(torch.as_tensor(eps_pred), torch.as_tensor(eps)))
    """
    results = assert_caught(tmp_path, "generative", "ddpm_loss", uses_torch)
    assert any("uses torch" in c.message for c in results.checks if c.function == "ddpm_loss")


def test_frozen_generator_step_gets_full_marks(tmp_path):
    results = grade_inprocess(submission_with(tmp_path / "sub", "generative", FROZEN_G_STEP), ["generative"])
    assert results.score == results.max_score, [(c.id, c.message) for c in results.checks if c.status != "passed"]


def test_float32_beta_schedule_gets_full_marks(tmp_path):
    """The contract's clarification: float64 or float32, float32 judged at float32 precision."""
    float32 = """
        def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
            return np.linspace(beta_start, beta_end, T, dtype=np.float32)
    """
    for seed in (1, 2, 3):
        results = grade_inprocess(submission_with(tmp_path / "sub", "generative", float32), ["generative"], seed=seed)
        assert results.score == results.max_score, [(c.id, c.message) for c in results.checks if c.status != "passed"]


def test_float16_beta_schedule_message_names_the_allowed_dtypes(tmp_path):
    results = assert_caught(tmp_path, "generative", "linear_beta_schedule", WRONG["linear_beta_schedule"]["float16"])
    message = next(c.message for c in results.checks if c.function == "linear_beta_schedule" and c.status != "passed")
    assert "float64 (or float32)" in message and "input's float dtype" not in message
