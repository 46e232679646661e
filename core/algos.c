/*
 * algos.c - the algorithm registry: every algorithm's definition (name,
 * fit, score, summary parameters, options) lives in its own file; this table
 * lists them, so config, training, serving and the blob loader dispatch
 * through one place. Adding an algorithm: one file, one line here.
 */
#include "internal.h"

#include <string.h>

static const rs_algo_def *const ALGOS[] = {
	&rs_def_als,
	&rs_def_popularity,
	&rs_def_hybrid,
	&rs_def_auto,
	&rs_def_itemknn,
	&rs_def_content,
	&rs_def_svd,
	&rs_def_ease,
	&rs_def_bpr,
	&rs_def_warp,
	&rs_def_imported,
	&rs_def_vae,
	&rs_def_two_tower,
};
#define N_ALGOS (sizeof ALGOS / sizeof ALGOS[0])

const rs_algo_def *rs_algo_find(rs_algo id)
{
	for (size_t i = 0; i < N_ALGOS; i++)
		if (ALGOS[i]->id == id)
			return ALGOS[i];
	return NULL;
}

const rs_algo_def *rs_model_def(const rs_model *m)
{
	static const rs_algo_def none = {.name = "?"};
	if (m->algo == RS_ALGO_IMPORTED)
		return rs_import_def(m);
	const rs_algo_def *d = rs_algo_find(m->algo);
	return d ? d : &none;
}

const rs_algo_def *rs_algo_named(const char *name)
{
	for (size_t i = 0; i < N_ALGOS; i++)
		if (strcmp(ALGOS[i]->name, name) == 0)
			return ALGOS[i];
	return NULL;
}

int rs_is_algorithm(const char *name)
{
	return name && rs_algo_named(name) != NULL;
}

int rs_is_imported_algorithm(const char *name)
{
	const rs_algo_def *d = name ? rs_algo_named(name) : NULL;
	return d && d->import_only;
}

const char *rs_algorithms(void)
{
	static char buf[512];
	static atomic_int ready;
	if (!atomic_load(&ready)) { /* the table is constant: concurrent builders agree */
		char tmp[512] = "";
		for (size_t i = 0; i < N_ALGOS; i++) {
			if (ALGOS[i]->import_only) /* not trainable: recsys_import makes it */
				continue;
			if (tmp[0])
				strcat(tmp, ", ");
			strcat(tmp, ALGOS[i]->name);
		}
		memcpy(buf, tmp, sizeof buf);
		atomic_store(&ready, 1);
	}
	return buf;
}
