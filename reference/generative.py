"""Generative models (lecture part 6: 生成模型).

The building blocks of the lecture's generative models: the VAE's
reparameterization trick and loss, the GAN's discriminator and generator losses
(生成对抗网络) with one alternating training step, CycleGAN's cycle-consistency
loss (循环一致性损失), and the forward noising process and training loss of a
diffusion model (DDPM). Everything is numpy except the torch training step.
"""

import numpy as np


def _floating(x: np.ndarray) -> np.ndarray:
    # Integer input has no float dtype to keep, so it is promoted to float64.
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _like(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # Secondary arguments follow the main input's dtype so float32 stays float32.
    return np.asarray(x, dtype=dtype)


# ---------------------------------------------------------------- VAE

def reparameterize(mu: np.ndarray, logvar: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Draw z ~ N(mu, exp(logvar)) as a differentiable function of mu and logvar.

    A VAE's encoder (编码器) outputs a Gaussian over the latent code instead of a
    single code. Sampling is not differentiable, so the randomness is moved into
    standard-normal noise eps: z = mu + sigma * eps with sigma = exp(0.5 * logvar).
    Gradients then flow to mu and logvar (reparameterization trick, 重参数化).

    Args:
        mu: (N, L) means of the latent Gaussian.
        logvar: (N, L) log-variances log(sigma^2).
        eps: (N, L) standard-normal noise.

    Returns:
        z: (N, L) new array, mu + exp(0.5 * logvar) * eps, in mu's float dtype.
    """
    mu = _floating(mu)
    logvar, eps = _like(logvar, mu.dtype), _like(eps, mu.dtype)
    return mu + np.exp(0.5 * logvar) * eps


def vae_kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL divergence of each sample's latent Gaussian from the standard normal prior.

    The VAE's regularizer pulls the encoder's distribution N(mu, diag(exp(logvar)))
    towards the prior N(0, I), so that codes sampled from the prior decode to
    realistic data. For diagonal Gaussians it has the closed form
    KL = -0.5 * sum_L (1 + logvar - mu^2 - exp(logvar)).

    Args:
        mu: (N, L) means.
        logvar: (N, L) log-variances.

    Returns:
        (N,) KL per sample, summed over the L latent dimensions, in mu's float dtype.
    """
    mu = _floating(mu)
    logvar = _like(logvar, mu.dtype)
    return -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=-1)


def vae_loss(x: np.ndarray, x_recon: np.ndarray, mu: np.ndarray, logvar: np.ndarray) -> float:
    """VAE training loss: reconstruction error plus KL regularizer, averaged over the batch.

    The decoder (解码器) must reconstruct x from the sampled code (reconstruction
    term), while the code distribution must stay close to the prior (KL term).
    Per sample: sum over all features of (x - x_recon)^2, plus vae_kl(mu, logvar).

    Args:
        x: (N, ...) data; any feature shape after the batch axis (e.g. (N, D) or (N, C, H, W)).
        x_recon: same shape as x, the decoder's reconstruction.
        mu: (N, L) latent means.
        logvar: (N, L) latent log-variances.

    Returns:
        Python float: mean over the N samples of (squared error summed over features + KL).
    """
    x = _floating(x)
    sq = (x - _like(x_recon, x.dtype)) ** 2
    recon = np.sum(sq, axis=tuple(range(1, sq.ndim)))
    return float(np.mean(recon + vae_kl(mu, logvar)))


# ---------------------------------------------------------------- GAN

def gan_discriminator_loss(d_real: np.ndarray, d_fake: np.ndarray) -> float:
    """The discriminator's loss L_D of a GAN (判别损失), from probabilities.

    The discriminator D (判别器) is a binary classifier: it should give real data a
    high probability of being real and generated data G(z) a low one, so it minimizes
    L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))], the expectations taken as batch means.

    Args:
        d_real: (N,) or any shape, D's probabilities in (0, 1) on real samples.
        d_fake: (M,) or any shape, D's probabilities in (0, 1) on generated samples.

    Returns:
        Python float: -mean(log d_real) - mean(log(1 - d_fake)).
    """
    d_real, d_fake = _floating(d_real), _floating(d_fake)
    return float(-np.mean(np.log(d_real)) - np.mean(np.log1p(-d_fake)))


def gan_generator_loss(d_fake: np.ndarray) -> float:
    """The generator's loss L_G of a GAN (生成损失), from probabilities.

    The generator G (生成器) wants its samples judged real. The lecture uses the
    non-saturating form L_G = -E_z[log D(G(z))] rather than minimizing
    log(1 - D(G(z))), whose gradient vanishes when D confidently rejects the fakes.

    Args:
        d_fake: (M,) or any shape, D's probabilities in (0, 1) on generated samples.

    Returns:
        Python float: -mean(log d_fake).
    """
    return float(-np.mean(np.log(_floating(d_fake))))


def gan_losses_from_logits(real_logits: np.ndarray, fake_logits: np.ndarray) -> tuple[float, float]:
    """The GAN losses (L_D, L_G) computed stably from the discriminator's logits.

    Networks output logits s with D = sigmoid(s). Taking log(sigmoid(s)) directly
    gives log(0) = -inf once sigmoid under- or overflows, so use the stable identities
    log sigmoid(s) = -log(1 + exp(-s)) and log(1 - sigmoid(s)) = log sigmoid(-s),
    with log(1 + exp(a)) evaluated without overflow (e.g. np.logaddexp(0, a)).
    The results equal gan_discriminator_loss / gan_generator_loss on sigmoid(logits)
    and stay finite for logits up to +-100 and beyond.

    Args:
        real_logits: (N,) or any shape, D's logits on real samples.
        fake_logits: (M,) or any shape, D's logits on generated samples.

    Returns:
        (L_D, L_G) Python floats:
        L_D = -mean(log sigmoid(real_logits)) - mean(log(1 - sigmoid(fake_logits))),
        L_G = -mean(log sigmoid(fake_logits)).
    """
    real_logits, fake_logits = _floating(real_logits), _floating(fake_logits)
    # -log sigmoid(s) = logaddexp(0, -s);  -log(1 - sigmoid(s)) = logaddexp(0, s)
    loss_d = np.mean(np.logaddexp(0.0, -real_logits)) + np.mean(np.logaddexp(0.0, fake_logits))
    loss_g = np.mean(np.logaddexp(0.0, -fake_logits))
    return float(loss_d), float(loss_g)


def gan_train_step(
    G: "torch.nn.Module",
    D: "torch.nn.Module",
    opt_G: "torch.optim.Optimizer",
    opt_D: "torch.optim.Optimizer",
    real: "torch.Tensor",
    z: "torch.Tensor",
) -> tuple[float, float]:
    """One alternating GAN training step (torch): first train D with G fixed, then G with D fixed.

    The lecture's training loop (GAN的训练过程): (2) fix the generator and update the
    discriminator on L_D, (3) fix the discriminator and update the generator on L_G.
    D outputs logits, so both losses are binary cross-entropies with logits
    (torch.nn.functional.binary_cross_entropy_with_logits), each a mean over the batch.

    (1) D step: fake = G(z).detach() so no gradient reaches G;
        L_D = BCE(D(real), ones) + BCE(D(fake), zeros)
            = -mean log sigmoid(D(real)) - mean log(1 - sigmoid(D(fake)));
        opt_D.zero_grad(), L_D.backward(), opt_D.step().
    (2) G step: a fresh fake = G(z) (the detached one carries no gradient to G),
        scored by the just-updated D;
        L_G = BCE(D(fake), ones) = -mean log sigmoid(D(fake)) (non-saturating form);
        opt_G.zero_grad(), L_G.backward(), opt_G.step().
        D is fixed here: its parameters are temporarily set to requires_grad=False, so
        L_G.backward() leaves D's .grad untouched and only opt_G steps.
        Their previous requires_grad flags are restored afterwards.

    Args:
        G: generator nn.Module, z -> generated samples shaped like real.
        D: discriminator nn.Module, samples -> logits (e.g. (N, 1)).
        opt_G: optimizer over G's parameters.
        opt_D: optimizer over D's parameters.
        real: (N, ...) batch of real samples.
        z: (M, latent_dim) noise for the generator.

    Returns:
        (loss_D, loss_G) Python floats: L_D as computed in step (1), L_G as computed in step (2).
    """
    import torch
    import torch.nn.functional as F

    fake = G(z).detach()
    real_logits, fake_logits = D(real), D(fake)
    loss_d = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) \
        + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    opt_D.zero_grad()
    loss_d.backward()
    opt_D.step()

    # Freezing D (rather than zeroing its grads afterwards) keeps L_G's gradient out of
    # D entirely and skips computing it; gradients still flow *through* D into G.
    d_params = list(D.parameters())
    flags = [p.requires_grad for p in d_params]
    for p in d_params:
        p.requires_grad_(False)
    try:
        fake_logits = D(G(z))
        loss_g = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
        opt_G.zero_grad()
        loss_g.backward()
        opt_G.step()
    finally:
        for p, flag in zip(d_params, flags):
            p.requires_grad_(flag)
    return float(loss_d.item()), float(loss_g.item())


# ---------------------------------------------------------------- CycleGAN

def cycle_consistency_loss(
    x: np.ndarray, x_cycled: np.ndarray, y: np.ndarray, y_cycled: np.ndarray, lam: float = 10.0
) -> float:
    """CycleGAN's cycle-consistency loss (循环一致性损失).

    CycleGAN learns two mappings G: X -> Y and F: Y -> X from unpaired data. Translating
    to the other domain and back should return the input, F(G(x)) ~ x and G(F(y)) ~ y;
    the L1 distance of the round trip is penalized, weighted by lam.

    Args:
        x: (N, ...) images of domain X.
        x_cycled: same shape as x, F(G(x)).
        y: (M, ...) images of domain Y.
        y_cycled: same shape as y, G(F(y)).
        lam: weight of the loss (10 in the CycleGAN paper).

    Returns:
        Python float: lam * (mean|x - x_cycled| + mean|y - y_cycled|), means over all elements.
    """
    x, y = _floating(x), _floating(y)
    l1_x = np.mean(np.abs(x - _like(x_cycled, x.dtype)))
    l1_y = np.mean(np.abs(y - _like(y_cycled, y.dtype)))
    return float(lam * (l1_x + l1_y))


# ---------------------------------------------------------------- Diffusion

def linear_beta_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """The noise variances beta_1..beta_T of DDPM's forward (diffusion) process.

    A diffusion model (扩散模型) gradually destroys data by adding a little Gaussian
    noise at each of T steps, step t with variance beta_t; the model learns to undo
    it. DDPM uses betas that grow linearly from beta_start to beta_end.

    Args:
        T: number of diffusion steps.
        beta_start: first beta.
        beta_end: last beta.

    Returns:
        (T,) array evenly spaced from beta_start to beta_end, both included,
        float64 or float32 (float32 values are judged at float32 precision).
    """
    return np.linspace(beta_start, beta_end, T, dtype=np.float64)


def q_sample(x0: np.ndarray, t: np.ndarray, alphas_cumprod: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Jump straight to step t of the forward diffusion process: sample x_t ~ q(x_t | x_0).

    With alpha_t = 1 - beta_t and abar_t = prod_{s<=t} alpha_s (alphas_cumprod, e.g.
    np.cumprod(1 - betas)), the noisy sample after t steps has the closed form
    x_t = sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * noise, so training can pick any t
    directly. Each sample n uses its own step t[n], broadcast over its features.

    Args:
        x0: (N, ...) clean data, any feature shape after the batch axis.
        t: (N,) integer step indices into alphas_cumprod.
        alphas_cumprod: (T,) cumulative products abar.
        noise: same shape as x0, standard-normal noise.

    Returns:
        x_t: new array shaped like x0 in x0's float dtype,
        sqrt(abar[t[n]]) * x0[n] + sqrt(1 - abar[t[n]]) * noise[n] for every n.
    """
    x0 = _floating(x0)
    abar = _like(alphas_cumprod, x0.dtype)[np.asarray(t)]
    abar = abar.reshape(abar.shape + (1,) * (x0.ndim - 1))
    return np.sqrt(abar) * x0 + np.sqrt(1.0 - abar) * _like(noise, x0.dtype)


def ddpm_loss(eps_pred: np.ndarray, eps: np.ndarray) -> float:
    """DDPM's simplified training loss: predict the noise that was added.

    The network sees x_t = q_sample(x0, t, ...) and t and predicts the noise eps used to
    make it; the loss is the mean squared error between predicted and true noise.

    Args:
        eps_pred: (N, ...) predicted noise.
        eps: same shape, the true noise.

    Returns:
        Python float: mean over all elements of (eps_pred - eps)^2.
    """
    eps_pred = _floating(eps_pred)
    return float(np.mean((eps_pred - _like(eps, eps_pred.dtype)) ** 2))
