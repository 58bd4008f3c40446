"""The compiled visit path: numba kernels that run every member of a batch without Python in
between. `artwork_env.compiled.core.ArtworkSimulator` calls them;
`artwork_env.model.numpy_core` is the same model in numpy, the executable specification the
tests compare these kernels with.

The equations are those of docs/model.md, with the same names, written as loops over
members (`prange`: members are independent; each kernel's one-member body `_X_one` also
runs alone, for a single member). Every operation mirrors the numpy specification's order
and both use the same compiled exp, log, sin, cos and pow (`artwork_env.model.elementary`), so
the draws, rows, clicks, plays and bounces are the same; values agree to float rounding
where a sum runs in another order. Kernels are compiled once per machine (`cache=True`):
a second process starts warm.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from artwork_env.model.config import REWARD_CLICK, REWARD_PLAY
from artwork_env.model.elementary import (
    ONE,
    base,
    exp,
    normals,
    power,
    sigmoid32,
    uniforms,
    uniforms32,
)
from artwork_env.model.layout import COUNT_SCALE, Columns
from artwork_env.model.rng import CASCADE, CHURN, HISTORY, MEMBER, ROW
from artwork_env.model.state import STATE_NAMES

# --------------------------------------------------------------------------- parameters
# The model's scalar parameters travel to the kernels as one float64 vector, by name.
PARAMETERS = (
    "theme_weight", "cast_weight", "visual_weight", "familiarity_discount", "change_cost",
    "second_look", "fatigue_weight", "relevance_weight", "quality_weight", "salience_weight",
    "play_logit", "fit_weight", "bait_penalty", "promise_gap_weight", "bounce_penalty",
    "trust_loss", "trust_recovery", "churn_after", "churn_probability", "n_visits",
    "recommender_noise", "recommender_rewatch_penalty", "community_mixing", "taste_noise",
    "base_logit", "base_logit_sd", "position_decay", "patience_spread",
    "change_sensitivity", "history_noise", "n_regions", "long_term", "overpromise_trust_loss",
    "disappointment_churn",
)
(THEME_WEIGHT, CAST_WEIGHT, VISUAL_WEIGHT, FAMILIARITY_DISCOUNT, CHANGE_COST, SECOND_LOOK,
 FATIGUE_WEIGHT, RELEVANCE_WEIGHT, QUALITY_WEIGHT, SALIENCE_WEIGHT, PLAY_LOGIT, FIT_WEIGHT,
 BAIT_PENALTY, PROMISE_GAP_WEIGHT, BOUNCE_PENALTY, TRUST_LOSS, TRUST_RECOVERY, CHURN_AFTER,
 CHURN_PROBABILITY, N_VISITS, RECOMMENDER_NOISE, RECOMMENDER_REWATCH_PENALTY,
 COMMUNITY_MIXING, TASTE_NOISE, BASE_LOGIT, BASE_LOGIT_SD, POSITION_DECAY, PATIENCE_SPREAD,
 CHANGE_SENSITIVITY, HISTORY_NOISE, N_REGIONS, LONG_TERM, OVERPROMISE_TRUST_LOSS,
 DISAPPOINTMENT_CHURN) = range(len(PARAMETERS))

# The kernels receive the members' state as a plain tuple of its arrays, `tuple(state)`:
# numba types a named tuple's fields through Python on every call, a plain tuple's faster
# (and each array argument faster still: a kernel call's cost grows with the arrays it
# takes). These are the arrays' places in it, looked up by name in the one schema
# (`artwork_env.model.state`), so its order is written nowhere else.
(_BETA, _CAST_EXPOSURE, _CLICKED_BEFORE, _DEVICE, _EMPTY_STREAK, _GENRE_HIST, _HISTORY,
 _HISTORY_COUNT, _HISTORY_POS, _KAPPA, _KEYS, _LAST_BOUNCES, _LAST_SEEN, _LAST_SHOWN, _NU,
 _PATIENCE, _PLAYED, _PLAYS_TOTAL, _PSI, _REGION, _REL, _SEEN_COUNT, _STREAK, _THETA,
 _TITLE_SHOWN, _TITLES, _TRUST, _VISIT) = (
    STATE_NAMES.index(name) for name in (
        "beta", "cast_exposure", "clicked_before", "device", "empty_streak", "genre_hist",
        "history", "history_count", "history_pos", "kappa", "keys", "last_bounces",
        "last_seen", "last_shown", "nu", "patience", "played", "plays_total", "psi", "region",
        "rel", "seen_count", "streak", "theta", "title_shown", "titles", "trust", "visit"))

# The world's arrays the page model reads travel as one plain tuple too, in this order
# (`ArtworkSimulator` builds it by these names):
WORLD_PAGE = ("theme", "face_slot", "appeal", "visual_centred", "visual", "salience",
              "quality", "misrepresents")
(_W_THEME, _W_FACE_SLOT, _W_APPEAL, _W_VISUAL_CENTRED, _W_VISUAL, _W_SALIENCE, _W_QUALITY,
 _W_MISREPRESENTS) = range(len(WORLD_PAGE))

# The observation blocks `observe` writes, by name (`layout.ObservationLayout`): their start
# columns travel to the kernel as int arrays in these orders (`block_starts`).
MEMBER_BLOCKS = ("genre_history", "cast_exposure", "device", "region", "visit_progress",
                 "empty_streak", "last_bounces", "play_rate")
(GENRE_HISTORY, CAST_EXPOSURE, DEVICE, REGION, VISIT_PROGRESS, EMPTY_STREAK, LAST_BOUNCES,
 PLAY_RATE) = range(len(MEMBER_BLOCKS))
TITLE_BLOCKS = ("genres", "popularity", "in_history", "clicked_before", "times_shown")
GENRES, POPULARITY, IN_HISTORY, CLICKED_BEFORE, TITLE_TIMES_SHOWN = range(len(TITLE_BLOCKS))
ARTWORK_BLOCKS = ("times_shown", "shown_last")
ARTWORK_TIMES_SHOWN, SHOWN_LAST = range(len(ARTWORK_BLOCKS))


def parameter_vector(config: object) -> np.ndarray:
    """The scalar parameters of a `ModelConfig`, in `PARAMETERS` order."""
    return np.array([float(getattr(config, name)) for name in PARAMETERS])


def block_starts(columns: Columns, names: tuple[str, ...]) -> np.ndarray:
    """The start column of each named block of `columns`, in `names` order."""
    return np.array([columns[name].start for name in names], dtype=np.int64)


# ---------------------------------------------------------------------- small helpers
@njit(cache=True)
def _pairwise_sum(a: np.ndarray) -> float:
    """numpy's pairwise summation of a contiguous float64 run (what `.sum()` computes)."""
    n = a.shape[0]
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
        i = 8
        while i < n - (n % 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise_sum(a[:n2]) + _pairwise_sum(a[n2:])


TOP_K_BINS = 64


@njit(cache=True)
def _insert_top_k(score: np.ndarray, index: np.ndarray, m: int, out: np.ndarray) -> None:
    """The k = len(out) largest of score[index[:m]] (index ascending), largest first, ties to
    the lower index: one pass, inserting into the sorted `out` and its scores `kept`; a
    score not above the k-th kept one is passed over at the cost of one comparison."""
    k = out.shape[0]
    kept = np.empty(k, dtype=score.dtype)
    for j in range(m):
        t = index[j]
        s = score[t]
        if j >= k and not s > kept[k - 1]:
            continue
        pos = j if j < k else k - 1
        while pos > 0 and s > kept[pos - 1]:  # after equal scores: lower index first
            kept[pos] = kept[pos - 1]
            out[pos] = out[pos - 1]
            pos -= 1
        kept[pos] = s
        out[pos] = t


@njit(cache=True)
def _top_k(score: np.ndarray, out: np.ndarray) -> None:
    """The k = len(out) largest scores, largest first, ties to the lower index (`top_k`).

    Exact for any scores: the scores go into `TOP_K_BINS` bins of equal width between their
    least and greatest (a bin never holds a larger score than a higher bin), and only the
    entries in the bins that hold the k largest are ranked (`_insert_top_k`), about k + n /
    `TOP_K_BINS` of the n, in index order, so ties still go to the lower index."""
    n, k = score.shape[0], out.shape[0]
    index = np.empty(n, dtype=np.int64)
    m = 0
    lo, hi = score[0], score[0]
    for t in range(1, n):
        lo = min(lo, score[t])
        hi = max(hi, score[t])
    if n > 2 * k + 8 and hi > lo:
        lo64 = np.float64(lo)
        scale = TOP_K_BINS / (np.float64(hi) - lo64)
        bins = np.empty(n, dtype=np.uint8)  # TOP_K_BINS <= 256
        for t in range(n):
            bins[t] = min(np.int32((np.float64(score[t]) - lo64) * scale), TOP_K_BINS - 1)
        counts = np.zeros(TOP_K_BINS, dtype=np.int32)
        for t in range(n):
            counts[bins[t]] += 1
        top = TOP_K_BINS - 1  # the highest bin with at least k scores in it and above it
        above = counts[top]
        while above < k:
            top -= 1
            above += counts[top]
        for t in range(n):
            index[m] = t
            m += bins[t] >= top
    else:
        for t in range(n):
            index[t] = t
        m = n
    _insert_top_k(score, index, m, out)


@njit(cache=True, inline="always")
def _gain(reward: int, bounce_penalty: float, click: float, play: float) -> float:
    """`rewards.slot_gain` for one slot."""
    if reward == REWARD_CLICK:
        return click
    if reward == REWARD_PLAY:
        return click * play
    return click * (play - bounce_penalty * (1.0 - play))


@njit(cache=True, inline="always")
def _gain32(reward: int, bounce_penalty: np.float32, click: np.float32,
            play: np.float32) -> np.float32:
    """`_gain` in float32 (the exact oracle's precision)."""
    if reward == REWARD_CLICK:
        return click
    if reward == REWARD_PLAY:
        return click * play
    return click * (play - bounce_penalty * (np.float32(1.0) - play))


# ------------------------------------------------------------------------ recommender
@njit(cache=True)
def _fill_row(i, p, popularity_score, st):
    """The recommender for member i: top K of relevance + popularity + noise, unplayed
    titles first, already-seen titles penalised."""
    n_titles = st[_REL].shape[1]
    noise = np.empty(n_titles, dtype=np.float32)
    uniforms32(base(st[_KEYS][i], st[_VISIT][i], ROW), noise)
    noise_scale = np.float32(p[RECOMMENDER_NOISE])
    rewatch = np.float32(p[RECOMMENDER_REWATCH_PENALTY])
    score = np.empty(n_titles, dtype=np.float32)
    for t in range(n_titles):  # without branches (x 0 or 1 is exact), so it vectorises
        s = st[_REL][i, t] + popularity_score[t]
        s += noise[t] * noise_scale
        s -= rewatch * np.float32(st[_HISTORY_COUNT][i, t] > 0)
        s -= np.float32(1e6) * np.float32(st[_PLAYED][i, t])
        score[t] = s
    _top_k(score, st[_TITLES][i])


# ------------------------------------------------------------------------ member draw
@njit(cache=True)
def _mix_into(weights, table, z, noise, out):
    """out = sum_c weights[c] table[c] (summed in order c = 0, 1, ...) + noise z (a pass
    per community over the whole row, which vectorises; each entry sees the same sums)."""
    n = out.shape[0]
    weight = weights[0]
    for x in range(n):
        out[x] = weight * table[0, x]
    for c in range(1, weights.shape[0]):
        weight = weights[c]
        for x in range(n):
            out[x] += weight * table[c, x]
    for x in range(n):
        out[x] += noise * z[x]


@njit(cache=True)
def _draw_members_one(j, index, keys, p, community_taste, community_cast, community_visual,
                      region_bias, device_cdf, device_visual, sparse_index, sparse_weight,
                      title_genres, cast_counts, popularity_score, st):
    n_comm, n_genres = community_taste.shape
    n_actors, n_visual = community_cast.shape[1], community_visual.shape[1]
    n_titles, n_hist = st[_REL].shape[1], st[_HISTORY].shape[1]
    n_regions = int(p[N_REGIONS])
    n_z = n_comm + n_genres + n_actors + n_visual + 2
    i = index[j]
    key = keys[j]
    scratch = np.empty(max(n_z + 1, n_titles + 1), dtype=np.float32)
    z = np.empty(n_z)
    normals(base(key, np.uint64(0), MEMBER), n_z, scratch, z)
    u = np.empty(3)
    uniforms(base(key, np.uint64(0), MEMBER + 100), u)
    region = min(int(u[0] * n_regions), n_regions - 1)
    device = 0
    while device < device_cdf.shape[0] and device_cdf[device] <= u[1]:
        device += 1
    device = min(device, device_cdf.shape[0] - 1)
    logits = np.empty(n_comm)
    for c in range(n_comm):
        logits[c] = p[COMMUNITY_MIXING] * z[c] + region_bias[region, c]
    top = logits.max()
    weights = np.empty(n_comm)
    for c in range(n_comm):
        weights[c] = exp(logits[c] - top)
    total = _pairwise_sum(weights)
    for c in range(n_comm):
        weights[c] /= total
    taste_noise = p[TASTE_NOISE]
    # theta: community taste mixed by weight, plus noise, centred over genres
    theta = st[_THETA][i]
    _mix_into(weights, community_taste, z[n_comm:], taste_noise, theta)
    mean = _pairwise_sum(theta) / n_genres
    for g in range(n_genres):
        theta[g] -= mean
    o = n_comm + n_genres
    cast = st[_PSI][i, :n_actors]
    _mix_into(weights, community_cast, z[o:], taste_noise, cast)
    mean = _pairwise_sum(cast) / n_actors
    for a in range(n_actors):
        cast[a] -= mean
    st[_PSI][i, n_actors] = 0.0
    o += n_actors
    nu = st[_NU][i]
    for v in range(n_visual):
        acc = weights[0] * community_visual[0, v]
        for c in range(1, n_comm):
            acc += weights[c] * community_visual[c, v]
        nu[v] = (acc + device_visual[device, v]) + taste_noise * z[o + v]
    o += n_visual
    st[_KEYS][i] = key
    st[_VISIT][i] = 0
    st[_BETA][i] = p[BASE_LOGIT] + p[BASE_LOGIT_SD] * z[o]
    st[_PATIENCE][i] = min(max(p[POSITION_DECAY] + p[PATIENCE_SPREAD] * z[o + 1], 0.0), 1.0)
    st[_KAPPA][i] = (2.0 * p[CHANGE_SENSITIVITY]) * u[2]
    st[_DEVICE][i] = device
    st[_REGION][i] = region
    st[_TRUST][i] = 1.0
    # relevance <theta, g_t> in float32, over each title's few genres (float32 weights)
    theta32 = np.empty(n_genres, dtype=np.float32)
    for g in range(n_genres):
        theta32[g] = theta[g]
    rel = st[_REL][i]
    for t in range(n_titles):
        rel[t] = theta32[sparse_index[0, t]] * sparse_weight[0, t]
    for q in range(1, sparse_index.shape[0]):  # (J, T): genre q of every title, vectorised
        for t in range(n_titles):
            rel[t] += theta32[sparse_index[q, t]] * sparse_weight[q, t]
    # the viewing history: top H of relevance + history_noise x uniform, most recent last
    score = scratch[:n_titles]
    uniforms32(base(key, np.uint64(0), HISTORY), score)
    history_noise = np.float32(p[HISTORY_NOISE])
    for t in range(n_titles):
        score[t] = rel[t] + history_noise * score[t]
    top_titles = np.empty(n_hist, dtype=np.int64)
    _top_k(score, top_titles)
    st[_HISTORY_COUNT][i] = 0
    genre_hist = st[_GENRE_HIST][i]
    genre_hist[:] = 0.0
    exposure = st[_CAST_EXPOSURE][i]
    exposure[:] = 0.0
    for h in range(n_hist):
        title = top_titles[n_hist - 1 - h]
        st[_HISTORY][i, h] = title
        st[_HISTORY_COUNT][i, title] = 1
        for g in range(n_genres):
            genre_hist[g] += title_genres[title, g]
        for a in range(n_actors):
            exposure[a] += cast_counts[title, a]
    st[_HISTORY_POS][i] = 0
    st[_CLICKED_BEFORE][i] = False
    st[_PLAYED][i] = False
    st[_TITLE_SHOWN][i] = 0
    st[_SEEN_COUNT][i] = 0
    st[_STREAK][i] = 0
    st[_LAST_SHOWN][i] = -1
    st[_LAST_SEEN][i] = -1
    st[_EMPTY_STREAK][i] = 0
    st[_LAST_BOUNCES][i] = 0
    st[_PLAYS_TOTAL][i] = 0
    _fill_row(i, p, popularity_score, st)


@njit(cache=True, parallel=True)
def draw_members(index, keys, p, community_taste, community_cast, community_visual, region_bias,
                 device_cdf, device_visual, sparse_index, sparse_weight, title_genres,
                 cast_counts, popularity_score, st):
    """Draw a fresh member with key `keys[j]` into batch position `index[j]`
    (`members.sample_members`), reset its state and fill its first row
    (`ArtworkSimulator.reset_members`)."""
    for j in prange(index.shape[0]):
        _draw_members_one(j, index, keys, p, community_taste, community_cast, community_visual,
                          region_bias, device_cdf, device_visual, sparse_index, sparse_weight,
                          title_genres, cast_counts, popularity_score, st)


# ------------------------------------------------------------------------- page model
@njit(cache=True, error_model="numpy")
def _sigmoid_flat(x: np.ndarray) -> None:
    """x = sigmoid32(x) for every entry of a 1-d float32 array, in a loop that compiles to
    vector instructions (`elementary.expf` has no branch, and numpy's error model drops
    the check for a zero divisor, which 1 + exp(-x) never is)."""
    for j in range(x.shape[0]):
        x[j] = sigmoid32(x[j])


@njit(cache=True)
def _sigmoid_in_place(x: np.ndarray) -> None:
    """x = sigmoid32(x) for every entry of a C-contiguous float32 array (`_sigmoid_flat`;
    the loop vectorises only over an argument that is already flat)."""
    _sigmoid_flat(x.reshape(-1))


@njit(cache=True)
def _page(i, p, row, wp, st, click, play, misrep):
    """Member i's click[k, b, a] (slot k shows a, slot k-1 shows b) and play[k, a]
    probabilities, and the misrepresentation misrep[k, a], for the titles of `row`
    (docs/model.md, section 4):

    c_k = sigma(s_t + tau (gate_t u_a + sal_k) + change_{t,a} + fatigue_{t,a}),
    p_k = sigma(c0 + fit <theta, g_t> - bait x misrepresentation).
    """
    n_slots, n_art = play.shape
    n_visual = wp[_W_VISUAL_CENTRED].shape[0]
    tau = st[_TRUST][i]
    sal = np.float32(p[SALIENCE_WEIGHT] * tau)
    logits = np.empty(n_art, dtype=np.float32)
    for k in range(n_slots):
        t = row[k]
        r = np.float64(st[_REL][i, t])
        familiar = st[_HISTORY_COUNT][i, t] > 0 or st[_CLICKED_BEFORE][i, t]
        gate = 1.0 - p[FAMILIARITY_DISCOUNT] * familiar
        last = st[_LAST_SEEN][i, t]
        intent = (st[_BETA][i] + p[RELEVANCE_WEIGHT] * r) + p[QUALITY_WEIGHT] * wp[_W_QUALITY][t]
        change_sign = -p[CHANGE_COST] if familiar else p[SECOND_LOOK]
        for a in range(n_art):
            theta_theme = st[_THETA][i, wp[_W_THEME][t, a]]
            visual_taste = 0.0
            for v in range(n_visual):
                visual_taste += wp[_W_VISUAL_CENTRED][v, t, a] * st[_NU][i, v]
            uplift = ((wp[_W_APPEAL][t, a] + p[THEME_WEIGHT] * (theta_theme - r))
                      + p[CAST_WEIGHT] * st[_PSI][i, wp[_W_FACE_SLOT][t, a]]) \
                + p[VISUAL_WEIGHT] * visual_taste
            is_last = a == last
            changed = last >= 0 and not is_last
            change = change_sign * st[_KAPPA][i] * changed
            fatigue = -p[FATIGUE_WEIGHT] * np.float64(st[_STREAK][i, t]) * is_last
            logits[a] = np.float32(((intent + tau * gate * uplift) + change) + fatigue)
            gap = max(0.0, theta_theme - r)
            misrep[k, a] = wp[_W_MISREPRESENTS][t, a] + p[PROMISE_GAP_WEIGHT] * gap
            play[k, a] = np.float32((p[PLAY_LOGIT] + p[FIT_WEIGHT] * r)
                                    - p[BAIT_PENALTY] * misrep[k, a])  # a logit until below
        if k > 0 and p[SALIENCE_WEIGHT] > 0:
            left = row[k - 1]
            for b in range(n_art):
                for a in range(n_art):
                    if wp[_W_SALIENCE].shape[0] > 0:  # the world's table of `dissimilarity`
                        dissim = wp[_W_SALIENCE][left, t, b, a]
                    else:
                        gap = 0.0
                        for v in range(n_visual):
                            gap += abs(wp[_W_VISUAL][left, b, v] - wp[_W_VISUAL][t, a, v])
                        gap /= n_visual
                        dissim = np.float32(0.5 * (wp[_W_THEME][left, b] != wp[_W_THEME][t, a])
                                            + 0.5 * min(1.0, 2.0 * gap))
                    click[k, b, a] = logits[a] + (dissim - np.float32(0.5)) * sal
        else:  # no left neighbour effect: one probability per artwork
            for b in range(n_art):
                for a in range(n_art):
                    click[k, b, a] = logits[a]
    _sigmoid_in_place(click)  # the logits written above become probabilities
    _sigmoid_in_place(play)


@njit(cache=True)
def _page_model_one(i, p, wp, st, click, play, misrep):
    _page(i, p, st[_TITLES][i], wp, st, click[i], play[i], misrep[i])


@njit(cache=True, parallel=True)
def page_model(p, wp, st, click, play, misrep):
    """Every member's page (`_page`) into click (N, K, M, M), play (N, K, M) and
    misrepresentation (N, K, M)."""
    for i in prange(click.shape[0]):
        _page_model_one(i, p, wp, st, click, play, misrep)


# ------------------------------------------------------------------------------ actions
@njit(cache=True)
def first_invalid(actions, titles, w_exists):
    """The first flat (member, slot) index whose artwork is out of range or missing, or -1."""
    n, n_slots = actions.shape
    n_art = w_exists.shape[1]
    for i in range(n):
        for k in range(n_slots):
            a = actions[i, k]
            if a < 0 or a >= n_art or not w_exists[titles[i, k], a]:
                return i * n_slots + k
    return -1


# ------------------------------------------------------------------------ ground truth
@njit(cache=True)
def _expected(reward, bounce_penalty, patience, click, play, exists, actions):
    """E[R] of a row: sum_k patience^k prod_{j<k}(1 - c_j p_j) g_k, in float64."""
    value = 0.0
    reach = 1.0
    prev = 0
    for k in range(actions.shape[0]):
        a = actions[k]
        c = np.float64(click[k, prev if k > 0 else 0, a])
        q = np.float64(play[k, a])
        value += reach * _gain(reward, bounce_penalty, c, q)
        reach *= patience * (1.0 - c * q)
        prev = a
    return value


@njit(cache=True)
def _oracle(reward, bounce_penalty, patience, click, play, exists, actions, scratch,
            cost_weight=0.0, cost=None, sign=1.0):
    """The myopic oracle's row into `actions`: a dynamic programme over slots from the
    right in float32, F_k(b) = max_a [g_k(b, a) + patience (1 - c_k(b, a) p_k(a)) F_{k+1}(a)].
    With `cost` (K, M), g_k is less c_k(b, a) x cost_weight x cost[k, a] (`page.best_rows`'s
    click_cost: the planner's surrogates); `sign` -1 negates g_k, which finds the worst row
    (`page.best_rows`'s sign)."""
    n_slots, n_art = play.shape
    best_next = scratch
    future = np.zeros(n_art, dtype=np.float32)
    now = np.empty(n_art, dtype=np.float32)
    bp = np.float32(bounce_penalty)
    pat = np.float32(patience)
    for k in range(n_slots - 1, -1, -1):
        for b in range(n_art if k > 0 else 1):  # slot 0 has no left neighbour: b = 0
            best_q = -np.inf
            best_a = 0
            for a in range(n_art):
                if not exists[k, a]:
                    continue
                c = click[k, b, a]
                g = _gain32(reward, bp, c, play[k, a])
                if cost is not None:
                    g = g - c * np.float32(cost_weight * cost[k, a])
                g = g * np.float32(sign)
                go_on = (np.float32(1.0) - c * play[k, a]) * pat
                q = g + go_on * future[a]
                if q > best_q:
                    best_q, best_a = q, a
            best_next[k, b] = best_a
            now[b] = best_q
        for b in range(n_art):
            future[b] = now[b]
    actions[0] = best_next[0, 0]
    for k in range(1, n_slots):
        actions[k] = best_next[k, actions[k - 1]]


@njit(cache=True)
def _expected_rewards_one(i, reward, bounce_penalty, patience, click, play, exists, actions,
                          values):
    values[i] = _expected(reward, bounce_penalty, patience[i], click[i], play[i],
                          exists[i], actions[i])


@njit(cache=True, parallel=True)
def expected_rewards(*args):
    """(N,) exact expected reward of each member's `actions` row."""
    for i in prange(args[3].shape[0]):
        _expected_rewards_one(i, *args)


@njit(cache=True)
def _oracle_one(i, reward, bounce_penalty, patience, click, play, exists, actions, values):
    scratch = np.empty(play.shape[1:], dtype=np.int64)
    _oracle(reward, bounce_penalty, patience[i], click[i], play[i], exists[i], actions[i],
            scratch)
    _expected_rewards_one(i, reward, bounce_penalty, patience, click, play, exists, actions,
                          values)


@njit(cache=True, parallel=True)
def oracle(*args):
    """The myopic oracle of every member: its row and that row's float64 expected reward."""
    for i in prange(args[3].shape[0]):
        _oracle_one(i, *args)


@njit(cache=True)
def _worst_one(i, reward, bounce_penalty, patience, click, play, exists, actions, values):
    scratch = np.empty(play.shape[1:], dtype=np.int64)
    _oracle(reward, bounce_penalty, patience[i], click[i], play[i], exists[i], actions[i],
            scratch, 0.0, None, -1.0)
    _expected_rewards_one(i, reward, bounce_penalty, patience, click, play, exists, actions,
                          values)


@njit(cache=True, parallel=True)
def worst(*args):
    """The worst row of every member (`page.best_rows` with sign -1) and its float64
    expected reward."""
    for i in prange(args[3].shape[0]):
        _worst_one(i, *args)


@njit(cache=True)
def _priced_rows_one(i, reward, bounce_penalty, patience, click, play, exists, cost_weight,
                     cost, actions):
    scratch = np.empty(play.shape[1:], dtype=np.int64)
    _oracle(reward, bounce_penalty, patience[i], click[i], play[i], exists[i], actions[i],
            scratch, cost_weight[i], cost[i])


@njit(cache=True, parallel=True)
def priced_rows(*args):
    """`page.best_rows` with click_cost = cost_weight[n] x cost[n] for every member n."""
    for i in prange(args[3].shape[0]):
        _priced_rows_one(i, *args)


# ------------------------------------------------------------------------------ visit
@njit(cache=True)
def _visit_one(i, reward_code, p, actions, popularity_score, wp, w_exists, title_genres,
               cast_counts, st, out_reward, out_terminated, out_churned, out_clicks, out_plays,
               out_bounces, out_examined, out_titles, out_expected, out_oracle_value,
               out_oracle_action):
    n, n_slots = actions.shape
    n_art = w_exists.shape[1]
    n_hist = st[_HISTORY].shape[1]
    bounce_penalty = p[BOUNCE_PENALTY]
    row = st[_TITLES][i].copy()
    click = np.empty((n_slots, n_art, n_art), dtype=np.float32)
    play = np.empty((n_slots, n_art), dtype=np.float32)
    misrep = np.empty((n_slots, n_art))
    _page(i, p, row, wp, st, click, play, misrep)
    exists = np.empty((n_slots, n_art), dtype=np.bool_)
    for k in range(n_slots):
        for a in range(n_art):
            exists[k, a] = w_exists[row[k], a]
    act = actions[i]
    out_expected[i] = _expected(reward_code, bounce_penalty, st[_PATIENCE][i], click, play,
                                exists, act)
    scratch = np.empty((n_slots, n_art), dtype=np.int64)
    _oracle(reward_code, bounce_penalty, st[_PATIENCE][i], click, play, exists,
            out_oracle_action[i], scratch)
    out_oracle_value[i] = _expected(reward_code, bounce_penalty, st[_PATIENCE][i], click, play,
                                    exists, out_oracle_action[i])
    # the cascade: look at slot k with probability patience, click, play; a quality
    # play ends the scan
    u = np.empty(3 * n_slots)
    uniforms(base(st[_KEYS][i], st[_VISIT][i], CASCADE), u)
    patient = True
    played_before = False
    slot_reward = np.empty(n_slots)
    uncovered = np.empty(n_slots)  # misrepresentation each click found out
    n_plays = 0
    n_bounces = 0
    first_play = -1
    for k in range(n_slots):
        a = act[k]
        c = np.float64(click[k, act[k - 1] if k > 0 else 0, a])
        q = np.float64(play[k, a])
        if k > 0:
            patient = patient and u[k] < st[_PATIENCE][i]
        would_click = u[n_slots + k] < c
        would_play = would_click and u[2 * n_slots + k] < q
        examined = patient and not played_before
        clicked = examined and would_click
        quality = examined and would_play
        bounced = clicked and not quality
        if patient and would_play:
            played_before = True
        out_examined[i, k] = examined
        out_clicks[i, k] = clicked
        out_plays[i, k] = quality
        out_bounces[i, k] = bounced
        slot_reward[k] = _gain(reward_code, bounce_penalty, np.float64(clicked),
                               np.float64(quality))
        uncovered[k] = misrep[k, a] * clicked
        n_plays += quality
        n_bounces += bounced
        if quality and first_play < 0:
            first_play = k
    out_reward[i] = _pairwise_sum(slot_reward)
    for k in range(n_slots):
        out_titles[i, k] = row[k]
    # the state once the visit is over (docs/model.md, section 4)
    for k in range(n_slots):
        t = row[k]
        a = act[k]
        st[_TITLE_SHOWN][i, t] = min(st[_TITLE_SHOWN][i, t], 254) + 1
        st[_SEEN_COUNT][i, t, a] = min(st[_SEEN_COUNT][i, t, a], 254) + 1
        st[_LAST_SHOWN][i, t] = a
        if out_examined[i, k]:
            if out_clicks[i, k]:
                st[_STREAK][i, t] = 0
            elif st[_LAST_SEEN][i, t] == a:
                st[_STREAK][i, t] = min(st[_STREAK][i, t], 254) + 1
            else:
                st[_STREAK][i, t] = 1
            st[_LAST_SEEN][i, t] = a
        if out_clicks[i, k]:
            st[_CLICKED_BEFORE][i, t] = True
    if n_plays > 0:  # the title joins the history (ring buffer) and leaves the pool
        title = row[first_play]
        slot = st[_HISTORY_POS][i]
        old = st[_HISTORY][i, slot]
        st[_HISTORY][i, slot] = title
        st[_HISTORY_POS][i] = (slot + 1) % n_hist
        st[_HISTORY_COUNT][i, old] -= 1
        st[_HISTORY_COUNT][i, title] += 1
        for g in range(st[_GENRE_HIST].shape[1]):
            st[_GENRE_HIST][i, g] += title_genres[title, g] - title_genres[old, g]
        for a in range(st[_CAST_EXPOSURE].shape[1]):
            st[_CAST_EXPOSURE][i, a] += cast_counts[title, a] - cast_counts[old, a]
        st[_PLAYED][i, title] = True
    if n_bounces > 0:  # trust falls on bounces and otherwise recovers
        st[_TRUST][i] = st[_TRUST][i] * power(1.0 - p[TRUST_LOSS], np.float64(n_bounces))
    else:
        st[_TRUST][i] = st[_TRUST][i] + p[TRUST_RECOVERY] * (1.0 - st[_TRUST][i])
    oversold = _pairwise_sum(uncovered)
    if p[LONG_TERM] > 0:  # an oversold click costs trust (docs/model.md, section 4b)
        st[_TRUST][i] *= exp(-(p[LONG_TERM] * p[OVERPROMISE_TRUST_LOSS]) * oversold)
    st[_EMPTY_STREAK][i] = 0 if n_plays > 0 else st[_EMPTY_STREAK][i] + 1
    st[_LAST_BOUNCES][i] = n_bounces
    st[_PLAYS_TOTAL][i] += n_plays
    st[_VISIT][i] += ONE
    churn_u = np.empty(2)  # leaving after empty visits; leaving disappointed
    uniforms(base(st[_KEYS][i], st[_VISIT][i], CHURN), churn_u)
    disappointed = 1.0 - exp(-(p[LONG_TERM] * p[DISAPPOINTMENT_CHURN]) * oversold)
    churned = ((st[_EMPTY_STREAK][i] >= p[CHURN_AFTER] and churn_u[0] < p[CHURN_PROBABILITY])
               or churn_u[1] < disappointed)
    out_churned[i] = churned
    out_terminated[i] = churned or st[_VISIT][i] >= p[N_VISITS]
    if not out_terminated[i]:
        _fill_row(i, p, popularity_score, st)


@njit(cache=True, parallel=True)
def visit(reward_code, p, actions, popularity_score, wp, w_exists, title_genres, cast_counts,
          st, out_reward, out_terminated, out_churned, out_clicks, out_plays, out_bounces,
          out_examined, out_titles, out_expected, out_oracle_value, out_oracle_action):
    """One visit of every member (`ArtworkSimulator.visit_step`): the page, its exact
    expected reward and myopic oracle, the cascade draw, the state update once the visit
    is over, churn, and the next row for members who stay."""
    for i in prange(actions.shape[0]):
        _visit_one(i, reward_code, p, actions, popularity_score, wp, w_exists, title_genres,
                   cast_counts, st, out_reward, out_terminated, out_churned, out_clicks,
                   out_plays, out_bounces, out_examined, out_titles, out_expected,
                   out_oracle_value, out_oracle_action)


# ------------------------------------------------------------------------ observation
@njit(cache=True)
def _observe_one(j, rows, p, n_slots_f, history_length, member_cols, title_cols, artwork_cols,
                 title_genres, title_popularity, artwork_features, w_exists, st, member,
                 title_obs, artworks, mask):
    n_genres, n_actors = st[_GENRE_HIST].shape[1], st[_CAST_EXPOSURE].shape[1]
    n_art = w_exists.shape[1]
    i = rows[j]
    m = member[j]
    m[:] = 0.0
    for g in range(n_genres):
        m[member_cols[GENRE_HISTORY] + g] = min(max(st[_GENRE_HIST][i, g] / history_length, 0.0),
                                                1.0)
    for a in range(n_actors):
        m[member_cols[CAST_EXPOSURE] + a] = min(max(st[_CAST_EXPOSURE][i, a] / history_length,
                                                    0.0), 1.0)
    m[member_cols[DEVICE] + st[_DEVICE][i]] = 1.0
    m[member_cols[REGION] + st[_REGION][i]] = 1.0
    v = np.float64(st[_VISIT][i])
    m[member_cols[VISIT_PROGRESS]] = min(v / p[N_VISITS], 1.0)
    m[member_cols[EMPTY_STREAK]] = min(st[_EMPTY_STREAK][i] / p[CHURN_AFTER], 1.0)
    m[member_cols[LAST_BOUNCES]] = st[_LAST_BOUNCES][i] / n_slots_f
    m[member_cols[PLAY_RATE]] = st[_PLAYS_TOTAL][i] / max(v, 1.0)
    for k in range(st[_TITLES].shape[1]):
        t = st[_TITLES][i, k]
        for g in range(n_genres):
            title_obs[j, k, title_cols[GENRES] + g] = title_genres[t, g]
        title_obs[j, k, title_cols[POPULARITY]] = title_popularity[t]
        title_obs[j, k, title_cols[IN_HISTORY]] = 1.0 if st[_HISTORY_COUNT][i, t] > 0 else 0.0
        title_obs[j, k, title_cols[CLICKED_BEFORE]] = 1.0 if st[_CLICKED_BEFORE][i, t] else 0.0
        title_obs[j, k, title_cols[TITLE_TIMES_SHOWN]] = min(st[_TITLE_SHOWN][i, t] / COUNT_SCALE,
                                                             1.0)
        for a in range(n_art):
            out, features = artworks[j, k, a], artwork_features[t, a]
            for c in range(out.shape[0]):  # the world's columns (and two rewritten below)
                out[c] = features[c]
            exists = w_exists[t, a]
            artworks[j, k, a, artwork_cols[ARTWORK_TIMES_SHOWN]] = \
                min(np.float64(st[_SEEN_COUNT][i, t, a]), COUNT_SCALE) / COUNT_SCALE * exists
            artworks[j, k, a, artwork_cols[SHOWN_LAST]] = \
                1.0 if st[_LAST_SHOWN][i, t] == a and exists else 0.0
            mask[j, k, a] = 1 if exists else 0


@njit(cache=True, parallel=True)
def observe(rows, p, n_slots_f, history_length, member_cols, title_cols, artwork_cols,
            title_genres, title_popularity, artwork_features, w_exists, st, member, title_obs,
            artworks, mask):
    """The observation of members `rows` (`ArtworkSimulator.observe`), written by the
    named columns of the layout: member_cols, title_cols and artwork_cols are the start
    columns of `MEMBER_BLOCKS`, `TITLE_BLOCKS` and `ARTWORK_BLOCKS` (`block_starts`)."""
    for j in prange(rows.shape[0]):
        _observe_one(j, rows, p, n_slots_f, history_length, member_cols, title_cols,
                     artwork_cols, title_genres, title_popularity, artwork_features, w_exists,
                     st, member, title_obs, artworks, mask)
