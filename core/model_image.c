/*
 * model_image.c - the serving image: a model with all its derived arrays,
 * written once and mapped read-only by every process that serves it.
 *
 * The stored blob (model_io.c) is compact and fully validated, so loading it
 * copies and checks every array and then derives popularity order, int8
 * blocks, transposes, hash slots...: seconds and a private copy per process
 * on a large model. The image keeps the result of all that, so mapping it is
 * a header walk, and the page cache holds one copy per machine.
 *
 * Layout (all offsets absolute, every array and node 64-byte aligned):
 *   header   magic, format, build stamp, key, total length, root node offset
 *   node     img_node, the rs_model struct (pointers zeroed), then one
 *            {offset, length} per line of `arrays` (offset 0: NULL), then per
 *            hybrid part {node, item map, label} entries; then the arrays,
 *            the parts' item maps and labels, and the part nodes
 *   trailer  magic and total length, written last (a torn write lacks it)
 * The struct is stored as bytes, so the image is only valid for the build
 * that wrote it: the build stamp (version, compile time, struct layout)
 * refuses any other. Arrays are not re-validated at mapping (the file is
 * written by us into a directory only we can write); their bounds are.
 */
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMG_MAGIC "RSYSIMG1"
#define IMG_END "RSYSIEND"
#define STAMP_CAP 96
#define MAX_DEPTH 4

typedef struct img_header {
	char magic[8];
	uint32_t format, pad;
	char stamp[STAMP_CAP];
	unsigned char key[32];
	uint64_t total;       /* file length */
	uint64_t root;        /* offset of the root node */
} img_header;

typedef struct img_node {
	uint64_t struct_size; /* sizeof(rs_model) */
	uint32_t n_arrays, n_parts;
} img_node;

typedef struct img_span { uint64_t off, len; } img_span;
typedef struct img_part { img_span node, items, label; } img_part;

typedef struct img_trailer { char magic[8]; uint64_t total; } img_trailer;

/* ---- the table: one line per array of rs_model ---- */

/* Elements of an array, from the model's scalars (and arrays earlier in the
 * table); sub points at the enclosing id map or CSR matrix. */
typedef uint64_t (*count_fn)(const rs_model *m, const void *sub);

typedef struct img_array {
	size_t field;   /* offsetof the pointer in rs_model */
	size_t sub;     /* offsetof its id map / CSR matrix (or 0) */
	uint32_t elem;  /* bytes per element */
	count_fn count;
} img_array;

static uint64_t id_pool(const rs_model *m, const void *s) { (void)m; return ((const rs_idmap *)s)->pool_len; }
static uint64_t id_offs(const rs_model *m, const void *s) { (void)m; return ((const rs_idmap *)s)->n + 1; }
static uint64_t id_slots(const rs_model *m, const void *s) { (void)m; return ((const rs_idmap *)s)->nslots; }
static uint64_t csr_rows1(const rs_model *m, const void *s) { (void)m; return (uint64_t)((const rs_csr *)s)->nrows + 1; }
static uint64_t csr_nnz(const rs_model *m, const void *s)
{
	(void)m;
	const rs_csr *c = s;
	return c->indptr && c->nrows >= 0 && c->indptr[c->nrows] >= 0 ? (uint64_t)c->indptr[c->nrows] : UINT64_MAX;
}
static uint64_t n_items(const rs_model *m, const void *s) { (void)s; return m->items.n; }
static uint64_t n_users(const rs_model *m, const void *s) { (void)s; return m->users.n; }
static uint64_t n_factors(const rs_model *m, const void *s) { (void)s; return (uint64_t)m->factors; }
static uint64_t n_gram(const rs_model *m, const void *s) { (void)s; return (uint64_t)m->factors * (uint64_t)m->factors; }
static uint64_t n_user_f(const rs_model *m, const void *s) { (void)s; return m->users.n * (uint64_t)m->factors; }
static uint64_t n_item_f(const rs_model *m, const void *s) { (void)s; return m->items.n * (uint64_t)m->factors; }
static uint64_t n_feat_f(const rs_model *m, const void *s) { (void)s; return m->feats.n * (uint64_t)m->factors; }
static uint64_t n_tt_net(const rs_model *m, const void *s) { (void)s; return rs_tt_net_len(m->factors - 1, m->tt_hidden); }
static uint64_t n_dense(const rs_model *m, const void *s) { (void)s; return m->items.n * m->items.n; }
static uint64_t n_parts(const rs_model *m, const void *s) { (void)s; return (uint64_t)m->n_parts; }
static uint64_t n_events(const rs_model *m, const void *s) { (void)s; return m->events.n; }
static uint64_t n_hist(const rs_model *m, const void *s) { (void)s; return csr_nnz(m, &m->seen); }
static uint64_t n_user_ev(const rs_model *m, const void *s) { (void)s; return m->users.n * m->events.n; }
static uint64_t n_user_buy(const rs_model *m, const void *s) { (void)s; return m->users.n * 4; }
static uint64_t n_spend(const rs_model *m, const void *s) { (void)s; return (uint64_t)m->n_spend; }
static uint64_t n_vae_enc(const rs_model *m, const void *s) { (void)s; return rs_vae_enc_count(m); }
static uint64_t n_qblk(const rs_model *m, const void *s)
{
	(void)s;
	return (m->items.n + RS_BLK - 1) / RS_BLK * (uint64_t)rs_qblock_bytes(m);
}
static uint64_t n_lists1(const rs_model *m, const void *s) { (void)s; return (uint64_t)m->ivf_nlist + 1; }
static uint64_t n_lists2(const rs_model *m, const void *s) { (void)s; return 2 * (uint64_t)m->ivf_nlist; }
static uint64_t n_cent(const rs_model *m, const void *s) { (void)s; return (uint64_t)m->ivf_nlist * (uint64_t)m->factors; }
/* ivf_boff precedes ivf_q in the table: its last entry counts the blocks */
static uint64_t n_ivf_q(const rs_model *m, const void *s)
{
	(void)s;
	uint64_t b;
	if (!m->ivf_boff || __builtin_mul_overflow(m->ivf_boff[m->ivf_nlist], (uint64_t)rs_qblock_bytes(m), &b))
		return UINT64_MAX;
	return b;
}

#define A(f, elem, fn) {offsetof(rs_model, f), 0, elem, fn}
#define IDMAP(f) {offsetof(rs_model, f.pool), offsetof(rs_model, f), 1, id_pool}, \
                 {offsetof(rs_model, f.offs), offsetof(rs_model, f), 8, id_offs}, \
                 {offsetof(rs_model, f.slots), offsetof(rs_model, f), 4, id_slots}
/* indptr first: the others' counts read its last entry */
#define CSR(f) {offsetof(rs_model, f.indptr), offsetof(rs_model, f), 8, csr_rows1}, \
               {offsetof(rs_model, f.indices), offsetof(rs_model, f), 4, csr_nnz}, \
               {offsetof(rs_model, f.data), offsetof(rs_model, f), 4, csr_nnz}, \
               {offsetof(rs_model, f.ts), offsetof(rs_model, f), 8, csr_nnz}

static const img_array arrays[] = {
	IDMAP(users), IDMAP(items), CSR(seen),
	A(pop, 4, n_items), A(pop_order, 4, n_items),
	A(user_f, 4, n_user_f), A(item_f, 4, n_item_f),
	A(item_q, 1, n_qblk), A(item_qscale, 4, n_factors), A(item_maxabs, 4, n_factors),
	A(item_gram, 4, n_gram),
	A(ivf_cent, 4, n_cent), A(ivf_off, 4, n_lists1), A(ivf_items, 4, n_items),
	A(ivf_boff, 8, n_lists1), A(ivf_q, 1, n_ivf_q), A(ivf_norm, 4, n_lists2),
	CSR(sim), CSR(sim_t), A(dense, 4, n_dense),
	IDMAP(feats), CSR(item_feats), CSR(user_feats), A(feat_f, 4, n_feat_f),
	A(item_price, 4, n_items), A(item_cat, 4, n_items), IDMAP(cats),
	A(part_w, 4, n_parts),
	A(user_rows, 4, n_users), A(item_interval, 8, n_items),
	IDMAP(events), A(event_w, 8, n_events), IDMAP(columns),
	A(hist_w, 4, n_hist),
	A(pair_ev, 1, n_hist), A(pair_buy, 8, n_hist), A(user_ev, 4, n_user_ev),
	A(user_buy, 8, n_user_buy), A(spend_sorted, 8, n_spend),
	A(tt_net, 4, n_tt_net),
	A(vae_enc, 4, n_vae_enc),
};
#define N_ARRAYS (sizeof arrays / sizeof arrays[0])

static void **field(rs_model *m, const img_array *a) { return (void **)((char *)m + a->field); }
static void *const *cfield(const rs_model *m, const img_array *a)
{
	return (void *const *)((const char *)m + a->field);
}
static const void *sub_of(const rs_model *m, const img_array *a) { return (const char *)m + a->sub; }

/* Bytes of array a of m, or UINT64_MAX when its count overflows. */
static uint64_t array_bytes(const rs_model *m, const img_array *a)
{
	uint64_t n = a->count(m, sub_of(m, a)), b;
	if (n == UINT64_MAX || __builtin_mul_overflow(n, (uint64_t)a->elem, &b))
		return UINT64_MAX;
	return b;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ULL;
	return h;
}

/* This build: version, struct layout as the table reads it, and the
 * identity of the library file that holds this code (path, size, mtime,
 * inode), so any rebuild, even one that changes only how an array is
 * derived, refuses older images. Without a file to name, the process id:
 * images then serve only their writer. Taken when the library is loaded
 * (a reinstall replaces the file under a running process, whose code is
 * still the old one). */
static void compute_stamp(char out[STAMP_CAP])
{
	uint64_t h = 1469598103934665603ULL, lib = h;
	for (size_t i = 0; i < N_ARRAYS; i++)
		h = (h ^ (arrays[i].field * 131 + arrays[i].elem)) * 1099511628211ULL;
	Dl_info info;
	struct stat st;
	if (dladdr((void *)compute_stamp, &info) && info.dli_fname && stat(info.dli_fname, &st) == 0) {
		lib = fnv(lib, info.dli_fname, strlen(info.dli_fname));
		lib = fnv(lib, &st.st_size, sizeof st.st_size);
		lib = fnv(lib, &st.st_mtim, sizeof st.st_mtim);
		lib = fnv(lib, &st.st_ino, sizeof st.st_ino);
	} else {
		pid_t pid = getpid();
		lib = fnv(lib, &pid, sizeof pid);
	}
	memset(out, 0, STAMP_CAP);
	snprintf(out, STAMP_CAP, "recsys %s m%zu a%zu %016llx lib %016llx", RS_VERSION, sizeof(rs_model),
	         N_ARRAYS, (unsigned long long)h, (unsigned long long)lib);
}

static char load_stamp[STAMP_CAP];

__attribute__((constructor)) static void stamp_at_load(void) { compute_stamp(load_stamp); }

static void build_stamp(char out[STAMP_CAP])
{
	if (!load_stamp[0])
		compute_stamp(load_stamp);
	memcpy(out, load_stamp, STAMP_CAP);
}

static uint64_t align_up(uint64_t x) { return (x + RS_IMAGE_ALIGN - 1) & ~(uint64_t)(RS_IMAGE_ALIGN - 1); }

static size_t label_len(const rs_model *m, int32_t p) { return strlen(m->part_label[p]) + 1; }

/* ---- layout: where each piece of a node goes ---- */

typedef struct node_plan {
	img_span dir[N_ARRAYS];
	img_part *parts;      /* n_parts entries (malloc'd) */
	uint64_t end;         /* first byte after the node and its parts */
} node_plan;

static uint64_t node_size(const rs_model *m, int *oom);

/* Plan node m starting at `start` (aligned). */
static int plan_node(const rs_model *m, uint64_t start, node_plan *pl)
{
	uint64_t pos = start + sizeof(img_node) + sizeof(rs_model) + sizeof pl->dir +
	               (uint64_t)m->n_parts * sizeof(img_part);
	pl->parts = NULL;
	for (size_t a = 0; a < N_ARRAYS; a++) {
		pl->dir[a] = (img_span){0, 0};
		if (!*cfield(m, &arrays[a]))
			continue;
		uint64_t len = array_bytes(m, &arrays[a]);
		if (len == UINT64_MAX)
			return 0;
		pos = align_up(pos);
		pl->dir[a] = (img_span){pos, len};
		pos += len;
	}
	if (m->n_parts > 0) {
		pl->parts = rs_calloc((size_t)m->n_parts, sizeof *pl->parts);
		if (!pl->parts)
			return 0;
		for (int32_t p = 0; p < m->n_parts; p++) {
			pos = align_up(pos);
			pl->parts[p].items = (img_span){pos, m->items.n * 4};
			pos += m->items.n * 4;
			pos = align_up(pos);
			pl->parts[p].label = (img_span){pos, label_len(m, p)};
			pos += label_len(m, p);
		}
		for (int32_t p = 0; p < m->n_parts; p++) {
			int oom = 0;
			uint64_t len = node_size(m->parts[p], &oom);
			if (oom)
				return 0;
			pos = align_up(pos);
			pl->parts[p].node = (img_span){pos, len};
			pos += len;
		}
	}
	pl->end = pos;
	return 1;
}

static uint64_t node_size(const rs_model *m, int *oom)
{
	node_plan pl;
	if (!plan_node(m, 0, &pl)) {
		*oom = 1;
		return 0;
	}
	free(pl.parts);
	return pl.end;
}

/* ---- writing ---- */

typedef struct writer {
	int fd;
	uint64_t pos;
	int failed;     /* errno of the first failure */
} writer;

static void put(writer *w, const void *p, size_t n)
{
	const char *c = p;
	while (!w->failed && n > 0) {
		ssize_t r = write(w->fd, c, n > (1u << 30) ? (1u << 30) : n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			w->failed = r < 0 ? errno : EIO;
			return;
		}
		c += r;
		n -= (size_t)r;
		w->pos += (uint64_t)r;
	}
}

static void pad_to(writer *w, uint64_t off)
{
	static const char zero[RS_IMAGE_ALIGN];
	while (!w->failed && w->pos < off) {
		uint64_t n = off - w->pos;
		put(w, zero, n > sizeof zero ? sizeof zero : (size_t)n);
	}
}

/* The struct as stored: the image's own pointers mean nothing elsewhere. */
static void stored_struct(const rs_model *m, rs_model *rec)
{
	*rec = *m;
	for (size_t a = 0; a < N_ARRAYS; a++)
		*field(rec, &arrays[a]) = NULL;
	rec->parts = NULL;
	rec->part_item = NULL;
	rec->part_label = NULL;
	rec->img_mapped = 0;
	rec->img_base = NULL;
	rec->img_len = 0;
}

static int write_node(writer *w, const rs_model *m, int depth)
{
	node_plan pl;
	if (depth > MAX_DEPTH || !plan_node(m, w->pos, &pl))
		return 0;
	img_node hdr = {sizeof(rs_model), (uint32_t)N_ARRAYS, (uint32_t)m->n_parts};
	rs_model rec;
	memset(&rec, 0, sizeof rec); /* padding bytes too */
	stored_struct(m, &rec);
	put(w, &hdr, sizeof hdr);
	put(w, &rec, sizeof rec);
	put(w, pl.dir, sizeof pl.dir);
	if (m->n_parts > 0)
		put(w, pl.parts, (size_t)m->n_parts * sizeof *pl.parts);
	for (size_t a = 0; a < N_ARRAYS; a++) {
		if (!pl.dir[a].off)
			continue;
		pad_to(w, pl.dir[a].off);
		put(w, *cfield(m, &arrays[a]), (size_t)pl.dir[a].len);
	}
	for (int32_t p = 0; p < m->n_parts; p++) {
		pad_to(w, pl.parts[p].items.off);
		put(w, m->part_item[p], (size_t)pl.parts[p].items.len);
		pad_to(w, pl.parts[p].label.off);
		put(w, m->part_label[p], (size_t)pl.parts[p].label.len);
	}
	int ok = 1;
	for (int32_t p = 0; ok && p < m->n_parts; p++) {
		pad_to(w, pl.parts[p].node.off);
		ok = write_node(w, m->parts[p], depth + 1);
	}
	free(pl.parts);
	return ok;
}

rs_status rs_model_image_write(const rs_model *m, int fd, const unsigned char key[32],
                               rs_error *err)
{
	if (m->n_parts > 0 && (!m->part_item || !m->part_label))
		return rs_fail(err, RS_EINVAL, "hybrid model is not prepared for serving");
	int oom = 0;
	uint64_t body = node_size(m, &oom);
	if (oom)
		return rs_fail(err, RS_ENOMEM, "out of memory planning the serving image");
	img_header h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, IMG_MAGIC, 8);
	h.format = RS_IMAGE_FORMAT;
	build_stamp(h.stamp);
	memcpy(h.key, key, 32);
	h.root = align_up(sizeof h);
	h.total = align_up(h.root + body) + sizeof(img_trailer);
	writer w = {fd, 0, 0};
	put(&w, &h, sizeof h);
	pad_to(&w, h.root);
	if (!write_node(&w, m, 0) && !w.failed)
		return rs_fail(err, RS_ENOMEM, "out of memory writing the serving image");
	pad_to(&w, h.total - sizeof(img_trailer));
	img_trailer t;
	memcpy(t.magic, IMG_END, 8);
	t.total = h.total;
	put(&w, &t, sizeof t);
	if (w.failed)
		return rs_fail(err, RS_ELIMIT, "writing the serving image failed: %s", strerror(w.failed));
	if (w.pos != h.total)
		return rs_fail(err, RS_ECORRUPT, "serving image came out at %llu bytes, planned %llu",
		               (unsigned long long)w.pos, (unsigned long long)h.total);
	return RS_OK;
}

/* ---- mapping ---- */

typedef struct image { const unsigned char *base; uint64_t len; } image;

/* Does [off, off + len) lie inside the image, off aligned? */
static int in_image(const image *im, uint64_t off, uint64_t len)
{
	return off % RS_IMAGE_ALIGN == 0 && off <= im->len && len <= im->len - off;
}

/* Frees what map_node allocated (not the image). */
static void free_node(rs_model *m)
{
	if (!m)
		return;
	for (int32_t p = 0; m->parts && p < m->n_parts; p++)
		free_node(m->parts[p]);
	free(m->parts);
	free(m->part_item);
	free(m->part_label);
	free(m);
}

/* The node at off: a malloc'd struct whose arrays point into the image. */
static rs_model *map_node(const image *im, uint64_t off, uint64_t len, int depth)
{
	img_node hdr;
	uint64_t fixed = sizeof hdr + sizeof(rs_model) + N_ARRAYS * sizeof(img_span);
	if (depth > MAX_DEPTH || !in_image(im, off, len) || len < fixed)
		return NULL;
	memcpy(&hdr, im->base + off, sizeof hdr);
	if (hdr.struct_size != sizeof(rs_model) || hdr.n_arrays != N_ARRAYS || hdr.n_parts > 64 ||
	    len - fixed < (uint64_t)hdr.n_parts * sizeof(img_part))
		return NULL;
	rs_model *m = rs_malloc(sizeof *m);
	if (!m)
		return NULL;
	memcpy(m, im->base + off + sizeof hdr, sizeof *m);
	m->parts = NULL;
	m->part_item = NULL;
	m->part_label = NULL;
	m->img_mapped = 1;
	m->img_base = NULL;
	m->img_len = 0;
	int ok = m->n_parts == (int32_t)hdr.n_parts;
	if (!ok)
		m->n_parts = 0;
	/* every pointer first set to NULL, so a failure frees nothing stale */
	for (size_t a = 0; a < N_ARRAYS; a++)
		*field(m, &arrays[a]) = NULL;
	const unsigned char *dir = im->base + off + sizeof hdr + sizeof(rs_model);
	for (size_t a = 0; ok && a < N_ARRAYS; a++) {
		img_span s;
		memcpy(&s, dir + a * sizeof s, sizeof s);
		if (!s.off)
			continue;
		/* in file order: counts may read earlier arrays (CSR indptr) */
		*field(m, &arrays[a]) = (void *)(im->base + s.off);
		ok = in_image(im, s.off, s.len) && array_bytes(m, &arrays[a]) == s.len;
		if (!ok)
			*field(m, &arrays[a]) = NULL;
	}
	if (ok && m->n_parts > 0) {
		m->parts = rs_calloc((size_t)m->n_parts, sizeof *m->parts);
		m->part_item = rs_calloc((size_t)m->n_parts, sizeof *m->part_item);
		m->part_label = rs_calloc((size_t)m->n_parts, sizeof *m->part_label);
		ok = m->parts && m->part_item && m->part_label;
	}
	const unsigned char *pd = dir + N_ARRAYS * sizeof(img_span);
	for (int32_t p = 0; ok && p < m->n_parts; p++) {
		img_part ip;
		memcpy(&ip, pd + (size_t)p * sizeof ip, sizeof ip);
		ok = in_image(im, ip.items.off, ip.items.len) && ip.items.len == m->items.n * 4 &&
		     in_image(im, ip.label.off, ip.label.len) && ip.label.len > 0 &&
		     im->base[ip.label.off + ip.label.len - 1] == '\0';
		if (!ok)
			break;
		m->part_item[p] = (int32_t *)(im->base + ip.items.off);
		m->part_label[p] = (char *)(im->base + ip.label.off);
		m->parts[p] = map_node(im, ip.node.off, ip.node.len, depth + 1);
		ok = m->parts[p] != NULL;
	}
	if (!ok) {
		free_node(m);
		return NULL;
	}
	return m;
}

void rs_model_image_release(rs_model *m)
{
	void *base = m->img_base;
	size_t len = m->img_len;
	free_node(m);
	if (base)
		munmap(base, len);
}

int rs_model_is_mapped(const rs_model *m) { return m && m->img_mapped; }

static rs_status damaged(rs_error *err, const char *path, const char *why)
{
	return rs_fail(err, RS_ECORRUPT, "serving image \"%s\" is not usable: %s", path, why);
}

/* Header and trailer checks; NULL when fine, else why not. */
static const char *check_frame(const image *im, const unsigned char key[32], uint64_t *root)
{
	img_header h;
	img_trailer t;
	char stamp[STAMP_CAP];
	if (im->len < sizeof h + sizeof t)
		return "too short";
	memcpy(&h, im->base, sizeof h);
	memcpy(&t, im->base + im->len - sizeof t, sizeof t);
	build_stamp(stamp);
	if (memcmp(h.magic, IMG_MAGIC, 8) != 0)
		return "not a serving image";
	if (h.format != RS_IMAGE_FORMAT)
		return "another image format";
	if (memcmp(h.stamp, stamp, STAMP_CAP) != 0)
		return "written by another build of recsys";
	if (memcmp(h.key, key, 32) != 0)
		return "written for another model version";
	if (h.total != im->len || memcmp(t.magic, IMG_END, 8) != 0 || t.total != im->len ||
	    h.root > im->len - sizeof t)
		return "truncated";
	*root = h.root;
	return NULL;
}

rs_status rs_model_image_map(const char *path, const unsigned char key[32], rs_model **out,
                             rs_error *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? rs_fail(err, RS_ENOTFOUND, "no serving image \"%s\"", path)
		                       : rs_fail(err, RS_ELIMIT, "cannot open serving image \"%s\": %s",
		                                 path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		close(fd);
		return damaged(err, path, "empty");
	}
	void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	int map_errno = errno;
	close(fd);
	if (base == MAP_FAILED)
		return rs_fail(err, RS_ENOMEM, "cannot map serving image \"%s\": %s", path,
		               strerror(map_errno));
	image im = {base, (uint64_t)st.st_size};
	uint64_t root = 0;
	const char *why = check_frame(&im, key, &root);
	rs_model *m = NULL;
	if (!why) {
		m = map_node(&im, root, im.len - sizeof(img_trailer) - root, 0);
		if (!m)
			why = "damaged";
	}
	if (why) {
		munmap(base, im.len);
		return damaged(err, path, why);
	}
	/* no MADV_WILLNEED: on a large image walking the page cache would cost
	 * every new backend milliseconds; page faults read around on demand */
	m->img_base = base;
	m->img_len = im.len;
	*out = m;
	return RS_OK;
}
