"""The batch-first simulator core in numpy: the executable specification.

`NumpySimulator` holds every member's hidden and observable state as arrays with the
members on axis 0. A visit is: the recommender fills each member's row (`titles`), the
agent picks one artwork per slot, the member scans the row as a cascade (docs/model.md,
section 4), and the state is updated once the visit is over.

The environments run the compiled core (`artwork_env.compiled.core.ArtworkSimulator`, numba
kernels in `artwork_env.compiled.kernels`), a sibling holding the same state
(`artwork_env.simulator`), which must give the same member draws, rows, clicks, plays and
bounces, and the same values to float rounding: the tests compare the two. This
implementation is the readable one, one numpy operation per
equation.
"""

from __future__ import annotations

import numpy as np

from artwork_env.model import rng
from artwork_env.model.config import ModelConfig
from artwork_env.model.elementary import exp_batch, power_batch, sigmoid32_batch
from artwork_env.model.layout import COUNT_SCALE
from artwork_env.model.members import Population, sample_members, top_k
from artwork_env.model.page import (
    PageModel,
    VisitOutcome,
    best_rows,
    cascade_expected_reward,
    chosen_probabilities,
)
from artwork_env.model.rewards import slot_rewards
from artwork_env.model.world import World
from artwork_env.simulator import Simulator


class NumpySimulator(Simulator):
    """N members with their state, and the exact page response, in numpy."""

    def __init__(self, config: ModelConfig, n_members: int, world: World | None = None,
                 population: Population | None = None) -> None:
        super().__init__(config, n_members, world, population)
        self._arange_m = np.arange(self.n_artworks)

    # ------------------------------------------------------------------ state
    def reset_members(self, index: np.ndarray, keys: np.ndarray) -> None:
        """Draw fresh members with the given uint64 keys into the batch positions `index`."""
        st = self.state
        m = sample_members(self.config, self.world, self.population, keys)
        if len(index) == self.n:  # everyone (sorted, unique indices): a slice writes faster
            index = slice(None)
        st.keys[index] = keys
        st.visit[index] = 0
        st.theta[index] = m.theta
        st.psi[index] = m.psi
        st.nu[index] = m.nu
        st.beta[index] = m.beta
        st.patience[index] = m.patience
        st.kappa[index] = m.kappa
        st.device[index] = m.device
        st.region[index] = m.region
        st.trust[index] = 1.0
        st.rel[index] = m.relevance
        st.history[index] = m.history
        st.history_pos[index] = 0
        counts = np.zeros((len(keys), self.world.n_titles), dtype=np.uint8)
        counts[np.arange(len(keys))[:, None], m.history] = 1  # the history is distinct titles
        st.history_count[index] = counts
        st.genre_hist[index] = self.world.title_genres[m.history].sum(axis=1)
        st.cast_exposure[index] = self._cast_counts[m.history].sum(axis=1)
        for array in (st.clicked_before, st.played, st.title_shown, st.seen_count,
                      st.streak):
            array[index] = 0
        st.last_shown[index] = -1
        st.last_seen[index] = -1
        st.empty_streak[index] = 0
        st.last_bounces[index] = 0
        st.plays_total[index] = 0
        self._fill_rows(index)

    def _fill_rows(self, index: np.ndarray) -> None:
        """The recommender: top-K of noisy relevance + popularity, unplayed titles first."""
        st = self.state
        c = self.config
        noise = rng.uniform32(st.keys[index], st.visit[index], rng.ROW, self.world.n_titles)
        score = st.rel[index] + self._popularity_score
        noise *= np.float32(c.recommender_noise)
        score += noise
        score -= np.float32(c.recommender_rewatch_penalty) * (st.history_count[index] > 0)
        score -= np.float32(1e6) * st.played[index]
        st.titles[index] = top_k(score, self.n_slots)
        self._page = None

    def first_invalid(self, actions: np.ndarray) -> int:
        """The first flat (member, slot) index whose artwork is out of range or missing, or
        -1 when every action is allowed."""
        inside = (actions >= 0) & (actions < self.n_artworks)
        ok = inside & np.take_along_axis(self.candidates(),
                                         np.where(inside, actions, 0)[..., None], axis=2)[..., 0]
        return int(np.argmin(ok)) if not ok.all() else -1

    # ------------------------------------------------------------ page model
    def _compute_page_model(self) -> PageModel:
        st = self.state
        c, w, t = self.config, self.world, st.titles
        n, n_slots, n_art = self.n, self.n_slots, self.n_artworks
        rel = np.take_along_axis(st.rel, t, axis=1).astype(np.float64)  # (N, K)
        theme = w.artwork_theme[t]  # (N, K, M)
        theta_theme = np.take_along_axis(st.theta, theme.reshape(n, -1), axis=1
                                         ).reshape(n, n_slots, n_art)
        psi_face = np.take_along_axis(st.psi, w.face_slot[t].reshape(n, -1), axis=1
                                      ).reshape(n, n_slots, n_art)
        visual_taste = np.zeros((n, n_slots, n_art))
        for v, centred in enumerate(w.visual_centred):  # V small adds in a fixed order
            visual_taste += centred[t] * st.nu[:, v, None, None]
        uplift = (w.artwork_appeal[t] + c.theme_weight * (theta_theme - rel[..., None])
                  + c.cast_weight * psi_face + c.visual_weight * visual_taste)
        familiar = (np.take_along_axis(st.history_count, t, axis=1) > 0) | \
            np.take_along_axis(st.clicked_before, t, axis=1)
        gate = 1.0 - c.familiarity_discount * familiar
        last = np.take_along_axis(st.last_seen, t, axis=1).astype(np.int64)  # (N, K)
        is_last = self._arange_m == last[..., None]
        changed = (last >= 0)[..., None] & ~is_last
        change = np.where(familiar, -c.change_cost, c.second_look)[..., None] * \
            st.kappa[:, None, None] * changed
        streak = np.take_along_axis(st.streak, t, axis=1).astype(np.float64)
        fatigue = -c.fatigue_weight * streak[..., None] * is_last
        intent = st.beta[:, None] + c.relevance_weight * rel + c.quality_weight * \
            w.title_quality[t]
        trust = st.trust[:, None, None]
        logit = intent[..., None] + trust * gate[..., None] * uplift + change + fatigue

        # (N, K, M, M) in float32: the one big array of a visit
        click_logit = np.repeat(logit.astype(np.float32)[:, :, None, :], n_art, axis=2)
        if n_slots > 1 and c.salience_weight > 0:
            if w.salience_table is not None:
                dissim = w.salience_table[t[:, :-1], t[:, 1:]]
            else:
                dissim = w.dissimilarity(t[:, :-1], t[:, 1:])
            dissim -= np.float32(0.5)
            dissim *= (c.salience_weight * st.trust).astype(np.float32)[:, None, None, None]
            click_logit[:, 1:] += dissim
        click = sigmoid32_batch(click_logit)

        gap = np.maximum(0.0, theta_theme - rel[..., None])
        misrep = self._misrepresents[t] + c.promise_gap_weight * gap
        play_logit = (c.play_logit + c.fit_weight * rel[..., None]
                      - c.bait_penalty * misrep).astype(np.float32)
        play = sigmoid32_batch(play_logit)
        return PageModel(click, play, st.patience.copy(), w.artwork_exists[t], misrep)

    def expected_reward(self, actions: np.ndarray) -> np.ndarray:
        """(N,) exact expected reward of showing `actions` (N, K) on the current rows."""
        click, play = chosen_probabilities(self.page_model(), actions)
        return cascade_expected_reward(self.config, click, play, self.page_model().patience)

    def oracle(self) -> tuple[np.ndarray, np.ndarray]:
        """The myopic oracle: (N,) best expected reward and (N, K) artworks attaining it.

        Exact dynamic programme over slots from the right, O(K M^2) per member:
        F_k(b) = max_a [g_k(b, a) + patience (1 - c_k(b, a) p_k(a)) F_{k+1}(a)].
        The programme runs in float32; the value returned is the float64 expected reward of
        the row it picks, so `expected_reward(oracle()[1]) == oracle()[0]` exactly.
        """
        return self._best_row(1.0)

    def priced_rows(self, weight: np.ndarray) -> np.ndarray:
        """(N, K) the rows that maximise E[R - weight x the misrepresentation the clicks
        uncover] (the oracle's programme, `page.best_rows`, with a click cost; weight (N,)
        >= 0, 0 gives the oracle's row): the planner's base policies."""
        page = self.page_model()
        cost = np.asarray(weight, dtype=np.float64)[:, None, None] * page.misrepresentation
        return best_rows(self.config, page, click_cost=cost)

    def worst(self) -> tuple[np.ndarray, np.ndarray]:
        """The worst page: (N,) lowest expected reward of any row and (N, K) artworks
        attaining it (the oracle's programme on -g_k: min_a [g + c F] = -max_a [-g - c F]).
        The floor of `eval/pct_of_oracle`."""
        return self._best_row(-1.0)

    def _best_row(self, sign: float) -> tuple[np.ndarray, np.ndarray]:
        actions = best_rows(self.config, self.page_model(), sign)
        return self.expected_reward(actions), actions

    # ------------------------------------------------------------------ visit
    def visit_step(self, actions: np.ndarray, reuse: bool = False) -> VisitOutcome:
        """Show `actions` (N, K) on the current rows; the members answer; state moves on.
        (`reuse` lets the compiled core write into arrays of its own; here every outcome is
        new.)"""
        st = self.state
        c = self.config
        page = self.page_model()
        n, n_slots = actions.shape
        click_p, play_p = chosen_probabilities(page, actions)
        expected = cascade_expected_reward(c, click_p, play_p, page.patience)
        oracle_value, oracle_action = self.oracle()

        u = rng.uniform(st.keys, st.visit, rng.CASCADE, 3 * n_slots)
        looks = u[:, :n_slots] < page.patience[:, None]
        looks[:, 0] = True
        patient = np.cumprod(looks, axis=1, dtype=bool)
        would_click = u[:, n_slots:2 * n_slots] < click_p
        would_play = would_click & (u[:, 2 * n_slots:] < play_p)
        candidate = patient & would_play
        no_play_before = np.cumsum(candidate, axis=1) - candidate == 0
        examined = patient & no_play_before
        clicks = examined & would_click
        plays = examined & would_play
        bounces = clicks & ~plays
        n_plays, n_bounces = plays.sum(axis=1), bounces.sum(axis=1)
        reward = slot_rewards(c.reward, c.bounce_penalty, clicks, plays).sum(axis=1)
        chosen = np.take_along_axis(page.misrepresentation, actions[..., None], axis=2)[..., 0]
        uncovered = (chosen * clicks).sum(axis=1)  # misrepresentation the clicks found out

        titles = st.titles.copy()
        self._update_state(actions, examined, clicks, plays, n_plays, n_bounces, uncovered)
        churn_u = rng.uniform(st.keys, st.visit, rng.CHURN, 2)
        disappointed = 1.0 - exp_batch(-(c.long_term * c.disappointment_churn) * uncovered)
        churned = ((st.empty_streak >= c.churn_after) & (churn_u[:, 0] < c.churn_probability)
                   | (churn_u[:, 1] < disappointed))
        terminated = churned | (st.visit >= c.n_visits)
        alive = np.flatnonzero(~terminated)
        if alive.size:
            self._fill_rows(alive)
        self._page = None
        return VisitOutcome(reward, terminated, churned, clicks, plays, bounces, examined,
                            titles, expected, oracle_value, oracle_action)

    def _update_state(self, actions: np.ndarray, examined: np.ndarray, clicks: np.ndarray,
                      plays: np.ndarray, n_plays: np.ndarray, n_bounces: np.ndarray,
                      uncovered: np.ndarray) -> None:
        """Everything a visit changes, applied once the visit is over (docs/model.md, section 4)."""
        st = self.state
        c, t = self.config, st.titles
        rows = np.arange(self.n)[:, None]
        art = actions.astype(np.int16)
        # what was shown (observable impressions)
        st.title_shown[rows, t] = np.minimum(st.title_shown[rows, t], 254) + 1
        st.seen_count[rows, t, actions] = np.minimum(st.seen_count[rows, t, actions], 254) + 1
        st.last_shown[rows, t] = art
        # what the member looked at: fatigue streak and the artwork remembered per title
        same = st.last_seen[rows, t] == art
        streak = np.where(clicks, 0, np.where(same, np.minimum(st.streak[rows, t], 254) + 1, 1))
        st.streak[rows, t] = np.where(examined, streak, st.streak[rows, t])
        st.last_seen[rows, t] = np.where(examined, art, st.last_seen[rows, t])
        st.clicked_before[rows, t] |= clicks
        # a quality play: the title joins the history (ring buffer) and leaves the row pool
        played_member = np.flatnonzero(n_plays > 0)
        if played_member.size:
            title = t[played_member, plays[played_member].argmax(axis=1)]
            slot = st.history_pos[played_member]
            old = st.history[played_member, slot]
            st.history[played_member, slot] = title
            st.history_pos[played_member] = (slot + 1) % self.history_length
            st.history_count[played_member, old] -= 1
            st.history_count[played_member, title] += 1
            g = self.world.title_genres
            st.genre_hist[played_member] += g[title] - g[old]
            st.cast_exposure[played_member] += self._cast_counts[title] - self._cast_counts[old]
            st.played[played_member, title] = True
        # trust falls on bounces and otherwise recovers; the empty-visit streak feeds churn
        lost = st.trust * power_batch(1.0 - c.trust_loss, n_bounces)
        st.trust[:] = np.where(n_bounces > 0, lost,
                               st.trust + c.trust_recovery * (1.0 - st.trust))
        if c.long_term > 0:  # and an oversold click costs trust (section 4b)
            st.trust[:] *= exp_batch(-(c.long_term * c.overpromise_trust_loss) * uncovered)
        st.empty_streak[:] = np.where(n_plays > 0, 0, st.empty_streak + 1)
        st.last_bounces[:] = n_bounces
        st.plays_total[:] += n_plays
        st.visit[:] += np.uint64(1)

    # ------------------------------------------------------------ observation
    def observe(self, index: np.ndarray | None = None,
                out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Observation arrays (float32 in [0, 1], mask int8) of all members or `index`,
        written by name with `self.layout`: fresh ones, or copied into the first rows of
        `out`'s, whose views are returned."""
        obs = self._observation(index)
        if out is None:
            return obs
        for name, value in obs.items():
            out[name][:len(value)] = value
        return {name: out[name][:len(value)] for name, value in obs.items()}

    def _observation(self, index: np.ndarray | None) -> dict[str, np.ndarray]:
        """Fresh observation arrays of all members or `index` (`observe`)."""
        st = self.state
        c, w, lay = self.config, self.world, self.layout
        rows = np.arange(self.n) if index is None else np.asarray(index)
        t = st.titles[rows]
        n, h = len(rows), float(self.history_length)
        shapes = lay.shapes()
        cols = lay.member
        member = np.zeros((n, *shapes["member"]), dtype=np.float32)
        # clip: float drift of the running sums
        member[:, cols["genre_history"]] = np.clip(st.genre_hist[rows] / h, 0.0, 1.0)
        member[:, cols["cast_exposure"]] = np.clip(st.cast_exposure[rows] / h, 0.0, 1.0)
        member[np.arange(n), cols["device"].start + st.device[rows]] = 1.0
        member[np.arange(n), cols["region"].start + st.region[rows]] = 1.0
        visit = st.visit[rows]
        member[:, cols.index("visit_progress")] = np.minimum(visit / c.n_visits, 1.0)
        member[:, cols.index("empty_streak")] = np.minimum(
            st.empty_streak[rows] / c.churn_after, 1.0)
        member[:, cols.index("last_bounces")] = st.last_bounces[rows] / self.n_slots
        member[:, cols.index("play_rate")] = st.plays_total[rows] / np.maximum(visit, 1)

        r = rows[:, None]
        cols = lay.title
        titles = np.empty((n, *shapes["titles"]), dtype=np.float32)
        titles[..., cols["genres"]] = w.title_genres[t]
        titles[..., cols.index("popularity")] = w.title_popularity[t]
        titles[..., cols.index("in_history")] = st.history_count[r, t] > 0
        titles[..., cols.index("clicked_before")] = st.clicked_before[r, t]
        titles[..., cols.index("times_shown")] = np.minimum(
            st.title_shown[r, t] / COUNT_SCALE, 1.0)

        cols = lay.artwork
        artworks = w.artwork_features[t]  # the static blocks; fancy indexing copies
        exists = w.artwork_exists[t]
        seen = np.minimum(st.seen_count[r, t], COUNT_SCALE) / np.float32(COUNT_SCALE)
        artworks[..., cols.index("times_shown")] = seen * exists
        artworks[..., cols.index("shown_last")] = \
            (st.last_shown[r, t][..., None] == self._arange_m) & exists
        return {"member": member, "titles": titles, "artworks": artworks,
                "action_mask": exists.astype(np.int8)}
