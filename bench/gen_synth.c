/*
 * gen_synth.c - seeded synthetic implicit-feedback sets for the scale bench
 * (issue 12; REFERENCE.md, "Scale"):
 *
 *   S  200k users x   50k items, about  5M rows
 *   M    1M users x  200k items, about 25M rows
 *   L  500k users x    1M items, about 10M rows
 *
 * Model of the data:
 * - item popularity is Zipf-like: the item of popularity rank r (0-based) is
 *   drawn with weight (r + 1)^-0.9; ranks map to item ids by a seeded
 *   permutation, so ids say nothing about popularity;
 * - 32 planted topics: rank r belongs to topic r mod 32, so every topic has
 *   its share of head and tail items; each user has one topic and draws 80%
 *   of their items from it (Zipf over the topic's items in rank order), the
 *   rest from the whole catalogue. That is the structure a factor model can
 *   learn, so recall@10 on held-out items says whether the engine learns;
 * - user activity is lognormal: round(exp(N(ln median, sigma))) distinct
 *   items, at least 2, at most items / 4. S and M: median 20, sigma 0.67
 *   (mean 25: 5M rows for 200k users). L keeps the 500k users and
 *   10M rows, so its median is 16 (mean 20);
 * - duplicates removed: a user's items are distinct (a repeated draw is
 *   drawn again);
 * - weight: a small count, 1 + geometric(0.7) (70% ones), so confidence
 *   weighting has something to weigh.
 *
 * One item of each of 10,000 users (every users/10000-th user, starting at
 * user 1) is held out: it goes to the held-out file, not to the training
 * file. recall@10 = share of those users whose top-10 (seen items excluded)
 * holds their held-out item.
 *
 * Output: DIR/SET.tsv ("user<TAB>item<TAB>weight", ids from 1, sorted by
 * user, no header: COPY ... FROM, sqlite3 .mode tabs/.import, the bench
 * programs) and DIR/SET_heldout.tsv ("user<TAB>item"). Same seed, same
 * bytes. A summary line goes to stderr.
 *
 * usage: build/gen_synth --set S|M|L [--out DIR] [--seed N]
 *        build/gen_synth --users N --items N --median X [--sigma X]
 *                        [--heldout N] [--name NAME] [--out DIR] [--seed N]
 * Build: make bench-tools (build/gen_synth).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_TOPICS	32
#define ZIPF_EXP	0.9
#define ON_TOPIC	0.8

typedef struct
{
	const char *name;
	long		users;
	long		items;
	double		median;
} SetSpec;

static const SetSpec sets[] = {
	{"S", 200000, 50000, 20.0},
	{"M", 1000000, 200000, 20.0},
	{"L", 500000, 1000000, 16.0},
};

/* xoshiro256** (public-domain algorithm by Blackman and Vigna), seeded by splitmix64 */
static uint64_t rng_s[4];

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t	result = rotl(rng_s[1] * 5, 7) * 9;
	uint64_t	t = rng_s[1] << 17;

	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return result;
}

static void rng_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++)
	{
		uint64_t	z = (seed += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		rng_s[i] = z ^ (z >> 31);
	}
}

/* uniform in [0, 1) */
static double rng_unit(void)
{
	return (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static long rng_below(long n)
{
	return (long) (rng_unit() * n);
}

static double rng_normal(void)
{
	double		u = rng_unit(), v = rng_unit();

	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

/* Cumulative Zipf weights of n ranks, normalised to end at 1. */
static double *zipf_cdf(long n)
{
	double	   *cdf = malloc(n * sizeof(double));
	double		sum = 0;

	if (!cdf)
		return NULL;
	for (long r = 0; r < n; r++)
		cdf[r] = (sum += pow((double) (r + 1), -ZIPF_EXP));
	for (long r = 0; r < n; r++)
		cdf[r] /= sum;
	return cdf;
}

/* The first rank whose cumulative weight exceeds u. */
static long zipf_draw(const double *cdf, long n)
{
	double		u = rng_unit();
	long		lo = 0, hi = n - 1;

	while (lo < hi)
	{
		long		mid = (lo + hi) / 2;

		if (cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Appends v and a separator to the buffer at *p. */
static char *put_long(char *p, long v, char sep)
{
	char		tmp[24];
	int			n = 0;

	do
		tmp[n++] = '0' + v % 10;
	while ((v /= 10) > 0);
	while (n > 0)
		*p++ = tmp[--n];
	*p++ = sep;
	return p;
}

static FILE *open_out(const char *dir, const char *name, const char *suffix)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s%s.tsv", dir, name, suffix);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "gen_synth: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

static int usage(void)
{
	fprintf(stderr,
			"usage: gen_synth --set S|M|L [--out DIR] [--seed N]\n"
			"       gen_synth --users N --items N --median X [--sigma X] [--heldout N]\n"
			"                 [--name NAME] [--out DIR] [--seed N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	SetSpec		spec = {NULL, 0, 0, 20.0};
	double		sigma = 0.67;
	long		n_heldout = 10000;
	uint64_t	seed = 12;
	const char *dir = ".";
	double		t0;
	struct timespec ts;

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--set"))
		{
			int			found = 0;

			for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
				if (!strcmp(v, sets[s].name))
					spec = sets[s], found = 1;
			if (!found)
			{
				fprintf(stderr, "gen_synth: unknown set \"%s\" (S, M or L)\n", v);
				return 2;
			}
		}
		else if (!strcmp(a, "--users"))
			spec.users = atol(v);
		else if (!strcmp(a, "--items"))
			spec.items = atol(v);
		else if (!strcmp(a, "--median"))
			spec.median = atof(v);
		else if (!strcmp(a, "--sigma"))
			sigma = atof(v);
		else if (!strcmp(a, "--heldout"))
			n_heldout = atol(v);
		else if (!strcmp(a, "--name"))
			spec.name = v;
		else if (!strcmp(a, "--out"))
			dir = v;
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 10);
		else
			return usage();
	}
	if (!spec.name)
		spec.name = "synth";
	if (spec.users < 1 || spec.items < 8 || spec.median < 1 || sigma < 0 ||
		n_heldout < 0 || n_heldout > spec.users)
	{
		fprintf(stderr, "gen_synth: need --set, or --users >= 1, --items >= 8, --median >= 1, "
				"--sigma >= 0 and 0 <= --heldout <= users\n");
		return 2;
	}

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec * 1e-9;
	rng_seed(seed);

	long		n_items = spec.items;
	long		per_topic = (n_items + N_TOPICS - 1) / N_TOPICS;
	long		max_count = n_items / 4;
	long	   *rank_item = malloc(n_items * sizeof(long));
	uint32_t   *stamp = calloc(n_items, sizeof(uint32_t));
	long	   *mine = malloc(max_count * sizeof(long));
	double	   *global = zipf_cdf(n_items);
	double	   *topic = zipf_cdf(per_topic);
	char	   *buf = malloc(1 << 20);
	FILE	   *out = open_out(dir, spec.name, "");
	FILE	   *held = open_out(dir, spec.name, "_heldout");
	long		step = n_heldout > 0 ? spec.users / n_heldout : 0;
	long		rows = 0, held_rows = 0;

	if (!rank_item || !stamp || !mine || !global || !topic || !buf)
	{
		fprintf(stderr, "gen_synth: out of memory\n");
		return 1;
	}
	if (!out || !held)
		return 1;

	/* ranks to item ids: a seeded Fisher-Yates permutation of 1..items */
	for (long r = 0; r < n_items; r++)
		rank_item[r] = r + 1;
	for (long r = n_items - 1; r > 0; r--)
	{
		long		j = rng_below(r + 1), t = rank_item[r];

		rank_item[r] = rank_item[j];
		rank_item[j] = t;
	}

	for (long u = 1; u <= spec.users; u++)
	{
		int			t = (int) rng_below(N_TOPICS);
		/* topic t's members are ranks t, t + 32, ...; the last may run short */
		long		t_size = (n_items - t + N_TOPICS - 1) / N_TOPICS;
		long		count = lround(exp(log(spec.median) + sigma * rng_normal()));
		int			holds = step > 0 && (u - 1) % step == 0 && (u - 1) / step < n_heldout;
		char	   *p = buf;

		if (count < 2)
			count = 2;
		if (count > max_count)
			count = max_count;
		for (long k = 0; k < count; k++)
		{
			long		rank;

			do
			{
				if (rng_unit() < ON_TOPIC)
				{
					long		j;

					do
						j = zipf_draw(topic, per_topic);
					while (j >= t_size);
					rank = t + j * N_TOPICS;
				}
				else
					rank = zipf_draw(global, n_items);
			} while (stamp[rank] == (uint32_t) u);
			stamp[rank] = (uint32_t) u;
			mine[k] = rank_item[rank];
		}

		long		out_k = holds ? rng_below(count) : -1;

		for (long k = 0; k < count; k++)
		{
			long		w = 1;

			while (rng_unit() < 0.3 && w < 50)
				w++;
			if (k == out_k)
			{
				fprintf(held, "%ld\t%ld\n", u, mine[k]);
				held_rows++;
				continue;
			}
			p = put_long(p, u, '\t');
			p = put_long(p, mine[k], '\t');
			p = put_long(p, w, '\n');
			rows++;
			if (p - buf > (1 << 20) - 128)
			{
				fwrite(buf, 1, p - buf, out);
				p = buf;
			}
		}
		fwrite(buf, 1, p - buf, out);
	}
	if (fclose(out) != 0 || fclose(held) != 0)
	{
		fprintf(stderr, "gen_synth: write failed: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "gen_synth: set=%s users=%ld items=%ld rows=%ld heldout=%ld seed=%llu seconds=%.1f\n",
			spec.name, spec.users, n_items, rows, held_rows,
			(unsigned long long) seed, ts.tv_sec + ts.tv_nsec * 1e-9 - t0);
	free(rank_item);
	free(stamp);
	free(mine);
	free(global);
	free(topic);
	free(buf);
	return 0;
}
