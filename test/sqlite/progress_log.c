/*
 * progress_log.c - an application that hooks sqlite3_log() (SQLITE_CONFIG_LOG,
 * set before sqlite3_initialize, so this is a program of its own) sees the
 * progress lines of recsys_train() and recsys_evaluate() when the option
 * "progress" asks for them, none otherwise, on the thread that called.
 * Usage: progress_log EXTENSION_PATH_WITHOUT_SO. Prints PASS:/FAIL: lines.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 512

static struct {
	int n, other_code, other_thread;
	char line[MAX_LINES][256];
	pthread_t caller;
} logged;

/* SQLITE_CONFIG_LOG callback: keep the recsys lines. */
static void on_log(void *arg, int code, const char *msg)
{
	(void)arg;
	if (strncmp(msg, "recsys: ", 8) != 0)
		return;
	if (code != SQLITE_NOTICE)
		logged.other_code++;
	if (!pthread_equal(pthread_self(), logged.caller))
		logged.other_thread++;
	if (logged.n < MAX_LINES)
		snprintf(logged.line[logged.n++], sizeof logged.line[0], "%s", msg);
}

static int failed;

static void check(const char *name, int ok, const char *detail)
{
	printf("%s: sqlite progress %s", ok ? "PASS" : "FAIL", name);
	if (!ok && detail)
		printf(" (%s)", detail);
	printf("\n");
	failed |= !ok;
}

/* The phases of the logged lines, ticks folded: "reading building als done". */
static void phases(const char *prefix, char *out, size_t cap)
{
	char last[128] = "";
	out[0] = '\0';
	for (int k = 0; k < logged.n; k++) {
		const char *p = logged.line[k];
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			continue;
		p += strlen(prefix);
		if (!strncmp(p, "auto candidate ", 15))
			continue; /* counted apart */
		if (!strncmp(p, "auto winner (", 13) && strstr(p, "): "))
			p = strstr(p, "): ") + 3;
		char ph[128];
		size_t l = strcspn(p, ",");
		snprintf(ph, sizeof ph, "%.*s", (int)l, p);
		char *sp = strrchr(ph, ' '); /* "als iteration 3/15": drop the count */
		if (sp && strchr(sp, '/')) {
			*sp = '\0';
			if ((sp = strrchr(ph, ' ')))
				*sp = '\0';
		}
		if (strcmp(ph, last) == 0)
			continue;
		snprintf(last, sizeof last, "%s", ph);
		if (out[0])
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, ph, cap - strlen(out) - 1);
	}
}

static int count_prefix(const char *prefix)
{
	int n = 0;
	for (int k = 0; k < logged.n; k++)
		n += strncmp(logged.line[k], prefix, strlen(prefix)) == 0;
	return n;
}

/* Run sql; returns the error message (static) or NULL. */
static const char *run(sqlite3 *db, const char *sql)
{
	static char err[512];
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) == SQLITE_OK)
		return NULL;
	snprintf(err, sizeof err, "%s", e ? e : "?");
	sqlite3_free(e);
	return err;
}

int main(int argc, char **argv)
{
	char got[1024];
	if (argc != 2) {
		fprintf(stderr, "usage: progress_log EXTENSION\n");
		return 2;
	}
	logged.caller = pthread_self();
	if (sqlite3_config(SQLITE_CONFIG_LOG, on_log, NULL) != SQLITE_OK || sqlite3_initialize() != SQLITE_OK) {
		check("log callback configured", 0, "sqlite3_config");
		return 1;
	}
	sqlite3 *db;
	char *e = NULL;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    sqlite3_enable_load_extension(db, 1) != SQLITE_OK ||
	    sqlite3_load_extension(db, argv[1], NULL, &e) != SQLITE_OK) {
		check("extension loaded", 0, e);
		return 1;
	}
	const char *err = run(db,
		"CREATE TABLE ev AS WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2999) "
		"SELECT 'u' || (i % 100) AS user_id, 'i' || ((i * 7 + i / 100) % 60) AS item_id FROM n");
	check("setup", err == NULL, err);

	logged.n = 0;
	err = run(db, "SELECT recsys_train('m', 'ev', 'als', '{\"progress\": \"notice\"}')");
	phases("recsys: train \"m\": ", got, sizeof got);
	check("als training logs its phases in order", err == NULL &&
	      !strcmp(got, "reading building als done"), got);
	check("the last line says done with the rows read",
	      logged.n > 0 && strstr(logged.line[logged.n - 1], "done, 3000 rows read, "),
	      logged.n ? logged.line[logged.n - 1] : "none");
	check("lines come with SQLITE_NOTICE on the calling thread",
	      logged.other_code == 0 && logged.other_thread == 0, NULL);

	logged.n = 0;
	err = run(db, "SELECT recsys_train('m', 'ev', 'als', '{\"progress\": \"off\"}');"
	              "SELECT recsys_train('m', 'ev', 'als');"
	              "SELECT recsys_train('m', 'ev', 'als', '{\"threads\": 1}')");
	check("off, no options and options without progress log nothing",
	      err == NULL && count_prefix("recsys: ") == 0, err);

	logged.n = 0;
	err = run(db, "SELECT recsys_train('m', 'ev', 'auto', "
	              "'{\"progress\": \"log\", \"algorithms\": [\"popularity\", \"itemknn\"]}')");
	phases("recsys: train \"m\": ", got, sizeof got);
	check("auto logs its split and the winner's training", err == NULL &&
	      !strncmp(got, "reading building auto auto split ", strlen("reading building auto auto split ")) &&
	      strstr(got, " done") == got + strlen(got) - 5, got);
	check("auto logs each candidate with its score",
	      count_prefix("recsys: train \"m\": auto candidate 1 (popularity): ndcg@10 0.") == 1 &&
	      count_prefix("recsys: train \"m\": auto candidate 2 (itemknn): ndcg@10 0.") == 1, NULL);

	logged.n = 0;
	err = run(db, "SELECT * FROM recsys_evaluate('ev', 'ease', '{\"progress\": \"info\"}')");
	phases("recsys: evaluate \"ease\": ", got, sizeof got);
	check("evaluate logs its phases", err == NULL &&
	      !strcmp(got, "reading building splitting building ease ease inverse ease weights evaluating done"),
	      got);

	err = run(db, "SELECT recsys_train('m', 'ev', 'als', '{\"progress\": \"loud\"}')");
	check("a bad value is an error naming the option and its words",
	      err && !strcmp(err, "option \"progress\" must be one of off|notice|info|log (got \"loud\")"), err);
	sqlite3_close(db);
	return failed;
}
