"""A cascade click model fitted to logged data: the response model of the `cm` estimator.

The member scans the row left to right. Slot 0 is examined; after an examined slot k
without a quality play, slot k + 1 is examined with probability rho_{k+1} (one parameter
per position, what patience does on average). Examined, slot k is clicked with
probability

    c(x, k, b, a) = sigma( theta_c . f(x, k, a) + alpha_c[t, a] + eta . h(b, a) ),

with f the contextual agents' candidate features without the position one-hot
(`artwork_env.agents.features`), alpha_c a ridge-penalised intercept per (title, artwork) and h(b,
a) how artwork a differs from its left neighbour b (different theme; mean absolute difference
of the visual attributes; 0 at slot 0). A click is followed by a quality play with
probability p(x, a) = sigma(theta_p . f(x, k, a) + alpha_p[t, a]); a play ends the visit.
This is the dynamic Bayesian network click model (Chapelle and Zhang, WWW 2009) with the
play as satisfaction and a left-neighbour term, and it is the form of the simulator's page
(docs/model.md, section 4) with the member's hidden traits averaged out.

The likelihood of a logged visit counts every slot up to the last click as examined (the
cascade), and after a bounce or no click at all the probability that the remaining slots
earned no click, T_j = (1 - rho_j) + rho_j (1 - c_j) T_{j+1}: examination is never
observed, so patience and attraction are told apart only through where in the row clicks
stop. The parameters maximise the penalised log-likelihood (L-BFGS, float64).

`evaluate(target_dist)` gives the target's expected reward on every logged visit by the
cascade's forward pass over (left artwork, artwork) pairs (as `page.policy_expected_reward`
does with the true page), and each visit's influence on the estimate through the fitted
parameters (the delta method: n g' H^-1 s_i, with g the gradient of the mean value, H the
penalised negative log-likelihood's Hessian and s_i the visit's score), from which the
estimator's standard error comes (`artwork_env.ope.model_based`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from artwork_env.agents.base import Observation, ProblemSpec
from artwork_env.agents.features import candidate_features
from artwork_env.model.rewards import slot_gain
from artwork_env.ope.dataset import LoggedData
from artwork_env.ope.estimators import ModelEvaluation, check_distribution
from artwork_env.validation import check_integer, check_positive

DTYPE = torch.float64
SHARED_RIDGE = 1e-3
"""A small L2 penalty on every parameter: features that never vary in a log (fatigue on
first visits) leave the likelihood flat in their direction, and the Hessian singular."""


@dataclass(frozen=True)
class ClickModelConfig:
    """The click model's fitting settings."""

    ridge: float = 1.0
    """L2 penalty on each (title, artwork) intercept (a unit-variance Gaussian prior)"""
    max_iter: int = 200
    """L-BFGS iterations of the fit"""
    cg_steps: int = 200
    """most conjugate-gradient steps solving H u = g for the influence (it stops at a
    residual of 1e-4 x |g|)"""

    def __post_init__(self) -> None:
        check_positive("ridge", self.ridge)
        check_integer("max_iter", self.max_iter, low=1)
        check_integer("cg_steps", self.cg_steps, low=1)


def _neighbour_contrast(obs: Observation, spec: ProblemSpec) -> np.ndarray:
    """(n, K, M, M, 2) h(b, a) for every left artwork b and artwork a: theme differs, mean
    absolute difference of the visual attributes; 0 at slot 0."""
    lay = spec.layout
    art = obs["artworks"]
    theme = art[..., lay.artwork["theme"]].argmax(axis=-1)  # (n, K, M)
    visual = art[..., lay.artwork["visual"]].astype(np.float64)  # (n, K, M, V)
    n, k, m = theme.shape
    out = np.zeros((n, k, m, m, 2))
    out[:, 1:, :, :, 0] = theme[:, :-1, :, None] != theme[:, 1:, None, :]
    out[:, 1:, :, :, 1] = np.abs(visual[:, :-1, :, None, :] - visual[:, 1:, None, :, :]).mean(-1)
    return out


def cascade_log_likelihood(click_logit: torch.Tensor, play_logit: torch.Tensor,
                           patience_logit: torch.Tensor, clicks: torch.Tensor,
                           plays: torch.Tensor) -> torch.Tensor:
    """(n,) log-likelihood of each visit's clicks and plays (n, K, 0/1) under the cascade
    click model, given the shown artworks' click and play logits (n, K) and the patience
    logits (K - 1,) of rho_1..rho_{K-1}.

    With L the last clicked slot (-1 if none): slots 0..L were examined (each clicked or
    not, each examination after slot 0 a continuation rho_k), each click played or not;
    after a play nothing more happens, otherwise slots L+1.. drew no click:
    T_j = (1 - rho_j) + rho_j (1 - c_j) T_{j+1}, T_K = 1.
    """
    n, k = clicks.shape
    c, p = torch.sigmoid(click_logit), torch.sigmoid(play_logit)
    rho = torch.cat([torch.ones(1, dtype=c.dtype), torch.sigmoid(patience_logit)])
    position = torch.arange(k)
    last = torch.where(clicks.sum(1) > 0, (clicks * position).argmax(1), torch.full((n,), -1))
    examined = (position[None] <= last[:, None]).to(c.dtype)
    tiny = 1e-12
    ll = (examined * (clicks * torch.log(c + tiny) + (1 - clicks) * torch.log(1 - c + tiny))
          + examined * torch.log(rho)[None]
          + clicks * (plays * torch.log(p + tiny) + (1 - plays) * torch.log(1 - p + tiny))
          ).sum(1)
    tail = torch.ones(n, dtype=c.dtype)
    for j in range(k - 1, -1, -1):
        tail = torch.where(position[j] > last, (1 - rho[j]) + rho[j] * (1 - c[:, j]) * tail,
                           tail)
    return ll + torch.where(plays.sum(1) > 0, torch.zeros_like(tail), torch.log(tail))


class CascadeClickModel:
    """The cascade click model of the module doc, fitted to `data` on construction."""

    def __init__(self, data: LoggedData, spec: ProblemSpec,
                 config: ClickModelConfig | None = None) -> None:
        self.spec, self.data = spec, data
        self.config = config or ClickModelConfig()
        obs = data.observations()
        features = candidate_features(spec, obs)
        keep = [i for i in range(features.shape[-1]) if not 1 <= i <= spec.n_slots]
        self.features = torch.as_tensor(features[..., keep], dtype=DTYPE)  # (n, K, M, d)
        self.contrast = torch.as_tensor(_neighbour_contrast(obs, spec), dtype=DTYPE)
        self.arms = torch.as_tensor(obs["title_ids"][..., None] * spec.n_artworks
                                    + np.arange(spec.n_artworks))  # (n, K, M)
        k = data.n_slots
        actions = torch.as_tensor(data.actions)
        left = torch.zeros_like(actions)
        left[:, 1:] = actions[:, :-1]
        # what the likelihood reads: the logged artworks' features, contrast and arms
        self.logged_features = self.features.gather(
            2, actions[..., None, None].expand(-1, -1, 1, self.features.shape[-1]))[:, :, 0]
        contrast = self.contrast.gather(
            2, left[..., None, None, None].expand(-1, -1, 1, self.contrast.shape[3], 2))[:, :, 0]
        self.logged_contrast = contrast.gather(
            2, actions[..., None, None].expand(-1, -1, 1, 2))[:, :, 0]
        self.logged_arms = self.arms.gather(2, actions[..., None])[..., 0]
        self.clicks = torch.as_tensor(data.clicks, dtype=DTYPE)
        self.plays = torch.as_tensor(data.plays, dtype=DTYPE)
        d = self.features.shape[-1]
        n_arms = spec.n_titles * spec.n_artworks
        self.shapes = {"click": (d,), "contrast": (2,), "play": (d,), "click_arm": (n_arms,),
                       "play_arm": (n_arms,), "patience": (k - 1,)}
        self.theta = self._fit()

    # ------------------------------------------------------------------ parameters
    def _split(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        out, start = {}, 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape))
            out[name] = theta[start:start + size]
            start += size
        return out

    @staticmethod
    def _continuation(p: dict[str, torch.Tensor]) -> torch.Tensor:
        """(K,) rho: 1 at slot 0, then the probability of looking on."""
        return torch.cat([torch.ones(1, dtype=DTYPE), torch.sigmoid(p["patience"])])

    def _probabilities(self, theta: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """click (n, K, M, M) over (left, artwork), play (n, K, M), continuation (K,) of
        every candidate of every logged visit."""
        p = self._split(theta)
        base = self.features @ p["click"] + p["click_arm"][self.arms]
        click = torch.sigmoid(base[:, :, None, :] + self.contrast @ p["contrast"])
        play = torch.sigmoid(self.features @ p["play"] + p["play_arm"][self.arms])
        return click, play, self._continuation(p)

    def _logits(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The logged artworks' click and play logits (n, K) and the patience logits (K-1,)."""
        par = self._split(theta)
        f, arms = self.logged_features, self.logged_arms
        click = (f @ par["click"] + par["click_arm"][arms]
                 + self.logged_contrast @ par["contrast"])
        return click, f @ par["play"] + par["play_arm"][arms], par["patience"]

    def _log_likelihoods(self, theta: torch.Tensor) -> torch.Tensor:
        """(n,) each logged visit's log-likelihood."""
        return self._likelihood_of_logits(*self._logits(theta))

    def _likelihood_of_logits(self, click: torch.Tensor, play: torch.Tensor,
                              patience: torch.Tensor) -> torch.Tensor:
        return cascade_log_likelihood(click, play, patience, self.clicks, self.plays)

    def _preconditioner(self) -> torch.Tensor:
        """(P,) the diagonal of the scores' outer product plus the penalty: sum_i s_i^2,
        from each visit's derivatives by its own logits (patience: the Hessian's diagonal,
        five Hessian-vector products)."""
        click, play, patience = (t.detach().requires_grad_(True)
                                 for t in self._logits(self.theta))
        d_click, d_play = torch.autograd.grad(
            self._likelihood_of_logits(click, play, patience).sum(), [click, play])
        par = self._split(torch.zeros_like(self.theta))
        f, arms = self.logged_features, self.logged_arms
        par["click"] += (torch.einsum("nk,nkd->nd", d_click, f) ** 2).sum(0)
        par["contrast"] += (torch.einsum("nk,nkc->nc", d_click, self.logged_contrast) ** 2).sum(0)
        par["play"] += (torch.einsum("nk,nkd->nd", d_play, f) ** 2).sum(0)
        par["click_arm"].index_add_(0, arms.ravel(), d_click.ravel() ** 2)
        par["play_arm"].index_add_(0, arms.ravel(), d_play.ravel() ** 2)
        out = torch.cat([par[name].ravel() for name in self.shapes]) + SHARED_RIDGE
        arm_block = self._split(torch.arange(len(out)))
        for name in ("click_arm", "play_arm"):
            out[arm_block[name]] += self.config.ridge
        theta = self.theta.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(self._objective(theta), theta, create_graph=True)
        for index in arm_block["patience"]:
            unit = torch.zeros_like(theta)
            unit[index] = 1.0
            out[index] = torch.autograd.grad(grad, theta, unit, retain_graph=True)[0][index]
        return out.clamp_min(1e-8)

    def _objective(self, theta: torch.Tensor) -> torch.Tensor:
        """The penalised negative log-likelihood (sum over visits)."""
        p = self._split(theta)
        penalty = 0.5 * (self.config.ridge * ((p["click_arm"] ** 2).sum()
                                              + (p["play_arm"] ** 2).sum())
                         + SHARED_RIDGE * (theta ** 2).sum())
        return -self._log_likelihoods(theta).sum() + penalty

    def _fit(self) -> torch.Tensor:
        size = sum(int(np.prod(s)) for s in self.shapes.values())
        theta = torch.zeros(size, dtype=DTYPE)
        theta[-len(self._split(theta)["patience"]):] = 2.0  # start by looking on
        theta.requires_grad_(True)
        opt = torch.optim.LBFGS([theta], max_iter=self.config.max_iter,
                                line_search_fn="strong_wolfe", tolerance_grad=1e-9,
                                tolerance_change=1e-12)

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = self._objective(theta)
            loss.backward()
            return loss

        with torch.random.fork_rng(devices=[]):
            opt.step(closure)
        return theta.detach()

    # ------------------------------------------------------------------ evaluation
    def _values(self, theta: torch.Tensor, dist: torch.Tensor) -> torch.Tensor:
        """(n, K) each visit's expected reward per slot under the target distribution."""
        return self._forward(theta, dist, with_reach=False)[0]

    def _forward(self, theta: torch.Tensor, dist: torch.Tensor, with_reach: bool
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The cascade's forward pass under `dist` (n, K, M): (n, K) expected reward per
        slot and, `with_reach`, (n, K) the probability of reaching each slot."""
        click, play, rho = self._probabilities(theta)
        config = self.data.config
        n, k, m = play.shape
        reach = torch.zeros((n, m), dtype=DTYPE)
        reach[:, 0] = 1.0  # slot 0 ignores its (absent) left neighbour
        out, reached = [], []
        for j in range(k):
            if j:
                reach = reach * rho[j]
            if with_reach:
                reached.append(reach.sum(1))
            joint = reach[:, :, None] * dist[:, j, None, :]  # (n, b, a)
            c, pl = click[:, j], play[:, j, None, :]
            out.append((joint * slot_gain(config.reward, config.bounce_penalty, c, pl)).sum((1, 2)))
            reach = (joint * (1 - c * pl)).sum(1)
        return torch.stack(out, dim=1), torch.stack(reached, dim=1) if with_reach else None

    def slot_values_and_reach(self, target_dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, K) the fitted model's expected reward per slot under `target_dist` (n, K, M)
        on every logged visit, and (n, K) its probability of reaching each slot."""
        with torch.no_grad():
            values, reach = self._forward(self.theta, torch.as_tensor(target_dist, dtype=DTYPE),
                                          with_reach=True)
        return values.numpy(), reach.numpy()

    def evaluate(self, target_dist: np.ndarray) -> ModelEvaluation:
        """The target's expected reward per slot on every logged visit, and each visit's
        influence through the fitted parameters (module doc)."""
        return self.evaluate_all([target_dist])[0]

    def evaluate_all(self, target_dists: list[np.ndarray]) -> list[ModelEvaluation]:
        """`evaluate` for several targets at once (one batched solve)."""
        gradients, values = [], []
        for target_dist in target_dists:
            check_distribution(target_dist, self.data.action_mask)
            theta = self.theta.clone().requires_grad_(True)
            value = self._values(theta, torch.as_tensor(target_dist, dtype=DTYPE))
            gradients.append(torch.autograd.grad(value.sum(1).mean(), theta)[0])
            values.append(value.detach().numpy())
        directions = self._solve(torch.stack(gradients))
        out = []
        for value, direction in zip(values, directions):
            scale = 1e-4 / max(float(direction.abs().max()), 1e-12)
            with torch.no_grad():
                plus = self._log_likelihoods(self.theta + scale * direction)
                minus = self._log_likelihoods(self.theta - scale * direction)
            influence = len(value) * (plus - minus) / (2 * scale)
            out.append(ModelEvaluation(value, influence.numpy()))
        return out

    def _solve(self, gradients: torch.Tensor) -> torch.Tensor:
        """H^-1 g for each row g of `gradients` (B, P): conjugate gradients on
        Hessian-vector products of the objective, preconditioned by `_preconditioner`."""
        theta = self.theta.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(self._objective(theta), theta, create_graph=True)
        inverse = 1.0 / self._preconditioner()
        out = []
        for gradient in gradients:
            x = torch.zeros_like(gradient)
            r = gradient.clone()
            z = inverse * r
            d = z.clone()
            rz = r @ z
            for _ in range(self.config.cg_steps):
                hd = torch.autograd.grad(grad, theta, d, retain_graph=True)[0]
                step = rz / (d @ hd)
                x, r = x + step * d, r - step * hd
                if r.norm() <= 1e-4 * gradient.norm():
                    break
                z = inverse * r
                rz_new = r @ z
                d, rz = z + (rz_new / rz) * d, rz_new
            out.append(x.detach())
        return torch.stack(out)


def click_model(data: LoggedData, spec: ProblemSpec,
                config: ClickModelConfig | None = None) -> CascadeClickModel:
    """The cascade click model fitted to `data` (for `artwork_env.ope.click_model`)."""
    return CascadeClickModel(data, spec, config)
