/*
 * sqlite_latency.c - per-call latency of recommend() in SQLite through the C
 * API, warm cache, beside two baselines measured in the same run.
 *
 * The database must hold a trained model named 'ml', a table users(user_id)
 * with the users to draw from, and a table precomputed(user_id, item_id,
 * score, rank) indexed on user_id. Each statement is prepared once, warmed
 * up, then run n times for random users (fixed seed); every call is bind +
 * step to the end + reset, timed with CLOCK_MONOTONIC.
 *
 * usage: sqlite_latency DB EXTENSION [N [LABEL]]
 * (LABEL: run only the statement of that label, e.g. "recommend()", with
 * min(N, 2000) warm-up calls: bench/scale.sh on a big model)
 * prints one markdown table row per statement: median, p99, mean (us), rows/call;
 * fails when a call errs or returns other than the expected number of rows
 */
#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *label, *sql;
	int rows; /* rows every call must return */
} stmts[] = {
	{"SELECT 1", "SELECT 1", 1},
	{"recommend()", "SELECT item_id, score FROM recommend(?1, 10, 'ml')", 10},
	{"precomputed top-10", "SELECT item_id, score FROM precomputed WHERE user_id = ?1 ORDER BY rank", 10},
	/* fresh users: the user's rows read from the source (index on user_id) and folded in */
	{"recommend() fresh", "SELECT item_id, score FROM recommend(?1, 10, 'ml', '{\"fresh\": true}')", 10},
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* xorshift64: the same user sequence for every statement and run */
static unsigned long long next_rand(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Run the prepared statement once for `user`; returns rows, or -1 on error. */
static int run_once(sqlite3_stmt *st, const char *user)
{
	int rows = 0, rc;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rows++;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? rows : -1;
}

/* Read users(user_id) into a malloc'd array of strings. */
static char **load_users(sqlite3 *db, int *n)
{
	sqlite3_stmt *st;
	char **u = NULL;
	int cap = 0;
	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT CAST(user_id AS text) FROM users", -1, &st, NULL))
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap && !(u = realloc(u, (size_t)(cap = cap ? 2 * cap : 1024) * sizeof *u)))
			return NULL;
		u[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return u;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	char *msg = NULL;
	int n = argc > 3 ? atoi(argv[3]) : 20000, nusers, warm = 2000;
	const char *only = argc > 4 ? argv[4] : NULL;
	if (argc < 3 || n < 1) {
		fprintf(stderr, "usage: %s DB EXTENSION [N [LABEL]]\n", argv[0]);
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_enable_load_extension(db, 1) != SQLITE_OK ||
	    sqlite3_load_extension(db, argv[2], "sqlite3_recsys_init", &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_latency: %s\n", msg ? msg : sqlite3_errmsg(db));
		return 1;
	}
	char **users = load_users(db, &nusers);
	double *t = malloc((size_t)n * sizeof *t);
	if (!users || nusers == 0 || !t) {
		fprintf(stderr, "sqlite_latency: no users (%s)\n", sqlite3_errmsg(db));
		return 1;
	}
	for (size_t s = 0; s < sizeof stmts / sizeof stmts[0]; s++) {
		sqlite3_stmt *st;
		unsigned long long seed = 42;
		long rows = 0;
		if (only && strcmp(only, stmts[s].label))
			continue;
		if (only && warm > n)
			warm = n;
		if (sqlite3_prepare_v2(db, stmts[s].sql, -1, &st, NULL) != SQLITE_OK) {
			fprintf(stderr, "sqlite_latency: %s: %s\n", stmts[s].sql, sqlite3_errmsg(db));
			return 1;
		}
		for (int k = 0; k < warm; k++)
			if (run_once(st, users[next_rand(&seed) % (unsigned)nusers]) < 0) {
				fprintf(stderr, "sqlite_latency: %s: %s\n", stmts[s].sql, sqlite3_errmsg(db));
				return 1;
			}
		double sum = 0;
		for (int k = 0; k < n; k++) {
			const char *u = users[next_rand(&seed) % (unsigned)nusers];
			double t0 = now_us();
			int r = run_once(st, u);
			t[k] = now_us() - t0;
			if (r != stmts[s].rows) {
				fprintf(stderr, "sqlite_latency: %s: %d rows for user %s (%s)\n", stmts[s].sql,
				        r, u, r < 0 ? sqlite3_errmsg(db) : "want exactly that many");
				return 1;
			}
			rows += r;
			sum += t[k];
		}
		sqlite3_finalize(st);
		qsort(t, (size_t)n, sizeof *t, cmp_double);
		printf("| SQLite | %s | `%s` | %d | %.2f | %.2f | %.2f | %.1f |\n", stmts[s].label,
		       stmts[s].sql, n, t[n / 2], t[(size_t)(0.99 * n)], sum / n, (double)rows / n);
	}
	for (int k = 0; k < nusers; k++)
		free(users[k]);
	free(users);
	free(t);
	sqlite3_close(db);
	return 0;
}
