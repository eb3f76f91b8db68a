"""Checks for generative (hw6): VAE, GAN losses and one GAN training step, CycleGAN, DDPM.

Oracles: closed forms computed here in float64 numpy (the lecture's L_D and L_G, the diagonal
Gaussian KL, the DDPM forward process), torch.distributions for the KL, and a trusted GAN step in
judge-side torch written from the contract. torch is imported inside the checks that use it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..child.payloads import GanAnswer, GanBatch, GanRequest
from ..child.wire import Tensor
from ..compare import (
    as_array,
    as_float,
    as_sequence,
    expect_array,
    expect_equal,
    expect_fields,
    expect_float,
    expect_true,
    fail,
)
from ..context import Context
from ..i18n import Text
from ..oracles import oracle
from ..registry import check
from ..tolerances import ATOL32, ATOL64, RTOL32, RTOL64
from .common import FLOAT32_HINT, against, with_float32

HINT_REPARAM = Text(
    zh="讲义第 6.1 部分（VAE，重参数化）：sigma 是标准差 exp(0.5 * logvar)，而不是方差 exp(logvar)；z = mu + sigma * eps。",
    en="Lecture part 6.1 (VAE, 重参数化): sigma is the standard deviation, exp(0.5 * logvar), "
       "not the variance exp(logvar); z = mu + sigma * eps.")
HINT_KL = Text(
    zh="讲义第 6.1 部分（VAE）：每个潜变量维度上 KL(N(mu, sigma^2) || N(0, 1)) = 0.5 * (sigma^2 + mu^2 - 1 - log sigma^2)，"
       "对 L 个维度求和（不是求平均）；它永远不会是负的。",
    en="Lecture part 6.1 (VAE): KL(N(mu, sigma^2) || N(0, 1)) = 0.5 * (sigma^2 + mu^2 - 1 - log sigma^2) "
       "per latent dimension, summed (not averaged) over the L dimensions; it is never negative.")
HINT_VAE_LOSS = Text(
    zh="讲义第 6.1 部分（VAE）：对每个样本，把平方误差在所有特征维度上求和（对图像是 C、H 和 W），再加上该样本的 KL；然后对批量求平均。",
    en="Lecture part 6.1 (VAE): per sample, the squared error summed over every feature axis "
       "(for images: C, H and W) plus that sample's KL; then the mean over the batch.")
HINT_LD = Text(
    zh="讲义第 6.2 部分（判别损失）：L_D = -E[log D(x)] - E[log(1 - D(G(z)))]；两项都带负号，每个期望都是对各自批量的平均。",
    en="Lecture part 6.2 (判别损失): L_D = -E[log D(x)] - E[log(1 - D(G(z)))]; both terms carry a minus "
       "sign and each expectation is the mean over its own batch.")
HINT_LG = Text(
    zh="讲义第 6.2 部分（生成损失）：L_G = -E[log D(G(z))]，即非饱和形式；而不是 E[log(1 - D(G(z)))]，后者在 D 拒绝假样本时梯度"
       "消失。",
    en="Lecture part 6.2 (生成损失): L_G = -E[log D(G(z))], the non-saturating form; not "
       "E[log(1 - D(G(z)))], whose gradient vanishes when D rejects the fakes.")
HINT_LOGITS = Text(
    zh="讲义第 6.2 部分，其中 D = sigmoid(s)：log D 和 log(1 - D) 都可以只用 s 写出（log(1 - sigmoid(s)) = log sigmoid(-s)），"
       "在 sigmoid(s) 舍入为 0 或 1 的地方也保持有限。",
    en="Lecture part 6.2 with D = sigmoid(s): log D and log(1 - D) can be written in terms of s alone "
       "(log(1 - sigmoid(s)) = log sigmoid(-s)), which stays finite where sigmoid(s) rounds to 0 or 1.")
HINT_STEP = Text(
    zh="讲义第 6.2 部分（GAN的训练过程）：先固定 G，用 L_D 更新 D，使这一步的梯度不会传到 G；再固定 D，通过重新计算的 D(G(z)) 用 "
       "L_G 更新 G，每个优化器都从清零的梯度开始。",
    en="Lecture part 6.2 (GAN的训练过程): first update D on L_D with G fixed, so that no gradient of this step "
       "reaches G; then update G on L_G through a fresh D(G(z)) with D fixed, each optimiser starting from "
       "zeroed gradients.")
HINT_CYCLE = Text(
    zh="讲义第 6.2 部分（CycleGAN，循环一致性损失）：两次往返 x 与 F(G(x))、y 与 G(F(y)) 各自的 L1 距离（平均绝对误差）相加，再乘以 "
       "lam。",
    en="Lecture part 6.2 (CycleGAN, 循环一致性损失): the L1 distance (mean absolute error) of each "
       "round trip, x vs F(G(x)) and y vs G(F(y)), added and multiplied by lam.")
HINT_BETAS = Text(zh="讲义第 6.3 部分（扩散模型）：从 beta_start 到 beta_end 的 T 个 beta，两端都包含，间隔均匀。",
                  en="Lecture part 6.3 (扩散模型): T betas from beta_start to beta_end, both included, evenly spaced.")
HINT_Q = Text(
    zh="讲义第 6.3 部分（扩散模型）：x_t = sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * noise，其中样本 n 的 abar_t 取 alphas_cumprod "
       "中下标为 t[n] 的值，并在它的所有特征上广播。",
    en="Lecture part 6.3 (扩散模型): x_t = sqrt(abar_t) * x_0 + sqrt(1 - abar_t) * noise, with abar_t taken from "
       "alphas_cumprod at index t[n] for sample n and broadcast over its features.")
HINT_DDPM = Text(zh="讲义第 6.3 部分（扩散模型）：对所有元素的平方误差求平均，而不是求和。",
                 en="Lecture part 6.3 (扩散模型): the mean, not the sum, of the squared error over all elements.")
# The wrong variants the oracles compute, by key (oracles return plain data), and how messages name them.
LABELS: dict[str, str | Text] = {
    "variance": Text("mu + exp(logvar) * eps（用了方差而不是标准差）",
                     "mu + exp(logvar) * eps (the variance instead of the standard deviation)"),
    "kl_negated": Text("KL 的相反数（符号取反）", "minus the KL (sign flipped)"),
    "kl_doubled": Text("KL 的两倍（缺少 1/2）", "twice the KL (the 1/2 is missing)"),
    "kl_mean": Text("对 L 个潜变量维度求平均而不是求和的结果", "the mean over the L latent dimensions instead of the sum"),
    "vae_feature_mean": Text("对特征求平方误差的平均而不是求和的结果",
                             "the mean squared error over the features instead of the sum"),
    "vae_batch_sum": Text("对批量求和而不是求平均的结果", "the sum over the batch instead of the mean"),
    "vae_no_kl": Text("只有重建项（缺少 KL）", "the reconstruction term alone (KL missing)"),
    "ld_plus": Text("-mean log D(x) + mean log(1 - D(G(z)))（第二个负号变成了正号）",
                    "-mean log D(x) + mean log(1 - D(G(z))) (the second minus became a plus)"),
    "ld_log_fake": Text("用 log D(G(z)) 而不是 log(1 - D(G(z))) 写出的损失",
                        "a loss written with log D(G(z)) instead of log(1 - D(G(z)))"),
    "ld_one_mean": Text("把真实样本和假样本放在一起求一个平均的结果", "one mean over real and fake together"),
    "lg_saturating": Text("mean log(1 - D(G(z)))（饱和形式）", "mean log(1 - D(G(z))) (the saturating form)"),
    "lg_negated": "-mean log(1 - D(G(z)))",
    "lg_no_sign": Text("+mean log D(G(z))（缺少负号）", "+mean log D(G(z)) (sign missing)"),
    "cycle_no_lam": Text("没有乘 lam 的损失", "the loss without lam"),
    "cycle_l2": Text("lam 乘以平方误差（L2）而不是绝对误差（L1）",
                     "lam times the squared error (L2) instead of the absolute error (L1)"),
    "betas_no_end": Text("np.linspace(beta_start, beta_end, T + 1)[:-1]（漏掉了 beta_end）",
                         "np.linspace(beta_start, beta_end, T + 1)[:-1] (beta_end left out)"),
    "q_no_sqrt": Text("abar * x0 + (1 - abar) * noise（该用 sqrt(abar) 的地方用了 abar）",
                      "abar * x0 + (1 - abar) * noise (abar where sqrt(abar) belongs)"),
    "q_shifted": Text("alphas_cumprod[t - 1]（t 直接作为数组下标）",
                      "alphas_cumprod[t - 1] (t indexes the array directly)"),
}


def _labelled(alternatives: dict) -> dict:
    return {LABELS[key]: value for key, value in alternatives.items()}


SUM_NOT_MEAN = Text("平方误差之和而不是平均值", "the sum of squared errors instead of the mean")
Q32 = Text("q_sample，float32 的 x0 和 noise（alphas_cumprod 为 float64）",
           "q_sample with float32 x0 and noise (alphas_cumprod float64)")
TWO_CALLS = Text("用同样的网络和优化器调用两次", "two calls with the same networks and optimisers")


# --------------------------------------------------------------------------- judge-side math

@oracle
def _kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    return 0.5 * np.sum(np.exp(logvar) + mu**2 - 1.0 - logvar, axis=-1)


@oracle
def _vae_loss(x, x_recon, mu, logvar) -> float:
    diff = np.asarray(x, np.float64) - np.asarray(x_recon, np.float64)
    return float(np.mean(np.sum(diff.reshape(len(diff), -1) ** 2, axis=1) + _kl(mu, logvar)))


@oracle
def _l_d(d_real, d_fake) -> float:
    return float(-np.mean(np.log(d_real)) - np.mean(np.log(1.0 - np.asarray(d_fake))))


@oracle
def _l_g(d_fake) -> float:
    return float(-np.mean(np.log(d_fake)))


@oracle
def _log_sigmoid(s: np.ndarray) -> np.ndarray:
    """log(1 / (1 + e^-s)) = min(s, 0) - log(1 + e^-|s|): exp never overflows, nothing rounds to log(0)."""
    s = np.asarray(s, np.float64)
    return np.minimum(s, 0.0) - np.log1p(np.exp(-np.abs(s)))


@oracle
def _losses_from_logits(real, fake) -> tuple[float, float]:
    return (float(-np.mean(_log_sigmoid(real)) - np.mean(_log_sigmoid(-np.asarray(fake)))),
            float(-np.mean(_log_sigmoid(fake))))


@oracle
def _sigmoid(s: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(s, np.float64)))  # exact identity, overflow-free


@oracle
def _cycle(x, xc, y, yc, lam) -> float:
    f = lambda a, b: np.mean(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))  # noqa: E731
    return float(lam * (f(x, xc) + f(y, yc)))


@oracle
def _betas(T: int, start: float, end: float) -> np.ndarray:
    return start + (end - start) * np.arange(T) / (T - 1)


@oracle
def _q(x0, t, abar, noise) -> np.ndarray:
    a = np.asarray(abar, np.float64)[np.asarray(t)].reshape((len(t),) + (1,) * (np.ndim(x0) - 1))
    return np.sqrt(a) * np.asarray(x0, np.float64) + np.sqrt(1.0 - a) * np.asarray(noise, np.float64)


@oracle
def _alphas_cumprod(T: int) -> np.ndarray:
    return np.cumprod(1.0 - _betas(T, 1e-4, 0.02))


# --------------------------------------------------------------------------- VAE

@check("hw6.generative.reparameterize.simple", hint=HINT_REPARAM)
def reparameterize_simple(ctx: Context) -> None:
    mu = np.array([[0.0, 1.0, -1.0]])
    logvar = np.array([[0.0, math.log(4.0), math.log(0.25)]])
    eps = np.array([[1.0, 1.0, 1.0]])
    case = "mu=[[0, 1, -1]], logvar=[[0, log(4), log(0.25)]], eps=[[1, 1, 1]]: sigma=[1, 2, 0.5]"
    alternatives = {LABELS["variance"]: mu + np.exp(logvar) * eps}
    expect_array(ctx.call_unchanged(mu, logvar, eps), np.array([[1.0, 3.0, -0.5]]), "reparameterize", case,
                 rtol=0, atol=1e-12, dtype=np.float64, hint_on=alternatives)
    expect_array(ctx.call(*(a.astype(np.float32) for a in (mu, logvar, eps))), np.array([[1.0, 3.0, -0.5]]),
                 with_float32("reparameterize"), case, rtol=RTOL32, atol=ATOL32, dtype=np.float32, hint_on=alternatives)


@check("hw6.generative.reparameterize.random", hint=HINT_REPARAM)
def reparameterize_random(ctx: Context) -> None:
    n, latent = (int(v) for v in ctx.rng.integers(2, 7, size=2))
    mu, logvar, eps = (ctx.rng.normal(size=(n, latent)) for _ in range(3))
    got = ctx.call_unchanged(mu, logvar, eps)
    expect_array(got, mu + np.exp(0.5 * logvar) * eps, "reparameterize", ctx.case(mu=mu, logvar=logvar, eps=eps),
                 rtol=RTOL64, atol=ATOL64, dtype=np.float64, hint_on={LABELS["variance"]: mu + np.exp(logvar) * eps})


@check("hw6.generative.reparameterize.float32", hint=FLOAT32_HINT)
def reparameterize_float32(ctx: Context) -> None:
    mu, logvar, eps = (ctx.rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3))
    got = ctx.call(mu, logvar, eps)
    want = mu.astype(np.float64) + np.exp(0.5 * logvar.astype(np.float64)) * eps
    expect_array(got, want, with_float32("reparameterize"), ctx.case(mu=mu, logvar=logvar, eps=eps),
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


def _kl_alternatives(kl: np.ndarray, latent: int) -> dict:
    return _labelled(_kl_alternative_values(kl, latent))


@oracle
def _kl_alternative_values(kl: np.ndarray, latent: int) -> dict:
    return {"kl_negated": -kl, "kl_doubled": 2 * kl, "kl_mean": kl / latent}


@check("hw6.generative.vae_kl.simple", hint=HINT_KL)
def vae_kl_simple(ctx: Context) -> None:
    mu = np.array([[0.0, 0.0], [1.0, -1.0]])
    logvar = np.array([[0.0, 0.0], [math.log(4.0), 0.0]])
    want = np.array([0.0, 2.5 - math.log(2.0)])  # row 2: 0.5 * (4 + 1 - 1 - log 4) + 0.5 * (1 + 1 - 1 - 0)
    case = Text("mu = [[0, 0], [1, -1]]，logvar = [[0, 0], [log(4), 0]]：第一行就是先验本身（KL 为 0）",
                "mu = [[0, 0], [1, -1]], logvar = [[0, 0], [log(4), 0]]: the first row is the prior itself (KL 0)")
    expect_array(ctx.call_unchanged(mu, logvar), want, "vae_kl", case, rtol=0, atol=1e-12, dtype=np.float64,
                 hint_on=_kl_alternatives(want, 2))
    expect_array(ctx.call(mu.astype(np.float32), logvar.astype(np.float32)), want, with_float32("vae_kl"), case,
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32, hint_on=_kl_alternatives(want, 2))


@check("hw6.generative.vae_kl.matches_torch", hint=HINT_KL)
def vae_kl_matches_torch(ctx: Context) -> None:
    import torch
    from torch.distributions import Normal, kl_divergence

    n, latent = int(ctx.rng.integers(2, 7)), int(ctx.rng.integers(2, 9))
    mu, logvar = ctx.rng.normal(size=(n, latent)), ctx.rng.normal(size=(n, latent))
    q = Normal(torch.tensor(mu), torch.exp(0.5 * torch.tensor(logvar)))
    prior = Normal(torch.zeros(n, latent, dtype=torch.float64), torch.ones(n, latent, dtype=torch.float64))
    want = kl_divergence(q, prior).sum(dim=-1).numpy()
    got = ctx.call_unchanged(mu, logvar)
    expect_array(got, want, against("vae_kl", Text("torch.distributions.kl_divergence 在 L 上的和",
                                                   "torch.distributions.kl_divergence summed over L")),
                 ctx.case(mu=mu, logvar=logvar), rtol=RTOL64, atol=ATOL64,
                 dtype=np.float64, hint_on=_kl_alternatives(want, latent))


@check("hw6.generative.vae_kl.float32", hint=FLOAT32_HINT)
def vae_kl_float32(ctx: Context) -> None:
    mu, logvar = (ctx.rng.normal(size=(5, 4)).astype(np.float32) for _ in range(2))
    got = ctx.call(mu, logvar)
    expect_array(got, _kl(mu, logvar), with_float32("vae_kl"), ctx.case(mu=mu, logvar=logvar),
                 rtol=RTOL32, atol=ATOL32, dtype=np.float32)


def _vae_alternatives(x, x_recon, mu, logvar) -> dict:
    return _labelled(_vae_alternative_values(x, x_recon, mu, logvar))


@oracle
def _vae_alternative_values(x, x_recon, mu, logvar) -> dict:
    diff = (np.asarray(x, np.float64) - x_recon).reshape(len(x), -1)
    kl = _kl(mu, logvar)
    return {"vae_feature_mean": float(np.mean(np.mean(diff**2, axis=1) + kl)),
            "vae_batch_sum": float(np.sum(np.sum(diff**2, axis=1) + kl)),
            "vae_no_kl": float(np.mean(np.sum(diff**2, axis=1)))}


@check("hw6.generative.vae_loss.simple", hint=HINT_VAE_LOSS)
def vae_loss_simple(ctx: Context) -> None:
    x, x_recon = np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]])
    mu = np.array([[0.0, 0.0], [1.0, -1.0]])
    logvar = np.array([[0.0, 0.0], [math.log(4.0), 0.0]])
    want = (5.0 + 1.0 + 2.5 - math.log(2.0)) / 2  # squared errors 5 and 1, KL 0 and 2.5 - log 2
    case = ("x = [[1, 2], [0, 0]], x_recon = [[0, 0], [0, 1]], mu = [[0, 0], [1, -1]], "
            "logvar = [[0, 0], [log(4), 0]]")
    got = ctx.call_unchanged(x, x_recon, mu, logvar)
    expect_float(got, want, "vae_loss", case, rtol=1e-12, atol=1e-12, hint_on=_vae_alternatives(x, x_recon, mu, logvar))
    # The same numbers as images (N, C, H, W) = (2, 1, 2, 1) in float32: the error sums over C, H and W.
    args = (x.reshape(2, 1, 2, 1), x_recon.reshape(2, 1, 2, 1), mu, logvar)
    got = ctx.call(*(a.astype(np.float32) for a in args))
    expect_float(got, want, Text("vae_loss，图像形状的 float32 x (N, C, H, W)",
                                 "vae_loss on image-shaped float32 x (N, C, H, W)"),
                 case + Text("，x 和 x_recon 的形状为 (2, 1, 2, 1)", ", x and x_recon as (2, 1, 2, 1)"),
                 rtol=RTOL32, atol=ATOL32, hint_on=_vae_alternatives(*args))


@check("hw6.generative.vae_loss.random", hint=HINT_VAE_LOSS)
def vae_loss_random(ctx: Context) -> None:
    n, d, latent = (int(v) for v in ctx.rng.integers(2, 8, size=3))
    x, x_recon = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(n, d))
    mu, logvar = ctx.rng.normal(size=(n, latent)), ctx.rng.normal(size=(n, latent))
    got = ctx.call_unchanged(x, x_recon, mu, logvar)
    expect_float(got, _vae_loss(x, x_recon, mu, logvar), "vae_loss", ctx.case(x=x, mu=mu), rtol=RTOL64, atol=ATOL64,
                 hint_on=_vae_alternatives(x, x_recon, mu, logvar))


@check("hw6.generative.vae_loss.images", hint=HINT_VAE_LOSS)
def vae_loss_images(ctx: Context) -> None:
    for dtype in (np.float64, np.float32):
        x = ctx.rng.random(size=(3, 2, 4, 5)).astype(dtype)
        x_recon = ctx.rng.random(size=x.shape).astype(dtype)
        mu, logvar = (ctx.rng.normal(size=(3, 4)).astype(dtype) for _ in range(2))
        got = ctx.call_unchanged(x, x_recon, mu, logvar)
        tol = RTOL64 if dtype == np.float64 else RTOL32
        expect_float(got, _vae_loss(x, x_recon, mu, logvar), Text("vae_loss，图像形状的 x (N, C, H, W)",
                                                                  "vae_loss on image-shaped x (N, C, H, W)"),
                     ctx.case(x=x, mu=mu), rtol=tol, atol=tol, hint_on=_vae_alternatives(x, x_recon, mu, logvar))


# --------------------------------------------------------------------------- GAN losses

LECTURE_D_REAL = np.array([0.9, 0.8, 0.6])
LECTURE_D_FAKE = np.array([0.1, 0.3, 0.2])
LECTURE_CASE = "d_real = [0.9, 0.8, 0.6], d_fake = [0.1, 0.3, 0.2]"


def _ld_alternatives(d_real, d_fake) -> dict:
    return _labelled(_ld_alternative_values(d_real, d_fake))


@oracle
def _ld_alternative_values(d_real, d_fake) -> dict:
    return {"ld_plus": float(-np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake))),
            "ld_log_fake": float(-np.mean(np.log(d_real)) - np.mean(np.log(d_fake))),
            "ld_one_mean": float(-np.mean(np.concatenate([np.log(d_real).ravel(), np.log(1 - d_fake).ravel()])))}


def _lg_alternatives(d_fake) -> dict:
    return _labelled(_lg_alternative_values(d_fake))


@oracle
def _lg_alternative_values(d_fake) -> dict:
    return {"lg_saturating": float(np.mean(np.log(1 - d_fake))), "lg_negated": float(-np.mean(np.log(1 - d_fake))),
            "lg_no_sign": float(np.mean(np.log(d_fake)))}


@check("hw6.generative.gan_discriminator_loss.lecture_table", hint=HINT_LD)
def gan_discriminator_loss_lecture_table(ctx: Context) -> None:
    got = ctx.call(LECTURE_D_REAL, LECTURE_D_FAKE)
    expect_float(got, _l_d(LECTURE_D_REAL, LECTURE_D_FAKE), "gan_discriminator_loss (L_D)", LECTURE_CASE,
                 rtol=1e-12, atol=1e-12, hint_on=_ld_alternatives(LECTURE_D_REAL, LECTURE_D_FAKE))


@check("hw6.generative.gan_discriminator_loss.random", hint=HINT_LD)
def gan_discriminator_loss_random(ctx: Context) -> None:
    # Different batch sizes for real and fake, flat and D-shaped (N, 1); float32 too.
    for real_shape, fake_shape, dtype in (((7,), (4,), np.float64), ((5, 1), (8, 1), np.float64),
                                          ((6,), (3,), np.float32)):
        d_real = ctx.rng.uniform(0.02, 0.98, size=real_shape).astype(dtype)
        d_fake = ctx.rng.uniform(0.02, 0.98, size=fake_shape).astype(dtype)
        got = ctx.call_unchanged(d_real, d_fake)
        tol = RTOL64 if dtype == np.float64 else RTOL32
        r, f = d_real.astype(np.float64), d_fake.astype(np.float64)
        expect_float(got, _l_d(r, f), "gan_discriminator_loss (L_D)", ctx.case(d_real=d_real, d_fake=d_fake),
                     rtol=tol, atol=tol, hint_on=_ld_alternatives(r, f))


@check("hw6.generative.gan_generator_loss.lecture_table", hint=HINT_LG)
def gan_generator_loss_lecture_table(ctx: Context) -> None:
    got = ctx.call(LECTURE_D_FAKE)
    expect_float(got, _l_g(LECTURE_D_FAKE), "gan_generator_loss (L_G)", "d_fake = [0.1, 0.3, 0.2]",
                 rtol=1e-12, atol=1e-12, hint_on=_lg_alternatives(LECTURE_D_FAKE))


@check("hw6.generative.gan_generator_loss.random", hint=HINT_LG)
def gan_generator_loss_random(ctx: Context) -> None:
    for shape, dtype in (((9,), np.float64), ((4, 1), np.float64), ((5,), np.float32)):
        d_fake = ctx.rng.uniform(0.02, 0.98, size=shape).astype(dtype)
        got = ctx.call_unchanged(d_fake)
        tol = RTOL64 if dtype == np.float64 else RTOL32
        f = d_fake.astype(np.float64)
        expect_float(got, _l_g(f), "gan_generator_loss (L_G)", ctx.case(d_fake=d_fake),
                     rtol=tol, atol=tol, hint_on=_lg_alternatives(f))


def _expect_logit_losses(got, real, fake, case: str | Text, rtol: float, atol: float) -> None:
    loss_d, loss_g = as_sequence(got, 2, "gan_losses_from_logits", case)
    want_d, want_g = _losses_from_logits(real, fake)
    expect_float(loss_d, want_d, "gan_losses_from_logits L_D", case, rtol=rtol, atol=atol)
    expect_float(loss_g, want_g, "gan_losses_from_logits L_G", case, rtol=rtol, atol=atol)


@check("hw6.generative.gan_losses_from_logits.extreme_logits", hint=HINT_LOGITS)
def gan_losses_from_logits_extreme_logits(ctx: Context) -> None:
    real = np.array([100.0, -100.0, 0.0, 5.0])
    fake = np.array([-100.0, 100.0, -3.0])
    # Losses near 100 from sums of log1p terms: float64 keeps ~1e-16 relative, 1e-12 forgives the form.
    got = ctx.call_unchanged(real, fake)
    _expect_logit_losses(got, real, fake, Text("real_logits = [100, -100, 0, 5]，fake_logits = [-100, 100, -3]："
                                               "在 float64 中 sigmoid(100) 就是 1.0，所以 log(1 - sigmoid(100)) = log(0)",
                                               "real_logits = [100, -100, 0, 5], fake_logits = [-100, 100, -3]: "
                                               "sigmoid(100) is 1.0 in float64, so log(1 - sigmoid(100)) = log(0)"),
                         rtol=1e-12, atol=1e-12)


@check("hw6.generative.gan_losses_from_logits.random_logits", hint=HINT_LOGITS)
def gan_losses_from_logits_random_logits(ctx: Context) -> None:
    # Moderate logits: equal to the probability form on sigmoid(logits). With |s| <= 6, 1 - sigmoid(s)
    # >= 2.5e-3, so the probability form itself loses at most ~1e-13 relative: 1e-9 is ample.
    real, fake = ctx.rng.uniform(-6, 6, size=7), ctx.rng.uniform(-6, 6, size=5)
    case = ctx.case(Text("大小适中的 logits", "moderate logits"), real_logits=real, fake_logits=fake)
    loss_d, loss_g = as_sequence(ctx.call_unchanged(real, fake), 2, "gan_losses_from_logits", case)
    expect_float(loss_d, _l_d(_sigmoid(real), _sigmoid(fake)),
                 against("gan_losses_from_logits L_D", "gan_discriminator_loss(sigmoid(real), sigmoid(fake))"),
                 case, rtol=1e-9, atol=1e-9)
    expect_float(loss_g, _l_g(_sigmoid(fake)),
                 against("gan_losses_from_logits L_G", "gan_generator_loss(sigmoid(fake))"), case, rtol=1e-9, atol=1e-9)
    # Wide logits, up to +-100, against the stable judge-side log-sigmoid.
    real, fake = ctx.rng.uniform(-100, 100, size=(6, 1)), ctx.rng.uniform(-100, 100, size=(4, 1))
    real[0, 0], fake[0, 0] = -100.0, 100.0
    _expect_logit_losses(ctx.call(real, fake), real, fake,
                         ctx.case(Text("logits 可达 +-100", "logits up to +-100"), real_logits=real, fake_logits=fake),
                         rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- GAN training step

G_LAYERS: list[list[Any]] = [["linear", 2, 4], ["tanh"], ["linear", 4, 3]]
D_LAYERS: list[list[Any]] = [["linear", 3, 4], ["tanh"], ["linear", 4, 1]]


def _random_state(rng: np.random.Generator, layers: list, dtype) -> dict:
    state = {}
    for i, layer in enumerate(layers):
        if layer[0] == "linear":
            fan_in, fan_out = layer[1], layer[2]
            state[f"{i}.weight"] = (rng.normal(size=(fan_out, fan_in)) / np.sqrt(fan_in)).astype(dtype)
            state[f"{i}.bias"] = (0.3 * rng.normal(size=fan_out)).astype(dtype)
    return state


def _gan_payload(rng: np.random.Generator, dtype, momentum: float, sizes: list[tuple[int, int]]) -> GanRequest:
    batches: list[GanBatch] = [{"real": rng.normal(size=(n, 3)).astype(dtype),
                                "z": rng.normal(size=(m, 2)).astype(dtype)} for n, m in sizes]
    return {"dtype": np.dtype(dtype).name, "optimizer": {"lr": 0.1, "momentum": momentum},
            "G": {"layers": G_LAYERS, "state": _random_state(rng, G_LAYERS, dtype)},
            "D": {"layers": D_LAYERS, "state": _random_state(rng, D_LAYERS, dtype)},
            "batches": batches}


class _SGD:
    """torch.optim.SGD's update (no dampening, no Nesterov, no weight decay), written out: the judge
    then never constructs a torch optimiser, whose first construction imports torch._dynamo (1 s)."""

    def __init__(self, params, lr: float, momentum: float) -> None:
        self.params, self.lr, self.momentum = list(params), lr, momentum
        self.buffers: list = [None] * len(self.params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        import torch

        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                step = p.grad
                if self.momentum:
                    if self.buffers[i] is None:
                        self.buffers[i] = p.grad.clone()
                    else:
                        self.buffers[i].mul_(self.momentum).add_(p.grad)
                    step = self.buffers[i]
                p.add_(step, alpha=-self.lr)


@oracle
def _trusted_gan_steps(payload: GanRequest) -> tuple[list[tuple[float, float]], dict, dict]:
    """The contract's step in judge-side torch: one D step on L_D with G(z) detached, then one G step on
    L_G through the updated D, whose gradient is taken with respect to G's parameters only."""
    import torch
    import torch.nn.functional as F

    dtype = {"float32": torch.float32, "float64": torch.float64}[payload["dtype"]]
    nets = {}
    for name in ("G", "D"):
        mods = []
        for layer in payload[name]["layers"]:
            mods.append(torch.nn.Linear(layer[1], layer[2]) if layer[0] == "linear" else torch.nn.Tanh())
        net = torch.nn.Sequential(*mods).to(dtype)
        net.load_state_dict({k: torch.tensor(v, dtype=dtype) for k, v in payload[name]["state"].items()})
        nets[name] = net
    G, D = nets["G"], nets["D"]
    lr, momentum = payload["optimizer"]["lr"], payload["optimizer"]["momentum"]
    opt_G, opt_D = _SGD(G.parameters(), lr, momentum), _SGD(D.parameters(), lr, momentum)
    losses = []
    for batch in payload["batches"]:
        real, z = torch.tensor(batch["real"], dtype=dtype), torch.tensor(batch["z"], dtype=dtype)
        with torch.no_grad():
            fake = G(z)
        # log(1 - sigmoid(s)) = log sigmoid(-s)
        loss_d = -F.logsigmoid(D(real)).mean() - F.logsigmoid(-D(fake)).mean()
        opt_D.zero_grad()
        loss_d.backward()
        opt_D.step()
        loss_g = -F.logsigmoid(D(G(z))).mean()
        g_params = list(G.parameters())
        for p, g in zip(g_params, torch.autograd.grad(loss_g, g_params)):
            p.grad = g
        opt_G.step()
        losses.append((float(loss_d.item()), float(loss_g.item())))
    named = lambda net: {k: p.detach().numpy().copy() for k, p in net.named_parameters()}  # noqa: E731
    return losses, named(G), named(D)


_CALL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "d_steps": int, "g_steps": int, "g_steps_before_d_step": int, "g_grad_ref": list,
    "g_grad_at_d_step": (list, type(None)), "d_after_d_step": (list, type(None)), "d_end": list,
    "real_after": np.ndarray, "z_after": np.ndarray}


def _returned(result, payload: GanRequest, case: str | Text) -> GanAnswer:
    """The driver's answer, checked for its structure (it comes from the student's process)."""
    result = expect_fields(result, {"calls": list, "G": dict, "D": dict}, "gan_train_step", case)
    got, asked = len(result["calls"]), len(payload["batches"])
    expect_true(got == asked, "gan_train_step", case, Text(f"驱动程序的回答包含 {got} 次调用，而不是 {asked} 次",
                                                           f"the driver's answer holds {got} calls, not {asked}"))
    for call in result["calls"]:
        expect_fields(call, _CALL_FIELDS, "gan_train_step", case)
    return result


def _loss_value(value, what: str | Text, case: str | Text, strict: bool) -> float:
    if isinstance(value, Tensor):
        if strict:
            shape = tuple(value.shape)
            raise fail(what, case, Text(f"返回了形状为 {shape} 的 torch.Tensor；"
                                        "接口约定返回 Python 浮点数，这样调用者不会持有计算图",
                                        f"returned a torch.Tensor of shape {shape}; the contract returns Python "
                                        "floats, so that the caller holds no computation graph"))
        return as_float(value.array, what, case)
    return as_float(value, what, case)


def _expect_step(got: GanAnswer, want_losses, want_G, want_D, case: str | Text, rtol: float, atol: float,
                 strict_types: bool) -> None:
    for i, (call, (want_d, want_g)) in enumerate(zip(got["calls"], want_losses)):
        label = Text(f"第 {i + 1} 次调用：", f"call {i + 1}: ") if len(want_losses) > 1 else ""
        loss_d, loss_g = as_sequence(call.get("result"), 2, label + Text("gan_train_step 的返回值",
                                                                         "gan_train_step's return value"), case)
        loss_d = _loss_value(loss_d, label + "gan_train_step loss_D", case, strict_types)
        loss_g = _loss_value(loss_g, label + "gan_train_step loss_G", case, strict_types)
        expect_float(loss_d, want_d, label + "gan_train_step loss_D", case, rtol=rtol, atol=atol)
        expect_float(loss_g, want_g, label + Text("gan_train_step loss_G（用更新后的 D 计算）",
                                                  "gan_train_step loss_G (computed with the updated D)"), case,
                     rtol=rtol, atol=atol)
    for net, params, want in (("D", got["D"], want_D), ("G", got["G"], want_G)):
        for name, value in want.items():
            expect_array(params.get(name), value, Text(f"这一步之后 {net} 的参数 {name}",
                                                         f"{net}'s parameter {name} after the step"), case,
                         rtol=rtol, atol=atol, dtype=value.dtype)


@check("hw6.generative.gan_train_step.matches_trusted_step", hint=HINT_STEP)
def gan_train_step_matches_trusted_step(ctx: Context) -> None:
    payload = _gan_payload(ctx.rng, np.float64, momentum=0.0, sizes=[(5, 5)])
    case = ctx.case("float64, G = Linear(2,4)-Tanh-Linear(4,3), D = Linear(3,4)-Tanh-Linear(4,1), SGD lr=0.1, "
                    "real (5, 3), z (5, 2)", Text("调用一次", "one call"))
    want_losses, want_G, want_D = _trusted_gan_steps(payload)
    got = _returned(ctx.drive("generative.gan_train_step", payload), payload, case)
    # float64 networks of a dozen units: the step's rounding is ~1e-16, 1e-10 forgives op order.
    _expect_step(got, want_losses, want_G, want_D, case, RTOL64, ATOL64, strict_types=True)


@check("hw6.generative.gan_train_step.momentum_two_steps", hint=HINT_STEP)
def gan_train_step_momentum_two_steps(ctx: Context) -> None:
    payload = _gan_payload(ctx.rng, np.float32, momentum=0.9, sizes=[(6, 4), (6, 4)])
    case = ctx.case("float32, SGD lr=0.1 momentum=0.9, real (6, 3), z (4, 2)", TWO_CALLS)
    want_losses, want_G, want_D = _trusted_gan_steps(payload)
    got = _returned(ctx.drive("generative.gan_train_step", payload), payload, case)
    # float32 values O(1) through two steps of a tiny network: rounding ~1e-7, 1e-5 leaves room.
    _expect_step(got, want_losses, want_G, want_D, case, RTOL32, ATOL32, strict_types=False)


def _leaked(before: list, at_d_step: list) -> bool:
    """Did the D step put gradient into G? New non-zero gradient compared to the call's start.

    A correct step leaves G's gradients as they were (stale ones from the previous call's G step,
    None, or zeroed); without .detach() the D step's backward writes into them.
    """
    for b, a in zip(before, at_d_step):
        if a is None or not np.any(np.asarray(a) != 0):
            continue
        if b is None or np.shape(a) != np.shape(b) or not np.array_equal(a, b):
            return True
    return False


@check("hw6.generative.gan_train_step.no_gradient_leaks", hint=HINT_STEP)
def gan_train_step_no_gradient_leaks(ctx: Context) -> None:
    payload = _gan_payload(ctx.rng, np.float64, momentum=0.9, sizes=[(4, 4), (4, 4)])
    got = _returned(ctx.drive("generative.gan_train_step", payload), payload, ctx.case())
    for i, (call, batch) in enumerate(zip(got["calls"], payload["batches"])):
        case = ctx.case("float64, SGD lr=0.1 momentum=0.9", Text(f"第 {i + 1} 次调用（共 2 次），网络和优化器相同",
                                                                 f"call {i + 1} of 2 with the same networks and "
                                                                 "optimisers"))
        for name, after, given in (("real", call["real_after"], batch["real"]), ("z", call["z_after"], batch["z"])):
            expect_true(np.array_equal(after, given), "gan_train_step", case,
                        Text(f"{name} 被原地修改了；课程约定输入永不修改",
                             f"{name} was modified in place; the course's convention is that inputs are never "
                             "modified"))
        expect_true(call["d_steps"] >= 1, "gan_train_step", case,
                    Text("从未调用 opt_D.step()：第 (2) 步用 opt_D 更新判别器",
                         "opt_D.step() was never called: step (2) updates the discriminator with opt_D"))
        expect_true(call["g_steps"] >= 1, "gan_train_step", case,
                    Text("从未调用 opt_G.step()：第 (3) 步用 opt_G 更新生成器",
                         "opt_G.step() was never called: step (3) updates the generator with opt_G"))
        expect_true(call["g_steps_before_d_step"] == 0, "gan_train_step", case,
                    Text("opt_G.step() 在 opt_D.step() 之前运行了：讲义的顺序是 (2) 固定 G 更新 D，然后 (3) 针对更新后的 D "
                         "更新 G", "opt_G.step() ran before opt_D.step(): the lecture's order is (2) update D with G "
                         "fixed, then (3) update G against the updated D"))
        # The driver records both at the first D step (d_steps >= 1 was checked above); what comes
        # from the student's process is data to check, so a missing record fails, never crashes.
        if call["g_grad_at_d_step"] is None or call["d_after_d_step"] is None:
            raise fail("gan_train_step", case, Text("学生进程返回的记录不完整：缺少第一次 opt_D.step() 时的记录",
                                                    "the record from the student's process is incomplete: what the "
                                                    "first opt_D.step() recorded is missing"))
        expect_true(not _leaked(call["g_grad_ref"], call["g_grad_at_d_step"]), "gan_train_step", case,
                    Text("判别器那一步让梯度传到了生成器：opt_D.step() 刚结束时 G 的参数有了新的梯度，所以那一步的假样本"
                         "批次仍然在 G 的计算图中",
                         "the discriminator step let gradient reach the generator: G's parameters had new gradient "
                         "right after opt_D.step(), so the fake batch of that step was still part of G's graph"))
        d_same = all(np.array_equal(a, b) for a, b in zip(call["d_after_d_step"], call["d_end"]))
        steps = call["d_steps"]
        extra = (Text(f"（opt_D.step() 被调用了 {steps} 次）", f" (opt_D.step() was called {steps} times)")
                 if steps > 1 else "")
        expect_true(d_same, "gan_train_step", case,
                    Text("生成器那一步更新了判别器：opt_D.step() 之后 D 的参数又变了", "the generator step updated the "
                         "discriminator: D's parameters changed after opt_D.step()") + extra
                    + Text("；在第 (3) 步中 D 是固定的，只有 opt_G 更新", "; in step (3) D is fixed and only opt_G steps"))
    # What the optimisers' hooks saw is reported from inside the student's process, so the points
    # also need the networks themselves: after two momentum steps, G and D (and the losses) must be
    # the judge's trusted step's. A leak into G's gradient that the G step does not wipe shows here.
    want_losses, want_G, want_D = _trusted_gan_steps(payload)
    case = ctx.case("float64, SGD lr=0.1 momentum=0.9", TWO_CALLS)
    # float64 networks of a dozen units through two steps: rounding ~1e-15, 1e-10 forgives op order.
    _expect_step(got, want_losses, want_G, want_D, case, RTOL64, ATOL64, strict_types=False)


# --------------------------------------------------------------------------- CycleGAN

def _cycle_alternatives(x, xc, y, yc, lam) -> dict:
    return _labelled(_cycle_alternative_values(x, xc, y, yc, lam))


@oracle
def _cycle_alternative_values(x, xc, y, yc, lam) -> dict:
    sq = lambda a, b: np.mean((np.asarray(a, np.float64) - b) ** 2)  # noqa: E731
    return {"cycle_no_lam": _cycle(x, xc, y, yc, 1.0), "cycle_l2": float(lam * (sq(x, xc) + sq(y, yc)))}


@check("hw6.generative.cycle_consistency_loss.simple", hint=HINT_CYCLE)
def cycle_consistency_loss_simple(ctx: Context) -> None:
    x, xc = np.array([[1.0, 2.0]]), np.array([[1.5, 1.0]])
    y, yc = np.array([[0.0, 0.0, 0.0]]), np.array([[0.3, -0.3, 0.0]])
    case = "x = [[1, 2]], x_cycled = [[1.5, 1]], y = [[0, 0, 0]], y_cycled = [[0.3, -0.3, 0]]"
    expect_float(ctx.call(x, xc, y, yc), 9.5, Text("cycle_consistency_loss，默认 lam = 10",
                                                   "cycle_consistency_loss with the default lam = 10"), case,
                 rtol=1e-12, atol=1e-12, hint_on=_cycle_alternatives(x, xc, y, yc, 10.0))
    expect_float(ctx.call(x, xc, y, yc, lam=2.0), 1.9, Text("cycle_consistency_loss，lam = 2",
                                                            "cycle_consistency_loss with lam = 2"), case,
                 rtol=1e-12, atol=1e-12, hint_on=_cycle_alternatives(x, xc, y, yc, 2.0))


@check("hw6.generative.cycle_consistency_loss.random", hint=HINT_CYCLE)
def cycle_consistency_loss_random(ctx: Context) -> None:
    # Domains of different sizes and shapes, so each mean must be over its own elements.
    for dtype, lam in ((np.float64, None), (np.float64, 3.7), (np.float32, 0.5)):
        x, xc = (ctx.rng.normal(size=(2, 3, 4, 4)).astype(dtype) for _ in range(2))
        y, yc = (ctx.rng.normal(size=(3, 3, 2, 5)).astype(dtype) for _ in range(2))
        kwargs = {} if lam is None else {"lam": lam}
        got = ctx.call_unchanged(x, xc, y, yc, **kwargs)
        tol = RTOL64 if dtype == np.float64 else RTOL32
        lam_used = 10.0 if lam is None else lam
        expect_float(got, _cycle(x, xc, y, yc, lam_used), f"cycle_consistency_loss(lam={lam_used:g})",
                     ctx.case(x=x, y=y), rtol=tol, atol=tol, hint_on=_cycle_alternatives(x, xc, y, yc, lam_used))


# --------------------------------------------------------------------------- Diffusion

def _beta_alternatives(T: int, start: float, end: float) -> dict:
    return _labelled(_beta_alternative_values(T, start, end))


@oracle
def _beta_alternative_values(T: int, start: float, end: float) -> dict:
    return {"betas_no_end": np.linspace(start, end, T + 1)[:-1]}


# The contract: float64 or float32, float32 values judged at float32 precision. float64: every
# exact formula lands within an ulp (1e-12 relative forgives that). float32: rounding the exact
# value gives half an ulp (6e-8 relative), a float32 formula start + i * step a few ulp; 1e-6
# (8 ulp) forgives those and catches a schedule that drifts, e.g. a running float32 sum of steps.
BETA_RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}


def _schedule(got, T: int, what: str, case: str | Text) -> np.ndarray:
    arr = as_array(got, what, case, shape=(T,))
    if arr.dtype not in BETA_RTOL:
        raise fail(what, case, Text(f"应为 float64（或 float32）数组，实际 dtype 为 {arr.dtype}",
                                    f"expected a float64 (or float32) array, got dtype {arr.dtype}"))
    return arr


@check("hw6.generative.linear_beta_schedule.small_T", hint=HINT_BETAS)
def linear_beta_schedule_small_T(ctx: Context) -> None:
    for T, kwargs, shown in ((5, {}, "[0.0001, 0.005075, 0.01005, 0.015025, 0.02]"),
                             (3, {"beta_start": 0.1, "beta_end": 0.3}, "[0.1, 0.2, 0.3]")):
        start, end = kwargs.get("beta_start", 1e-4), kwargs.get("beta_end", 0.02)
        what = f"linear_beta_schedule({', '.join([str(T)] + [f'{k}={v}' for k, v in kwargs.items()])})"
        case = Text(f"T = {T}，beta_start = {start}，beta_end = {end}：应为 {shown}",
                    f"T = {T}, beta_start = {start}, beta_end = {end}: expected {shown}")
        got = _schedule(ctx.call(T, **kwargs), T, what, case)
        rtol = BETA_RTOL[got.dtype]
        expect_array(got, _betas(T, start, end), what + f" ({got.dtype})", case, rtol=rtol, atol=1e-15,
                     hint_on=_beta_alternatives(T, start, end))


@check("hw6.generative.linear_beta_schedule.endpoints_and_spacing", hint=HINT_BETAS)
def linear_beta_schedule_endpoints_and_spacing(ctx: Context) -> None:
    cases: list[tuple[int, dict[str, float]]] = [
        (1000, {}), (int(ctx.rng.integers(20, 400)), {"beta_start": float(ctx.rng.uniform(1e-5, 1e-3)),
                                                      "beta_end": float(ctx.rng.uniform(0.01, 0.05))})]
    for T, kwargs in cases:
        start, end = kwargs.get("beta_start", 1e-4), kwargs.get("beta_end", 0.02)
        case = ctx.case(T=T, beta_start=start, beta_end=end)
        got = _schedule(ctx.call(T, **kwargs), T, f"linear_beta_schedule({T})", case)
        case += Text(f"，返回 {got.dtype}", f", returned {got.dtype}")
        if got.dtype == np.float64:
            expect_equal(float(got[0]), start, Text("linear_beta_schedule：第一个 beta 必须恰好是 beta_start",
                                                    "linear_beta_schedule: the first beta must be beta_start exactly"),
                         case)
            # start + i * step at i = T - 1 can land one ulp away from beta_end (np.linspace pins it
            # exactly); 4 ulp forgives that and nothing else (a step is >= 1e-5).
            end_tol = 4 * float(np.spacing(end))
            # Even spacing: every value is accurate to an ulp of 0.05 (~7e-18), so equal steps agree
            # to ~1e-17; 1e-15 catches any schedule that is not linear.
            spacing_tol = 1e-15
        else:
            expect_float(float(got[0]), start, Text("linear_beta_schedule：第一个 beta 必须是 beta_start",
                                                    "linear_beta_schedule: the first beta must be beta_start"),
                         case, rtol=BETA_RTOL[got.dtype], atol=0)
            # float32 values carry half an ulp each: steps differ by up to two ulp of the largest value.
            end_tol = 4 * float(np.spacing(np.float32(end)))
            spacing_tol = 4 * float(np.spacing(np.float32(max(start, end))))
        expect_float(float(got[-1]), end, Text("linear_beta_schedule：最后一个 beta 必须是 beta_end",
                                               "linear_beta_schedule: the last beta must be beta_end"), case,
                     rtol=0, atol=end_tol,
                     hint_on={Text("T+1 个点的调度中倒数第二个值", "the (T+1)-point schedule's second to last value"):
                              end - (end - start) / T})
        diffs = np.diff(got.astype(np.float64))
        step = (end - start) / (T - 1)
        expect_true(bool(np.ptp(diffs) <= spacing_tol), Text("linear_beta_schedule：间隔均匀",
                                                             "linear_beta_schedule: even spacing"), case,
                    Text(f"步长 beta[t+1] - beta[t] 的取值从 {diffs.min()!r} 到 {diffs.max()!r}；它们必须都相等（{step!r}），"
                         f"误差不超过 {spacing_tol:.3g}",
                         f"the steps beta[t+1] - beta[t] range from {diffs.min()!r} to {diffs.max()!r}; all must be "
                         f"equal ({step!r}) up to {spacing_tol:.3g}"))
        expect_array(got, _betas(T, start, end), f"linear_beta_schedule({T})", case, rtol=BETA_RTOL[got.dtype],
                     atol=1e-15)


def _q_alternatives(x0, t, abar, noise) -> dict:
    return _labelled(_q_alternative_values(x0, t, abar, noise))


@oracle
def _q_alternative_values(x0, t, abar, noise) -> dict:
    a = np.asarray(abar, np.float64)[np.asarray(t)].reshape((len(t),) + (1,) * (np.ndim(x0) - 1))
    x0, noise = np.asarray(x0, np.float64), np.asarray(noise, np.float64)
    return {"q_no_sqrt": a * x0 + (1 - a) * noise, "q_shifted": _q(x0, np.asarray(t) - 1, abar, noise)}


@check("hw6.generative.q_sample.simple", hint=HINT_Q)
def q_sample_simple(ctx: Context) -> None:
    x0, noise = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 1.0], [0.0, -1.0]])
    t, abar = np.array([0, 2]), np.array([0.64, 0.49, 0.36])
    case = Text("x0 = [[1, 2], [3, 4]]，t = [0, 2]，alphas_cumprod = [0.64, 0.49, 0.36]，noise = [[1, 1], [0, -1]]："
                "样本 0 用 sqrt(0.64) = 0.8 和 sqrt(0.36) = 0.6",
                "x0 = [[1, 2], [3, 4]], t = [0, 2], alphas_cumprod = [0.64, 0.49, 0.36], noise = [[1, 1], [0, -1]]: "
                "sample 0 uses sqrt(0.64) = 0.8 and sqrt(0.36) = 0.6")
    want = np.array([[1.4, 2.2], [1.8, 1.6]])
    expect_array(ctx.call_unchanged(x0, t, abar, noise), want, "q_sample", case, rtol=1e-12, atol=1e-12,
                 dtype=np.float64, hint_on=_q_alternatives(x0, t, abar, noise))
    got = ctx.call(x0.astype(np.float32), t, abar, noise.astype(np.float32))
    expect_array(got, want, Q32, case, rtol=RTOL32, atol=ATOL32, dtype=np.float32,
                 hint_on=_q_alternatives(x0, t, abar, noise))


@check("hw6.generative.q_sample.closed_form", hint=HINT_Q)
def q_sample_closed_form(ctx: Context) -> None:
    abar = _alphas_cumprod(100)
    for shape in ((6, 3, 4, 4), (5, 7)):
        x0, noise = ctx.rng.normal(size=shape), ctx.rng.normal(size=shape)
        t = ctx.rng.choice(np.arange(1, 100), size=shape[0], replace=False)  # every sample its own step
        got = ctx.call_unchanged(x0, t, abar, noise)
        expect_array(got, _q(x0, t, abar, noise), "q_sample",
                     ctx.case(Text("alphas_cumprod 取自线性调度，T = 100", "alphas_cumprod of the linear schedule, "
                                   "T = 100"), x0=x0, t=t.tolist()), rtol=RTOL64, atol=ATOL64,
                     dtype=np.float64, hint_on=_q_alternatives(x0, t, abar, noise))


@check("hw6.generative.q_sample.statistics", hint=HINT_Q)
def q_sample_statistics(ctx: Context) -> None:
    # One clean value x0 repeated n times, one step t, n independent noise draws: x_t must have
    # mean sqrt(abar) x0 and variance 1 - abar (the distribution q(x_t | x_0)).
    abar = _alphas_cumprod(1000)
    t = int(np.argmin(np.abs(abar - ctx.rng.uniform(0.3, 0.7))))
    a, value, n = float(abar[t]), float(ctx.rng.uniform(1.5, 3.0)), 20000
    x0, noise = np.full((n, 1), value), ctx.rng.normal(size=(n, 1))
    got = as_array(ctx.call(x0, np.full(n, t), abar, noise), "q_sample", shape=(n, 1))
    mean, var = float(np.mean(got)), float(np.var(got, ddof=1))
    want_mean, want_var = math.sqrt(a) * value, 1.0 - a
    # Tolerances of 6 standard errors: a correct sample misses them with probability ~2e-9.
    # SE of the mean: sqrt(var / n); SE of the sample variance of a normal: var * sqrt(2 / (n - 1)).
    case = ctx.case(Text(f"全部 {n} 个样本的 x0 = {value:.4f}，t = {t}（abar = {a:.4f}），noise ~ N(0, 1)",
                         f"x0 = {value:.4f} for all {n} samples, t = {t} (abar = {a:.4f}), noise ~ N(0, 1)"))
    expect_float(mean, want_mean, Text("q_sample 在各次噪声抽样上的均值（应为 sqrt(abar) * x0）",
                                       "mean of q_sample over the noise draws (expected sqrt(abar) * x0)"), case,
                 rtol=0, atol=6 * math.sqrt(want_var / n))
    expect_float(var, want_var, Text("q_sample 在各次噪声抽样上的方差（应为 1 - abar）",
                                     "variance of q_sample over the noise draws (expected 1 - abar)"), case,
                 rtol=0, atol=6 * want_var * math.sqrt(2 / (n - 1)))


@check("hw6.generative.q_sample.float32", hint=FLOAT32_HINT)
def q_sample_float32(ctx: Context) -> None:
    abar = _alphas_cumprod(50)
    x0, noise = (ctx.rng.normal(size=(4, 2, 3, 3)).astype(np.float32) for _ in range(2))
    t = ctx.rng.integers(0, 50, size=4)
    got = ctx.call(x0, t, abar, noise)
    expect_array(got, _q(x0, t, abar, noise), Q32, ctx.case(x0=x0, t=t.tolist()), rtol=RTOL32, atol=ATOL32,
                 dtype=np.float32)


@check("hw6.generative.ddpm_loss.simple", hint=HINT_DDPM)
def ddpm_loss_simple(ctx: Context) -> None:
    eps_pred, eps = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 2.0]])
    expect_float(ctx.call(eps_pred, eps), 1.25, "ddpm_loss", "eps_pred = [[1, 0], [0, 0]], eps = [[0, 0], [0, 2]]",
                 rtol=1e-12, atol=1e-12, hint_on={SUM_NOT_MEAN: 5.0})


@check("hw6.generative.ddpm_loss.random", hint=HINT_DDPM)
def ddpm_loss_random(ctx: Context) -> None:
    for dtype in (np.float64, np.float32):
        eps_pred, eps = (ctx.rng.normal(size=(3, 2, 4, 4)).astype(dtype) for _ in range(2))
        got = ctx.call_unchanged(eps_pred, eps)
        diff = eps_pred.astype(np.float64) - eps
        tol = RTOL64 if dtype == np.float64 else RTOL32
        expect_float(got, float(np.mean(diff**2)), "ddpm_loss", ctx.case(eps_pred=eps_pred),
                     rtol=tol, atol=tol, hint_on={SUM_NOT_MEAN: float(np.sum(diff**2)),
                                                  Text("平均绝对误差", "the mean absolute error"):
                                                  float(np.mean(np.abs(diff)))})
