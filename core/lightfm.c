/*
 * lightfm.c - the LightFM family: "bpr" and "warp".
 *
 * Model (Kula, "Metadata Embeddings for User and Item Cold-start
 * Recommendations", 2015): a user's vector is the weighted sum of the
 * embeddings of the user's features, p_u = sum_f w_uf e_f (the identity
 * feature included, lightfm_features.c), an item's likewise, q_i, with an
 * item bias b_i = sum_f w_if c_f; the score is s(u, i) = p_u . q_i + b_i.
 *
 * Losses, by stochastic gradient steps on shuffled positive pairs (u, i):
 *  - bpr (Rendle et al., "BPR: Bayesian Personalized Ranking from Implicit
 *    Feedback", UAI 2009): draw a negative j, maximize
 *    ln sigma(s_ui - s_uj); the step scale is sigma(s_uj - s_ui).
 *  - warp (Weston, Bengio, Usunier, "WSABIE: Scaling Up To Large Vocabulary
 *    Image Annotation", IJCAI 2011): draw negatives until one violates the
 *    margin, s_uj > s_ui - 1, at most max_sampled draws; with N items and
 *    the violator found at draw t, the rank is estimated as floor((N-1)/t)
 *    and the hinge 1 - s_ui + s_uj is minimized with weight
 *    ln(floor((N - 1) / t)) (the rank-weighted loss's approximation).
 * Negatives are drawn uniformly from every item, side-table-only items
 * included (left out, their attribute-only vectors outscored the catalogue:
 * validation NDCG@10 on MovieLens 100K with genres fell from .138 to .104);
 * negatives that are positives of the user are rejected (binary search in
 * the user's sorted row).
 *
 * Every parameter has its own Adagrad rate (Duchi, Hazan, Singer, JMLR
 * 2011): G += g^2, x -= lr g / sqrt(G), G starting at 1. L2 (item_alpha,
 * user_alpha) is weight decay of every parameter of the side by
 * (1 - lr alpha) per positive pair, applied once per epoch. Initial
 * embeddings are uniform in [-0.5, 0.5) / factors, drawn from the feature
 * name's hash and the seed (REFERENCE.md: small starts are worth 30-60%
 * precision); biases start at 0.
 *
 * Threads: lock-free Hogwild (Niu, Recht, Re, Wright, NIPS 2011): the
 * core's threads take chunks of each epoch's shuffled pairs and update the
 * shared parameters without locks; each thread draws from its own random
 * stream (seed, thread id), so one thread and a fixed seed give the same
 * model every time.
 *
 * Served as factors + 1 dimensions: user vectors [p_u, 1], item vectors
 * [q_i, b_i], so the default dot-product scoring includes the bias. With
 * side-table features the model also keeps the feature names, the entity x
 * feature weights and the feature embeddings ([e_f, c_f] for item features,
 * [e_f, 1] for user features, whose rows sum to 1) for cold-start vectors.
 * Interaction weights are not used: every positive counts once (scaled by
 * its recency factor with option "recency", lfm_train).
 */
#include "lightfm.h"
#include "clones.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE__
#include <immintrin.h>
#endif

/* The step functions are inlined into step_range, so its AVX2 clone covers
 * them all. */
#define HOT static inline __attribute__((always_inline))

typedef struct lfm_pair { int32_t u, i; } lfm_pair;

typedef struct lfm_job {
	int warp, f, max_sampled;
	float lr, alpha_u, alpha_i;
	size_t n_feats;
	int32_t n_item;                  /* features [0, n_item) are item features */
	const rs_csr *seen, *uf, *itf;   /* positives; user and item feature rows */
	int32_t n_cand;                  /* negatives come from items [0, n_cand) */
	float *par;                      /* per feature: see feat_row */
	int32_t item_plain, user_plain;  /* identities only: first feature of the side, else -1 */
	size_t half, stride;             /* floats: f + 1 rounded up to 16; twice that */
	const lfm_pair *pairs;
	uint64_t *rng;                   /* one stream per thread */
	float *scratch;                  /* 5 f floats per thread, 64-byte aligned */
	size_t s_stride;
	uint64_t *pos_bits;              /* rs_lfm_positive_bits, or NULL */
	const float *pair_w;             /* per pair step scale (recency), or NULL: 1 */
	int wide;                        /* the CPU has AVX2 and FMA: ada_row8 */
} lfm_job;

/* Whether item j is in user u's sorted row (binary search). */
static inline int is_positive(const rs_csr *seen, int32_t u, int32_t j)
{
	const int32_t *row = seen->indices + seen->indptr[u];
	int64_t lo = 0, hi = seen->indptr[u + 1] - seen->indptr[u], n = hi;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (row[mid] < j)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && row[lo] == j;
}

/* Whether item n is a positive of u: one bit of the bitmap when there is
 * one (a single cache line where the search touches several), else the
 * binary search. */
static inline int positive_of(const rs_csr *seen, const uint64_t *bits, int32_t u, int32_t n)
{
	if (bits)
		return (int)(bits[(size_t)u * rs_lfm_bit_words(seen->ncols) + (size_t)n / 64] >> (n % 64)) & 1;
	return is_positive(seen, u, n);
}

uint64_t *rs_lfm_positive_bits(const rs_csr *seen, size_t max_bytes)
{
	size_t words = (size_t)seen->nrows * rs_lfm_bit_words(seen->ncols);
	if (words == 0 || words > max_bytes / sizeof(uint64_t))
		return NULL;
	uint64_t *bits = rs_calloc(words, sizeof *bits);
	for (int32_t u = 0; bits && u < seen->nrows; u++) {
		uint64_t *row = bits + (size_t)u * rs_lfm_bit_words(seen->ncols);
		for (int64_t k = seen->indptr[u]; k < seen->indptr[u + 1]; k++)
			row[seen->indices[k] / 64] |= 1ULL << (seen->indices[k] % 64);
	}
	return bits;
}

/* A uniform draw from [0, n). */
static inline int32_t draw_item(uint64_t *rng, int32_t n)
{
	return (int32_t)(((rs_rand_next(rng) >> 32) * (uint64_t)n) >> 32);
}

/* The first candidate of a negative for user u, or -1 when u has every
 * candidate (no draw then). Drawn LOOKAHEAD pairs ahead in step_range, so its
 * rows can be fetched while the current pair is stepped. */
HOT int32_t first_candidate(const rs_csr *seen, int32_t u, int32_t n_cand, uint64_t *rng)
{
	if (n_cand <= 0 || seen->indptr[u + 1] - seen->indptr[u] >= n_cand)
		return -1;
	return draw_item(rng, n_cand);
}

/* A negative for u from its first candidate: the candidate itself unless
 * it is a positive, then fresh draws, 100 draws in all. */
HOT int32_t resolve_negative(const rs_csr *seen, const uint64_t *bits, int32_t u, int32_t first,
                             int32_t n_cand, uint64_t *rng)
{
	if (first < 0)
		return -1;
	int32_t j = first;
	for (int draw = 0; draw < 100; draw++) {
		if (draw > 0)
			j = draw_item(rng, n_cand);
		if (!positive_of(seen, bits, u, j))
			return j;
	}
	return -1;
}

int32_t rs_lfm_sample_negative(const rs_csr *seen, const uint64_t *bits, int32_t u, int32_t n_cand,
                               uint64_t *rng)
{
	return resolve_negative(seen, bits, u, first_candidate(seen, u, n_cand, rng), n_cand, rng);
}

/* Feature r's parameters, one 64-byte aligned row: the embedding (f), the
 * bias (used by item features), padding; then their Adagrad sums at +half.
 * A step writes only the rows of its features, so two threads never share
 * a cache line unless they update the same feature. */
static inline float *feat_row(const lfm_job *j, int32_t r)
{
	return j->par + (size_t)r * j->stride;
}

/* An entity's vector (and bias): its one feature's row itself when the
 * entity has a single feature of weight 1, else the weighted sum in tmp. */
HOT const float *entity_vec(const lfm_job *j, const rs_csr *c, int32_t r, float *tmp, float *bias)
{
	int f = j->f;
	int32_t base = c == j->itf ? j->item_plain : j->user_plain;
	if (base >= 0) { /* identities only: feature base + r */
		const float *row = feat_row(j, base + r);
		*bias = row[f];
		return row;
	}
	int64_t b = c->indptr[r], e = c->indptr[r + 1];
	if (e - b == 1 && c->data[b] == 1.0f) {
		const float *row = feat_row(j, c->indices[b]);
		*bias = row[f];
		return row;
	}
	memset(tmp, 0, (size_t)f * sizeof *tmp);
	float s = 0;
	for (int64_t k = b; k < e; k++) {
		const float *row = feat_row(j, c->indices[k]);
		float w = c->data[k];
		for (int d = 0; d < f; d++)
			tmp[d] += w * row[d];
		s += w * row[f];
	}
	*bias = s;
	return tmp;
}

/* Adagrad step on one embedding row: the loss gradient is -scale dir
 * (dir: the direction that raises the objective). Four at a time with
 * SSE (sqrtf alone stays scalar: errno); 1/sqrt is rsqrt's 12 bits with one
 * Newton step to about 23. */
HOT void ada_row(float *restrict x, float *restrict g2, const float *restrict dir, float scale,
                 float lr, int f)
{
	int d = 0;
#ifdef __SSE__
	__m128 vs = _mm_set1_ps(-scale), vl = _mm_set1_ps(lr);
	__m128 v15 = _mm_set1_ps(1.5f), vh = _mm_set1_ps(0.5f);
	for (; d + 4 <= f; d += 4) {
		__m128 vx = _mm_loadu_ps(x + d);
		__m128 g = _mm_mul_ps(vs, _mm_loadu_ps(dir + d));
		__m128 acc = _mm_add_ps(_mm_loadu_ps(g2 + d), _mm_mul_ps(g, g));
		_mm_storeu_ps(g2 + d, acc);
		__m128 y = _mm_rsqrt_ps(acc);
		y = _mm_mul_ps(y, _mm_sub_ps(v15, _mm_mul_ps(_mm_mul_ps(vh, acc), _mm_mul_ps(y, y))));
		_mm_storeu_ps(x + d, _mm_sub_ps(vx, _mm_mul_ps(_mm_mul_ps(vl, g), y)));
	}
#endif
	for (; d < f; d++) {
		float g = -scale * dir[d];
		g2[d] += g * g;
		x[d] -= lr * g / sqrtf(g2[d]);
	}
}

#ifdef __x86_64__
/* The same step eight at a time, for CPUs with AVX2 and FMA (ML-1M bpr on
 * one thread: 4.35 s -> 3.86 s, the same model). step_range's default clone
 * never calls it (lfm_job.wide). */
__attribute__((target("avx2,fma"))) static void ada_row8(float *restrict x, float *restrict g2,
                                                        const float *restrict dir, float scale,
                                                        float lr, int f)
{
	int d = 0;
	__m256 vs = _mm256_set1_ps(-scale), vl = _mm256_set1_ps(lr);
	__m256 v15 = _mm256_set1_ps(1.5f), vh = _mm256_set1_ps(0.5f);
	for (; d + 8 <= f; d += 8) {
		__m256 vx = _mm256_loadu_ps(x + d);
		__m256 g = _mm256_mul_ps(vs, _mm256_loadu_ps(dir + d));
		__m256 acc = _mm256_fmadd_ps(g, g, _mm256_loadu_ps(g2 + d));
		_mm256_storeu_ps(g2 + d, acc);
		__m256 y = _mm256_rsqrt_ps(acc);
		y = _mm256_mul_ps(y, _mm256_fnmadd_ps(_mm256_mul_ps(vh, acc), _mm256_mul_ps(y, y), v15));
		_mm256_storeu_ps(x + d, _mm256_fnmadd_ps(_mm256_mul_ps(vl, g), y, vx));
	}
	if (d < f)
		ada_row(x + d, g2 + d, dir + d, scale, lr, f - d);
}
#endif

/* Whether this CPU runs ada_row8. */
static int cpu_wide(void)
{
#ifdef __x86_64__
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return 0;
#endif
}

void rs_lfm_ada_step(float *x, float *g2, const float *dir, float scale, float lr, int f,
                     int wide)
{
#ifdef __x86_64__
	if (wide && cpu_wide()) {
		ada_row8(x, g2, dir, scale, lr, f);
		return;
	}
#endif
	(void)wide;
	ada_row(x, g2, dir, scale, lr, f);
}

/* Apply a step of size `scale` along dir to every feature of row r. */
HOT void update_entity(const lfm_job *j, const rs_csr *c, int32_t r, const float *dir, float scale,
                       int with_bias)
{
	int f = j->f;
	for (int64_t k = c->indptr[r]; k < c->indptr[r + 1]; k++) {
		int32_t ft = c->indices[k];
		float s = scale * c->data[k];
		float *x = feat_row(j, ft), *g2 = x + j->half;
#ifdef __x86_64__
		if (j->wide) {
			ada_row8(x, g2, dir, s, j->lr, f);
		} else
#endif
			ada_row(x, g2, dir, s, j->lr, f);
		if (with_bias) {
			g2[f] += s * s;
			x[f] += j->lr * s / sqrtf(g2[f]);
		}
	}
}

/* One step raising s_ui - s_uj by `scale`: items first with the user's
 * vector as it was, then the user along q_i - q_j. */
HOT void pair_step(const lfm_job *j, int32_t u, int32_t i, int32_t n, const float *p,
                   const float *qi, const float *qn, float scale, float *diff)
{
	for (int d = 0; d < j->f; d++)
		diff[d] = qi[d] - qn[d];
	float *pc = diff + j->f; /* p may alias an embedding row the user step moves */
	memcpy(pc, p, (size_t)j->f * sizeof *pc);
	update_entity(j, j->itf, i, pc, scale, 1);
	update_entity(j, j->itf, n, pc, -scale, 1);
	update_entity(j, j->uf, u, diff, scale, 0);
}

/* BPR on one positive pair (u, i) against the negative n (-1: none). */
HOT void bpr_pair(const lfm_job *j, int32_t u, int32_t i, int32_t n, float w, float *s)
{
	int f = j->f;
	if (n < 0)
		return;
	float bi, bn, bu;
	const float *p = entity_vec(j, j->uf, u, s, &bu);
	const float *qi = entity_vec(j, j->itf, i, s + f, &bi);
	const float *qn = entity_vec(j, j->itf, n, s + 2 * f, &bn);
	float x = rs_dot(p, qi, f) + bi - rs_dot(p, qn, f) - bn;
	float scale = w / (1.0f + expf(x)); /* w sigma(-x) */
	pair_step(j, u, i, n, p, qi, qn, scale, s + 3 * f);
}

/* WARP on one positive pair. Only a margin violator is checked against
 * the user's positives (rejected ones count as draws, which bounds the
 * loop for users who have nearly every item). */
HOT void warp_pair(const lfm_job *j, int32_t u, int32_t i, float w, float *s, uint64_t *rng)
{
	int f = j->f;
	float bi, bn, bu;
	const float *p = entity_vec(j, j->uf, u, s, &bu);
	const float *qi = entity_vec(j, j->itf, i, s + f, &bi);
	float si = rs_dot(p, qi, f) + bi;
	for (int t = 1; t <= j->max_sampled; t++) {
		int32_t n = draw_item(rng, j->n_cand);
		const float *qn = entity_vec(j, j->itf, n, s + 2 * f, &bn);
		if (rs_dot(p, qn, f) + bn > si - 1.0f && !positive_of(j->seen, j->pos_bits, u, n)) {
			float rank = floorf((float)(j->n_cand - 1) / (float)t);
			if (rank > 1.0f)
				pair_step(j, u, i, n, p, qi, qn, w * logf(rank), s + 3 * f);
			return;
		}
	}
}

/* Prefetch a parameter row (embedding, bias and Adagrad sums) for writing. */
HOT void prefetch_row(const lfm_job *j, int32_t r, int with_bias)
{
	const char *p = (const char *)feat_row(j, r);
	size_t used = ((size_t)j->f + (with_bias ? 1 : 0)) * sizeof(float);
	for (size_t o = 0; o < used; o += 64) {
		__builtin_prefetch(p + o, 1);
		__builtin_prefetch(p + j->half * sizeof(float) + o, 1);
	}
}

/* How many pairs ahead step_range fetches rows. */
#define LOOKAHEAD 2

/* Draw pair k's first negative candidate (bpr) into ahead[], and fetch
 * pair k's rows and bitmap word into the cache. */
HOT void look_ahead(const lfm_job *j, int32_t k, int32_t *ahead, uint64_t *rng)
{
	int32_t u = j->pairs[k].u, c = -1;
	if (!j->warp)
		c = ahead[k % LOOKAHEAD] = first_candidate(j->seen, u, j->n_cand, rng);
	if (j->user_plain < 0 || j->item_plain < 0)
		return;
	prefetch_row(j, j->user_plain + u, 0);
	prefetch_row(j, j->item_plain + j->pairs[k].i, 1);
	if (c >= 0) {
		prefetch_row(j, j->item_plain + c, 1);
		if (j->pos_bits)
			__builtin_prefetch(j->pos_bits + (size_t)u * rs_lfm_bit_words(j->seen->ncols) +
			                   (size_t)c / 64);
	}
}

/* Steps on pairs [begin, end) with the thread's scratch and stream; built
 * for AVX2 + FMA too, picked at run time where the CPU has them. The rows
 * of the pair LOOKAHEAD places ahead are fetched while this one is stepped
 * (random places in memory: single-thread ML-1M bpr spent a third of its
 * time waiting on them), so bpr draws that pair's first candidate then.
 * One thread, ML-1M bpr: 5.18 s fetching one pair's user and item rows
 * ahead, 3.86 s with the negative's row and bitmap word too (and ada_row8),
 * 3.15 s two pairs ahead (4 and 8: 3.27, 3.31). */
RS_CLONES
static void step_range(void *arg, int32_t begin, int32_t end, int tid)
{
	lfm_job *j = arg;
	float *s = j->scratch + (size_t)tid * j->s_stride;
	uint64_t *rng = &j->rng[(size_t)tid * 8]; /* 64 bytes apart: no false sharing */
	int32_t ahead[LOOKAHEAD];
	for (int32_t k = begin; k < end && k < begin + LOOKAHEAD; k++)
		look_ahead(j, k, ahead, rng);
	for (int32_t k = begin; k < end; k++) {
		int32_t u = j->pairs[k].u, i = j->pairs[k].i, n = -1;
		if (!j->warp)
			n = resolve_negative(j->seen, j->pos_bits, u, ahead[k % LOOKAHEAD], j->n_cand, rng);
		if (k + LOOKAHEAD < end)
			look_ahead(j, k + LOOKAHEAD, ahead, rng);
		float w = j->pair_w ? j->pair_w[k] : 1.0f;
		if (j->warp)
			warp_pair(j, u, i, w, s, rng);
		else
			bpr_pair(j, u, i, n, w, s);
	}
}

/* Uniform [-0.5, 0.5) / f from the feature name's hash and the seed, so a
 * feature's start does not depend on the order rows arrived in. Polls the
 * host every 16,384 features: 0 when it asked to stop. */
static int init_params(rs_train_ctx *ctx, const lfm_job *j, const rs_idmap *names, uint64_t seed)
{
	int f = j->f;
	for (size_t r = 0; r < names->n; r++) {
		if (r % 16384 == 16383 && rs_cancelled(ctx))
			return 0;
		size_t len;
		const char *name = rs_idmap_get(names, (int32_t)r, &len);
		uint64_t s = rs_hash_bytes(name, len) ^ (seed * 0x9E3779B97F4A7C15ULL);
		float *x = feat_row(j, (int32_t)r);
		memset(x, 0, j->stride * sizeof *x);
		for (int d = 0; d < f; d++)
			x[d] = (float)((rs_rand_unit(&s) - 0.5) / f);
		for (int d = 0; d <= f; d++)
			x[j->half + d] = 1.0f;
	}
	return 1;
}

/* Every (user, item) positive, to be shuffled each epoch. */
static lfm_pair *positive_pairs(const rs_csr *seen, int64_t *n)
{
	*n = rs_csr_nnz(seen);
	lfm_pair *p = rs_malloc(rs_mul((size_t)*n, sizeof *p));
	if (!p)
		return NULL;
	for (int32_t u = 0; u < seen->nrows; u++)
		for (int64_t k = seen->indptr[u]; k < seen->indptr[u + 1]; k++)
			p[k] = (lfm_pair){u, seen->indices[k]};
	return p;
}

/* Fisher-Yates shuffle; w (per pair weights, or NULL) moves along. Polls
 * the host every million pairs: 0 when it asked to stop. */
static int shuffle(rs_train_ctx *ctx, lfm_pair *p, float *w, int64_t n, uint64_t *rng)
{
	for (int64_t k = n - 1; k > 0; k--) {
		if (k % (1 << 20) == 0 && rs_cancelled(ctx))
			return 0;
		int64_t r = (int64_t)(rs_rand_next(rng) % (uint64_t)(k + 1));
		lfm_pair t = p[k];
		p[k] = p[r];
		p[r] = t;
		if (w) {
			float x = w[k];
			w[k] = w[r];
			w[r] = x;
		}
	}
	return 1;
}

/* Served vectors: users [p_u, 1], items [q_i, b_i]; with side features,
 * the feature names, matrices and embeddings move into the model too. The
 * host is polled every 16,384 users and items. */
static rs_status finish_model(rs_train_ctx *ctx, const lfm_job *j, rs_lfm_feats *ft, rs_model *m,
                              rs_error *err)
{
	int f = j->f, fs = f + 1;
	size_t nu = m->users.n, ni = m->items.n, nf = ft->names.n;
	float *uf = rs_malloc(rs_mul(rs_mul(nu, (size_t)fs), sizeof *uf));
	float *itf = rs_malloc(rs_mul(rs_mul(ni, (size_t)fs), sizeof *itf));
	float *ff = ft->has_side ? rs_malloc(rs_mul(rs_mul(nf, (size_t)fs), sizeof *ff)) : NULL;
	if (!uf || !itf || (ft->has_side && !ff)) {
		free(uf);
		free(itf);
		free(ff);
		return rs_fail(err, RS_ENOMEM, "out of memory storing %zu x %d factors", nu + ni, fs);
	}
	float b;
	int stop = 0;
	for (size_t u = 0; u < nu && !stop; u++) {
		memcpy(uf + u * fs, entity_vec(j, &ft->users, (int32_t)u, j->scratch, &b),
		       (size_t)f * sizeof *uf);
		uf[u * fs + f] = 1.0f;
		stop = u % 16384 == 16383 && rs_cancelled(ctx);
	}
	for (size_t i = 0; i < ni && !stop; i++) {
		memcpy(itf + i * fs, entity_vec(j, &ft->items, (int32_t)i, j->scratch, &b),
		       (size_t)f * sizeof *itf);
		itf[i * fs + f] = b;
		stop = i % 16384 == 16383 && rs_cancelled(ctx);
	}
	if (stop) {
		free(uf);
		free(itf);
		free(ff);
		return rs_fail(err, RS_ECANCELLED, "training cancelled");
	}
	for (size_t r = 0; ff && r < nf; r++) {
		const float *x = feat_row(j, (int32_t)r);
		memcpy(ff + r * fs, x, (size_t)f * sizeof *ff);
		ff[r * fs + f] = r < (size_t)ft->n_item ? x[f] : 1.0f;
	}
	m->factors = fs;
	m->user_f = uf;
	m->item_f = itf;
	if (ff) {
		m->feat_f = ff;
		m->feats = ft->names;
		m->item_feats = ft->items;
		m->user_feats = ft->users;
		memset(ft, 0, sizeof *ft);
	}
	return RS_OK;
}

/* Zeroed 64-byte aligned floats, or NULL. */
static float *alloc_aligned(size_t count)
{
	size_t bytes = rs_mul(count, sizeof(float));
	if (bytes == SIZE_MAX || bytes > SIZE_MAX - 64)
		return NULL;
	bytes = (bytes + 63) / 64 * 64;
	float *p = aligned_alloc(64, bytes ? bytes : 64);
	if (p)
		memset(p, 0, bytes);
	return p;
}

/* Parameters, their Adagrad sums and the per-thread state. */
static rs_status alloc_job(rs_train_ctx *ctx, lfm_job *j, const rs_config *cfg,
                           const rs_lfm_feats *ft, rs_error *err)
{
	size_t nf = ft->names.n, f = (size_t)cfg->factors, th = (size_t)cfg->threads;
	j->half = (f + 1 + 15) / 16 * 16;
	j->stride = 2 * j->half;
	j->s_stride = (5 * f + 15) / 16 * 16;
	j->par = alloc_aligned(rs_mul(nf, j->stride));
	j->scratch = alloc_aligned(rs_mul(th, j->s_stride));
	j->rng = rs_calloc(th * 8, sizeof(uint64_t));
	if (!j->par || !j->scratch || !j->rng)
		return rs_fail(err, RS_ENOMEM, "out of memory allocating %zu x %zu embeddings", nf, f);
	if (!init_params(ctx, j, &ft->names, cfg->seed))
		return rs_fail(err, RS_ECANCELLED, "training cancelled");
	for (size_t t = 0; t < th; t++) {
		uint64_t s = cfg->seed ^ (0xD1B54A32D192ED03ULL * (t + 1));
		j->rng[t * 8] = rs_rand_next(&s);
	}
	return RS_OK;
}

static void free_job(lfm_job *j)
{
	free(j->par);
	free(j->scratch);
	free(j->rng);
	free(j->pos_bits);
	free((void *)j->pairs);
}

/* L2 as weight decay of every embedding and bias by (1 - lr alpha) per
 * positive pair, applied once per epoch for the epoch's n pairs. */
static void decay(const lfm_job *j, int64_t n)
{
	float di = (float)pow(fmax(0.0, 1.0 - (double)j->lr * j->alpha_i), (double)n);
	float du = (float)pow(fmax(0.0, 1.0 - (double)j->lr * j->alpha_u), (double)n);
	for (size_t r = 0; r < j->n_feats; r++) {
		float d = r < (size_t)j->n_item ? di : du;
		if (d == 1.0f)
			continue;
		float *x = feat_row(j, (int32_t)r);
		for (int k = 0; k <= j->f; k++) /* the embedding and the bias */
			x[k] *= d;
	}
}

/* Pairs per unit of work: 1024, fewer when warp may draw many negatives per
 * pair (max_sampled x factors bounds a pair's work), so that the calling
 * thread polls the host every few tens of ms. One thread steps the pairs in
 * the same order whatever the chunk. */
static int32_t step_chunk(const lfm_job *j)
{
	double per = j->warp ? (double)j->max_sampled * (j->f + 1) : 4.0 * (j->f + 1);
	double c = 5e7 / per;
	return c >= 1024 ? 1024 : c < 8 ? 8 : (int32_t)c;
}

/* The epochs: shuffle the positives (and their weights w, or NULL), then
 * Hogwild over chunks of them. */
static rs_status run_epochs(rs_train_ctx *ctx, lfm_job *j, lfm_pair *pairs, float *w, int64_t n,
                            rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	uint64_t order = cfg->seed * 0x9E3779B97F4A7C15ULL + 12345;
	if (n > INT32_MAX)
		return rs_fail(err, RS_ELIMIT, "more than %d interactions", INT32_MAX);
	j->pair_w = w;
	rs_report_count(ctx->rep, "epoch", cfg->lfm_epochs);
	for (int e = 0; e < cfg->lfm_epochs; e++) {
		rs_step(ctx, e + 1);
		if (rs_cancelled(ctx))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
		if (!shuffle(ctx, pairs, w, n, &order))
			return rs_fail(err, RS_ECANCELLED, "training cancelled");
		rs_status st = rs_parallel_for(ctx, (int32_t)n, step_chunk(j), cfg->threads, step_range, j,
		                               err);
		if (st != RS_OK)
			return st;
		decay(j, n);
	}
	return RS_OK;
}

/* Per positive (in seen's order) 0.5^(n / recency), n the rank of the
 * interaction among the user's newest first (recency.c), or NULL. */
static float *recency_factors(const rs_csr *seen, double recency)
{
	int64_t nnz = rs_csr_nnz(seen);
	float *ones = rs_malloc(rs_mul((size_t)nnz + 1, sizeof *ones));
	if (!ones)
		return NULL;
	for (int64_t k = 0; k < nnz; k++)
		ones[k] = 1.0f;
	rs_csr c = *seen;
	c.data = ones;
	float *w = rs_recency_weights(&c, recency);
	free(ones);
	return w;
}

/* Option "recency": every epoch, each positive's step is scaled by its
 * recency.c factor 0.5^(n / recency), n its rank among the user's
 * interactions newest first (LightFM's sample_weight semantics: the factor
 * multiplies the pair's loss). On a temporal holdout the next items follow
 * the latest ones: validation NDCG@10 on MovieLens 100K temporal-20 (mean of
 * seeds 1-3) went from .134 to .153 for warp (recency 5) and from .131 to
 * .147 for bpr (recency 10). Weights only in extra user-only epochs after
 * training (as als does, als.c) gave at most .146, and weights renormalized
 * to a mean of 1 per user .137. On ML-1M, whose order is only its fold
 * numbers, small values hurt (warp .197 -> .145 at 5), so it is off by
 * default and auto tries it on its validation split (bench/TUNING.md). */
static rs_status lfm_train(rs_train_ctx *ctx, lfm_job *j, lfm_pair *pairs, int64_t n,
                           rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	float *w = NULL;
	if (cfg->recency > 0 && !(w = recency_factors(j->seen, cfg->recency)))
		return rs_fail(err, RS_ENOMEM, "out of memory weighting the history by recency");
	rs_status st = run_epochs(ctx, j, pairs, w, n, err);
	j->pair_w = NULL;
	free(w);
	return st;
}

/* base when row r of c is feature base + r with weight 1 for every r, else -1. */
static int32_t plain_base(const rs_csr *c, int32_t base)
{
	if (rs_csr_nnz(c) != c->nrows)
		return -1;
	for (int32_t r = 0; r < c->nrows; r++)
		if (c->indptr[r] != r || c->indices[r] != base + r || c->data[r] != 1.0f)
			return -1;
	return base;
}

static rs_status lfm_fit(rs_train_ctx *ctx, rs_model *m, rs_error *err)
{
	const rs_config *cfg = ctx->cfg;
	lfm_job j = {.warp = cfg->algo == RS_ALGO_WARP, .f = cfg->factors,
	             .max_sampled = cfg->lfm_max_sampled, .lr = (float)cfg->lfm_lr,
	             .alpha_u = (float)cfg->lfm_user_alpha, .alpha_i = (float)cfg->lfm_item_alpha};
	rs_lfm_feats ft;
	rs_status st = rs_recency_check(cfg, &m->seen, err);
	if (st != RS_OK)
		return st;
	st = rs_lfm_features(cfg, ctx->side, m, &ft, err);
	if (st != RS_OK)
		return st;
	ctx->new_items = (int64_t)ft.added[RS_SIDE_ITEMS];
	ctx->new_users = (int64_t)ft.added[RS_SIDE_USERS];
	ctx->n_feats = (int64_t)(ft.names.n - (m->items.n - ft.added[RS_SIDE_ITEMS]) -
	                         (m->users.n - ft.added[RS_SIDE_USERS])); /* all but identities */
	j.seen = &m->seen;
	j.n_cand = m->seen.ncols;
	j.n_feats = ft.names.n;
	j.n_item = ft.n_item;
	j.uf = &ft.users;
	j.itf = &ft.items;
	j.item_plain = plain_base(&ft.items, 0);
	j.user_plain = plain_base(&ft.users, ft.n_item);
	st = alloc_job(ctx, &j, cfg, &ft, err);
	j.wide = cpu_wide();
	j.pos_bits = rs_lfm_positive_bits(&m->seen, (size_t)64 << 20); /* ML-1M: 2.7 MB */
	int64_t n = 0;
	lfm_pair *pairs = st == RS_OK ? positive_pairs(&m->seen, &n) : NULL;
	j.pairs = pairs;
	if (st == RS_OK && !pairs)
		st = rs_fail(err, RS_ENOMEM, "out of memory listing %zu interactions",
		             (size_t)rs_csr_nnz(&m->seen));
	if (st == RS_OK)
		st = lfm_train(ctx, &j, pairs, n, err);
	if (st == RS_OK)
		st = finish_model(ctx, &j, &ft, m, err);
	free_job(&j);
	rs_lfm_feats_free(&ft);
	return st;
}

/* Summary parameters as resolved for this training. */
static void lfm_params(const rs_train_ctx *ctx, rs_text *t)
{
	const rs_config *c = ctx->cfg;
	rs_text_printf(t, "\"factors\": %d, \"epochs\": %d, \"learning_rate\": %g, "
	               "\"item_alpha\": %g, \"user_alpha\": %g, \"identity_weight\": %g, ",
	               c->factors, c->lfm_epochs, c->lfm_lr, c->lfm_item_alpha, c->lfm_user_alpha,
	               c->lfm_identity);
	if (c->algo == RS_ALGO_WARP)
		rs_text_printf(t, "\"max_sampled\": %d, ", c->lfm_max_sampled);
	rs_text_printf(t, "\"seed\": %llu, \"attribute_features\": %lld, \"new_items\": %lld, "
	               "\"new_users\": %lld, \"recency\": %g", (unsigned long long)c->seed,
	               (long long)ctx->n_feats, (long long)ctx->new_items, (long long)ctx->new_users,
	               c->recency);
}

#define LFM_COMMON(f_def, ep_def, lr_def, alpha_def)                                     \
	{"factors", RS_T_INT, offsetof(rs_config, factors), f_def, 1, 1023, NULL},         \
	{"epochs", RS_T_INT, offsetof(rs_config, lfm_epochs), ep_def, 1, 10000, NULL},     \
	{"learning_rate", RS_T_NUM, offsetof(rs_config, lfm_lr), lr_def, 1e-6, 10, NULL},  \
	{"item_alpha", RS_T_NUM, offsetof(rs_config, lfm_item_alpha), alpha_def, 0, 1, NULL}, \
	{"user_alpha", RS_T_NUM, offsetof(rs_config, lfm_user_alpha), alpha_def, 0, 1, NULL}, \
	{"identity_weight", RS_T_NUM, offsetof(rs_config, lfm_identity), 0.9, 0, 1, NULL}, \
	{"recency", RS_T_NUM, offsetof(rs_config, recency), 0, 0, 1e9, NULL},               \
	RS_INDEX_OPTIONS

/* Defaults chosen on validation splits of MovieLens 100K and 1M
 * (bench/TUNING.md, "bpr and warp"). */
static const rs_opt_spec BPR_OPTIONS[] = {
	LFM_COMMON(64, 60, 0.1, 1e-6),
};

static const rs_opt_spec WARP_OPTIONS[] = {
	LFM_COMMON(64, 25, 0.05, 3e-6),
	{"max_sampled", RS_T_INT, offsetof(rs_config, lfm_max_sampled), 10, 1, 100000, NULL},
};

const rs_algo_def rs_def_bpr = {
	.id = RS_ALGO_BPR,
	.name = "bpr",
	.fit = lfm_fit,
	.params = lfm_params,
	.options = BPR_OPTIONS,
	.n_options = sizeof BPR_OPTIONS / sizeof BPR_OPTIONS[0],
	.split = RS_SPLIT_MEAN,
	.bias_column = 1,
	.mean_fold = 1,
};

const rs_algo_def rs_def_warp = {
	.id = RS_ALGO_WARP,
	.name = "warp",
	.fit = lfm_fit,
	.params = lfm_params,
	.options = WARP_OPTIONS,
	.n_options = sizeof WARP_OPTIONS / sizeof WARP_OPTIONS[0],
	.split = RS_SPLIT_MEAN,
	.bias_column = 1,
	.mean_fold = 1,
};
