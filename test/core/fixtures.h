/* fixtures.h - small models and option trees built for the unit tests. */
#ifndef RS_FIXTURES_H
#define RS_FIXTURES_H

#include "recsys.h"

/* An options object from "key=value" strings (numbers when they parse). */
typedef struct opts_buf { rs_opt root; rs_opt kids[16]; } opts_buf;
const rs_opt *make_opts(opts_buf *b, int n, const char *const *kv);

/* Two taste groups: users 0..nu/2 like items 0..ni/2 (each with one held
 * out), the rest like the other half. Ids are "u<n>" and "i<n>". */
rs_status train_blocks(const char *algo, int n, const char *const *kv, int nu, int ni,
                       rs_model **m, rs_error *err);
/* train_blocks for tests that edit the model by hand: never a mapped
 * image, even in run.sh's mapped pass. */
rs_status train_blocks_writable(const char *algo, int n, const char *const *kv, int nu, int ni,
                                rs_model **m, rs_error *err);
/* train_blocks with an options tree (nested objects: hybrid components). */
rs_status train_blocks_opts(const char *algo, const rs_opt *opts, int nu, int ni, rs_model **m,
                            rs_error *err);

/* Items table cells for items "i0".."i<n-1>": price i + offset, category
 * "c<i % 4>". */
void add_shop_items(rs_builder *b, int n, double offset);

/* Train `algo` on a nu x ni pattern with a cancel callback that fires after
 * `after_calls` polls; true when training stopped with RS_ECANCELLED, no
 * model and no summary. */
int train_cancelled(const char *algo, int after_calls, int nu, int ni);

/* Replace *m by a read-only mapping of its serving image (test_image.c);
 * 0 when that failed (*m untouched). */
int image_remap(rs_model **m);

#endif
