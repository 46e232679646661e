/*
 * options.c - JSON options text -> the core's rs_opt tree.
 *
 * DESIGN.md: each binding reads JSON with its database's own support, the
 * core has no JSON parser. SQLite's json_tree() walks the document in order,
 * parents before children; we copy its rows, then lay the nodes out so that
 * the children of every object / array are contiguous, as rs_opt wants.
 */
#include "recsys_sqlite.h"

#include <stdlib.h>
#include <string.h>

/* One json_tree() row before layout. */
typedef struct raw_node {
	sqlite3_int64 id, parent; /* parent = -1 for the root */
	rs_opt_kind kind;
	int boolean;
	double number;
	sqlite3_int64 key_off, str_off; /* offsets into the arena, -1 = none */
	size_t n_children, first_child, next_fill;
} raw_node;

typedef struct id_index {
	sqlite3_int64 id;
	size_t idx;
} id_index;

/* qsort comparator on json_tree ids. */
static int cmp_id(const void *a, const void *b)
{
	sqlite3_int64 x = ((const id_index *)a)->id, y = ((const id_index *)b)->id;
	return x < y ? -1 : x > y;
}

/* Kind of a json_tree type name. */
static rs_opt_kind kind_of(const char *type)
{
	if (!type || !strcmp(type, "null"))
		return RS_OPT_NULL;
	if (!strcmp(type, "true") || !strcmp(type, "false"))
		return RS_OPT_BOOL;
	if (!strcmp(type, "integer") || !strcmp(type, "real"))
		return RS_OPT_NUMBER;
	if (!strcmp(type, "text"))
		return RS_OPT_STRING;
	if (!strcmp(type, "array"))
		return RS_OPT_ARRAY;
	return RS_OPT_OBJECT;
}

/* Append a NUL-terminated copy of text to the arena; returns its offset. */
static sqlite3_int64 arena_add(sqlite3_str *arena, const unsigned char *text, int len)
{
	sqlite3_int64 off = sqlite3_str_length(arena);
	sqlite3_str_append(arena, (const char *)text, len);
	sqlite3_str_appendchar(arena, 1, '\0');
	return off;
}

/* Validate the document and check that its root is an object. */
static int check_root(sqlite3 *db, const char *json, const char *what, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) END",
	                            -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_ROW) {
		*errmsg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return rc == SQLITE_OK || rc == SQLITE_DONE ? SQLITE_ERROR : rc;
	}
	const char *type = (const char *)sqlite3_column_text(st, 0);
	rc = SQLITE_OK;
	if (!type) {
		*errmsg = sqlite3_mprintf("argument \"%s\" is not valid JSON", what);
		rc = SQLITE_ERROR;
	} else if (strcmp(type, "object") != 0) {
		*errmsg =
		    sqlite3_mprintf("argument \"%s\" must be a JSON object, not %s", what, type);
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Copy one json_tree row into raw. */
static void read_row(sqlite3_stmt *st, sqlite3_str *arena, raw_node *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->parent = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
	r->kind = kind_of((const char *)sqlite3_column_text(st, 3));
	r->key_off = r->str_off = -1;
	/* object members have TEXT keys, array elements INTEGER ones */
	if (r->parent >= 0 && sqlite3_column_type(st, 2) == SQLITE_TEXT)
		r->key_off =
		    arena_add(arena, sqlite3_column_text(st, 2), sqlite3_column_bytes(st, 2));
	if (r->kind == RS_OPT_NUMBER)
		r->number = sqlite3_column_double(st, 4);
	else if (r->kind == RS_OPT_BOOL)
		r->boolean = sqlite3_column_int(st, 4) != 0;
	else if (r->kind == RS_OPT_STRING)
		r->str_off =
		    arena_add(arena, sqlite3_column_text(st, 4), sqlite3_column_bytes(st, 4));
}

/* Read every json_tree row; *rows is sqlite3_malloc'd. */
static int read_rows(sqlite3 *db, const char *json, sqlite3_str *arena, raw_node **rows, size_t *n,
                     char **errmsg)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	*rows = NULL;
	*n = 0;
	int rc = sqlite3_prepare_v2(db, "SELECT id, parent, key, type, atom FROM json_tree(?1)", -1,
	                            &st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			raw_node *p = sqlite3_realloc64(*rows, ncap * sizeof *p);
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			*rows = p;
			cap = ncap;
		}
		read_row(st, arena, &(*rows)[(*n)++]);
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_str_errcode(arena);
	if (rc != SQLITE_OK)
		*errmsg = sqlite3_mprintf("%s", rc == SQLITE_NOMEM ? "out of memory"
		                                                   : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* Index of the row whose json_tree id is `id`, or (size_t)-1. */
static size_t find_id(const id_index *ix, size_t n, sqlite3_int64 id)
{
	id_index key = {id, 0};
	const id_index *hit = bsearch(&key, ix, n, sizeof *ix, cmp_id);
	return hit ? hit->idx : (size_t)-1;
}

/* Lay the rows out: children of each node contiguous, root at nodes[0]. */
static int layout(raw_node *rows, size_t n, const char *arena, rs_opt *nodes)
{
	id_index *ix = sqlite3_malloc64(n * sizeof *ix);
	size_t *parent = sqlite3_malloc64(n * sizeof *parent);
	size_t *slot = sqlite3_malloc64(n * sizeof *slot);
	int rc = (ix && parent && slot) ? SQLITE_OK : SQLITE_NOMEM;
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++)
		ix[i] = (id_index){rows[i].id, i};
	if (rc == SQLITE_OK)
		qsort(ix, n, sizeof *ix, cmp_id);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		parent[i] = i == 0 ? (size_t)-1 : find_id(ix, n, rows[i].parent);
		if (i > 0 && (parent[i] == (size_t)-1 || parent[i] >= i))
			rc = SQLITE_CORRUPT; /* json_tree lists parents first */
		else if (i > 0)
			rows[parent[i]].n_children++;
	}
	size_t next = 1;
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		rows[i].first_child = next;
		next += rows[i].n_children;
	}
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		raw_node *r = &rows[i];
		slot[i] = i == 0 ? 0 : rows[parent[i]].first_child + rows[parent[i]].next_fill++;
		rs_opt *o = &nodes[slot[i]];
		memset(o, 0, sizeof *o);
		o->kind = r->kind;
		o->key = r->key_off >= 0 ? arena + r->key_off : NULL;
		o->boolean = r->boolean;
		o->number = r->number;
		o->string = r->str_off >= 0 ? arena + r->str_off : NULL;
		o->n_children = r->n_children;
		o->children = r->n_children ? &nodes[r->first_child] : NULL;
	}
	sqlite3_free(ix);
	sqlite3_free(parent);
	sqlite3_free(slot);
	return rc;
}

/* Parse options JSON into an rs_opt tree (see recsys_sqlite.h). */
int rsq_opts_parse(sqlite3 *db, const char *json, const char *what, rsq_opts *out, char **errmsg)
{
	memset(out, 0, sizeof *out);
	if (!json)
		return SQLITE_OK;
	int rc = check_root(db, json, what, errmsg);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_str *arena = sqlite3_str_new(db);
	raw_node *rows = NULL;
	size_t n = 0;
	rc = read_rows(db, json, arena, &rows, &n, errmsg);
	int len = sqlite3_str_length(arena);
	out->strings = sqlite3_str_finish(arena);
	if (rc == SQLITE_OK && len > 0 && !out->strings)
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK && n == 0)
		rc = SQLITE_CORRUPT;
	if (rc == SQLITE_OK && !(out->nodes = sqlite3_malloc64(n * sizeof(rs_opt))))
		rc = SQLITE_NOMEM;
	if (rc == SQLITE_OK)
		rc = layout(rows, n, out->strings, out->nodes);
	sqlite3_free(rows);
	if (rc != SQLITE_OK) {
		if (!*errmsg)
			*errmsg = sqlite3_mprintf("cannot read %s: %s", what, sqlite3_errstr(rc));
		rsq_opts_free(out);
	}
	return rc;
}

/* The root object, or NULL when there were no options. */
const rs_opt *rsq_opts_root(const rsq_opts *o)
{
	return o->nodes;
}

/* Free what rsq_opts_parse allocated. */
void rsq_opts_free(rsq_opts *o)
{
	sqlite3_free(o->nodes);
	sqlite3_free(o->strings);
	o->nodes = NULL;
	o->strings = NULL;
}

/* The private in-memory connection for JSON (see recsys_sqlite.h). */
sqlite3 *rsq_json_db(rsq_ctx *ctx)
{
	if (!ctx->json_db &&
	    sqlite3_open_v2(":memory:", &ctx->json_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY,
	                    NULL) != SQLITE_OK) {
		sqlite3_close(ctx->json_db);
		ctx->json_db = NULL;
	}
	return ctx->json_db;
}

/* A statement of the private JSON connection with ?1 bound to json (NULL
 * reads as '{}'); NULL when it cannot be prepared. */
sqlite3_stmt *rsq_json_query(rsq_ctx *ctx, const char *sql, const char *json)
{
	sqlite3 *jdb = rsq_json_db(ctx);
	sqlite3_stmt *st = NULL;
	if (!jdb || sqlite3_prepare_v2(jdb, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_text(st, 1, json ? json : "{}", -1, SQLITE_TRANSIENT);
	return st;
}

/* Parse through the connection's one-entry cache (see recsys_sqlite.h). */
int rsq_opts_parse_cached(rsq_ctx *ctx, const char *json, const char *what, const rsq_opts **out,
                          char **errmsg)
{
	static const rsq_opts NONE = {NULL, NULL};
	*out = &NONE;
	if (!json)
		return SQLITE_OK;
	if (ctx->opts_text && strcmp(ctx->opts_text, json) == 0) {
		*out = ctx->opts_tree;
		return SQLITE_OK;
	}
	rsq_opts *tree = sqlite3_malloc64(sizeof *tree);
	char *text = rsq_strdup(json);
	int rc = tree && text ? rsq_opts_parse(ctx->db, json, what, tree, errmsg) : SQLITE_NOMEM;
	/* json_tree is a table of main: while another connection commits it is
	 * locked, and serving must not depend on the file for reading options */
	sqlite3 *jdb = rsq_is_locked(rc) ? rsq_json_db(ctx) : NULL;
	if (jdb) {
		sqlite3_free(*errmsg);
		*errmsg = NULL;
		rc = rsq_opts_parse(jdb, json, what, tree, errmsg);
	}
	if (rc != SQLITE_OK) {
		sqlite3_free(tree);
		sqlite3_free(text);
		return rc;
	}
	rsq_opts_cache_clear(ctx);
	ctx->opts_text = text;
	ctx->opts_tree = tree;
	*out = tree;
	return SQLITE_OK;
}

/* Free the connection's cached options. */
void rsq_opts_cache_clear(rsq_ctx *ctx)
{
	if (ctx->opts_tree)
		rsq_opts_free(ctx->opts_tree);
	sqlite3_free(ctx->opts_tree);
	sqlite3_free(ctx->opts_text);
	ctx->opts_tree = NULL;
	ctx->opts_text = NULL;
}
