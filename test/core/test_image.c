/* test_image.c - serving images: a mapped model serves exactly what the
 * loaded blob serves, for every family; a damaged, truncated or foreign
 * image is refused, never a crash. */
#include "fixtures.h"
#include "harness.h"
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char KEY[32] = "test key of one stored version";

/* Write m's image to a fresh temporary file; its path in path (64 bytes). */
static int write_image(const rs_model *m, char *path)
{
	rs_error e;
	strcpy(path, "/tmp/rs_image_test_XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	rs_status st = rs_model_image_write(m, fd, KEY, &e);
	close(fd);
	if (st != RS_OK)
		fprintf(stderr, "  image write: %s\n", e.msg);
	return st == RS_OK;
}

/* Map m's image (test helper for fixtures too): m replaced by the mapping. */
int image_remap(rs_model **m)
{
	char path[64];
	rs_model *mm = NULL;
	rs_error e;
	int ok = write_image(*m, path) && rs_model_image_map(path, KEY, &mm, &e) == RS_OK;
	unlink(path);
	if (ok) {
		rs_model_destroy(m);
		*m = mm;
	}
	return ok;
}

/* Same results from a and b for every user, item pair and session. */
static void same_serving(const rs_model *a, const rs_model *b, int nu, int ni)
{
	rs_error e1, e2;
	for (int u = 0; u < nu + 1; u++) { /* + 1: an unknown user */
		char us[16];
		int ul = snprintf(us, sizeof us, "u%d", u), n1 = -1, n2 = -2;
		rs_reco r1[6], r2[6];
		CHECK(rs_recommend(a, us, (size_t)ul, 6, NULL, r1, &n1, &e1) ==
		      rs_recommend(b, us, (size_t)ul, 6, NULL, r2, &n2, &e2));
		CHECK(n1 == n2 && n1 >= 0 && memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0);
		for (int r = 0; r < n1 && r < 2 && u < nu; r++) {
			size_t il;
			const char *it = rs_model_item_id(a, r1[r].item, &il);
			rs_contribution *c1 = NULL, *c2 = NULL;
			int k1 = -1, k2 = -2;
			CHECK(rs_explain(a, us, (size_t)ul, it, il, &c1, &k1, &e1) ==
			      rs_explain(b, us, (size_t)ul, it, il, &c2, &k2, &e2));
			CHECK(k1 == k2 && (k1 <= 0 || memcmp(c1, c2, sizeof *c1 * (size_t)k1) == 0));
			rs_free(c1);
			rs_free(c2);
		}
	}
	for (int i = 0; i < ni; i++) {
		char is[16], js[16];
		int il = snprintf(is, sizeof is, "i%d", i), jl = snprintf(js, sizeof js, "i%d", (i + 3) % ni);
		int n1 = -1, n2 = -2;
		rs_reco r1[5], r2[5];
		CHECK(rs_similar_items(a, is, (size_t)il, 5, NULL, r1, &n1, &e1) ==
		      rs_similar_items(b, is, (size_t)il, 5, NULL, r2, &n2, &e2));
		CHECK(n1 == n2 && (n1 <= 0 || memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0));
		const char *items[2] = {is, js};
		size_t lens[2] = {(size_t)il, (size_t)jl};
		CHECK(rs_recommend_for_items(a, items, lens, 2, 5, NULL, r1, &n1, &e1) ==
		      rs_recommend_for_items(b, items, lens, 2, 5, NULL, r2, &n2, &e2));
		CHECK(n1 == n2 && n1 > 0 && memcmp(r1, r2, sizeof(rs_reco) * (size_t)n1) == 0);
	}
	CHECK(rs_model_find_user(a, "u1", 2) == rs_model_find_user(b, "u1", 2));
	CHECK(rs_model_find_item(a, "i2", 2) == rs_model_find_item(b, "i2", 2));
	CHECK(rs_model_find_item(b, "nope", 4) == -1);
}

/* Train, save, load the blob (as a server does), write its image, map it,
 * compare. */
static void check_family(const char *algo, const rs_opt *opts)
{
	const int nu = 24, ni = 16;
	rs_model *m = NULL, *loaded = NULL, *mapped = NULL;
	rs_error e;
	unsigned char *blob = NULL;
	size_t len = 0;
	char path[64];
	CHECK(train_blocks_opts(algo, opts, nu, ni, &m, &e) == RS_OK);
	CHECK(m && rs_model_save(m, &blob, &len, &e) == RS_OK);
	CHECK(blob && rs_model_load(blob, len, &loaded, &e) == RS_OK);
	if (loaded && write_image(loaded, path)) {
		CHECK(rs_model_image_map(path, KEY, &mapped, &e) == RS_OK);
		unlink(path);
	}
	if (mapped) {
		CHECK(rs_model_is_mapped(mapped) && !rs_model_is_mapped(loaded));
		CHECK(strcmp(rs_model_algorithm(mapped), rs_model_algorithm(loaded)) == 0);
		CHECK(mapped->n_parts == loaded->n_parts);
		CHECK((mapped->hist_w != NULL) == (loaded->hist_w != NULL));
		CHECK(((uintptr_t)mapped->items.offs % RS_IMAGE_ALIGN) == 0);
		same_serving(loaded, mapped, nu, ni);
	} else {
		fprintf(stderr, "  %s: no mapped model\n", algo);
		CHECK(0);
	}
	rs_free(blob);
	rs_model_destroy(&m);
	rs_model_destroy(&loaded);
	rs_model_destroy(&mapped);
}

void test_image_families(void)
{
	static const char *const algos[] = {"als", "popularity", "itemknn", "svd", "ease", "bpr", "warp"};
	opts_buf ob;
	const char *kv[] = {"threads=1", "factors=4"};
	for (size_t a = 0; a < sizeof algos / sizeof algos[0]; a++) {
		int with_factors = !strcmp(algos[a], "als") || !strcmp(algos[a], "bpr") ||
		                   !strcmp(algos[a], "warp") || !strcmp(algos[a], "svd");
		check_family(algos[a], make_opts(&ob, with_factors ? 2 : 1, kv));
	}
	const char *rec[] = {"threads=1", "recency=3"}; /* hist_w */
	check_family("itemknn", make_opts(&ob, 2, rec));
	rs_opt als_opts[1] = {{.kind = RS_OPT_NUMBER, .key = "factors", .number = 3}};
	rs_opt parts[3] = {{.kind = RS_OPT_OBJECT, .key = "als", .n_children = 1, .children = als_opts},
	                   {.kind = RS_OPT_NUMBER, .key = "itemknn", .number = 1},
	                   {.kind = RS_OPT_NUMBER, .key = "popularity", .number = 0.5}};
	rs_opt top[2] = {{.kind = RS_OPT_OBJECT, .key = "components", .n_children = 3, .children = parts},
	                 {.kind = RS_OPT_NUMBER, .key = "threads", .number = 1}};
	rs_opt root = {.kind = RS_OPT_OBJECT, .n_children = 2, .children = top};
	check_family("hybrid", &root);
}

/* Every truncation, a flipped byte anywhere in the header and node tables,
 * and another key are refused (or, for a flip in unused bytes, harmless). */
void test_image_damaged(void)
{
	rs_model *m = NULL, *mm = NULL;
	rs_error e;
	char path[64];
	const char *kv[] = {"threads=1", "factors=2"};
	CHECK(train_blocks("als", 2, kv, 6, 6, &m, &e) == RS_OK);
	if (!m || !write_image(m, path)) {
		CHECK(0);
		rs_model_destroy(&m);
		return;
	}
	FILE *f = fopen(path, "rb");
	unsigned char *img = NULL;
	long len = 0;
	if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		img = malloc((size_t)len);
		if (img && fread(img, 1, (size_t)len, f) != (size_t)len)
			len = 0;
	}
	if (f)
		fclose(f);
	CHECK(img && len > 0);
	unsigned char other[32] = "another version";
	CHECK(rs_model_image_map(path, other, &mm, &e) == RS_ECORRUPT && !mm &&
	      strstr(e.msg, "another model version"));
	CHECK(rs_model_image_map("/nonexistent/rs_image", KEY, &mm, &e) == RS_ENOTFOUND && !mm);
	int refused = 0, tries = 0;
	for (long cut = 0; img && cut < len; cut += cut < 512 ? 1 : 61) {
		FILE *w = fopen(path, "wb");
		if (!w)
			break;
		fwrite(img, 1, (size_t)cut, w);
		fclose(w);
		tries++;
		refused += rs_model_image_map(path, KEY, &mm, &e) == RS_ECORRUPT && !mm;
		rs_model_destroy(&mm);
	}
	CHECK(tries > 0 && refused == tries);
	/* header bytes (magic, format, stamp, key, length, root; not the
	 * padding at 12..15) are refused; flips in the node's struct and
	 * tables are refused or harmless (ASan watches) */
	long meta = len < 2048 ? len : 2048;
	int header_refused = 0, header_bytes = 0;
	for (long p = 0; img && p < meta; p++) {
		img[p] ^= 0x40;
		FILE *w = fopen(path, "wb");
		if (w) {
			fwrite(img, 1, (size_t)len, w);
			fclose(w);
			rs_status st = rs_model_image_map(path, KEY, &mm, &e);
			if (p < 160 && (p < 12 || p >= 16)) {
				header_bytes++;
				header_refused += st == RS_ECORRUPT && !mm;
			}
			rs_model_destroy(&mm);
		}
		img[p] ^= 0x40;
	}
	CHECK(header_bytes == 156 && header_refused == header_bytes);
	unlink(path);
	free(img);
	rs_model_destroy(&m);
}
