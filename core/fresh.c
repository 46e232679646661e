/*
 * fresh.c - the decisions of recommend()'s fresh path, made once for both
 * bindings: whether a call reads the user's current rows from the model's
 * source, and which answer it gives once they are read.
 *
 * A call reads the rows when the options say "fresh" (anything but false)
 * or, without "fresh", when the model does not know the user. The binding
 * then reads the rows into an rs_history (NULL when the model records no
 * source) and asks rs_recommend_fresh for the answer:
 *
 *   no source to read                        rs_recommend (as without fresh)
 *   unknown user, no kept row                rs_recommend: cold start,
 *                                            "popularity (unknown user)"
 *   known user, no kept row (all gone)       popular items,
 *                                            "popularity (no interactions)"
 *   any user with kept rows                  the rows folded in
 *
 * Both bindings used to repeat these rules; the table above is now the
 * only copy.
 */
#include "internal.h"

int rs_fresh_wanted(const rs_model *m, const char *user, size_t user_len, const rs_opt *options)
{
	const rs_opt *f = rs_opt_get(options, "fresh");
	if (f)
		return !(f->kind == RS_OPT_BOOL && !f->boolean);
	return rs_model_find_user(m, user, user_len) < 0;
}

rs_status rs_recommend_fresh(const rs_model *m, const char *user, size_t user_len,
                             const rs_history *h, int k, const rs_opt *options, rs_reco *out,
                             int *n_out, rs_error *err)
{
	int known = rs_model_find_user(m, user, user_len) >= 0;
	if (!h || (!known && rs_history_kept(h) == 0))
		return rs_recommend(m, user, user_len, k, options, out, n_out, err);
	/* a known user without kept rows: RS_SRC_FRESH_EMPTY, popular items; a
	 * known user's rows folded in with what the model knows of them
	 * (two_tower: their features) */
	return rs_recommend_for_user_history(m, rs_model_find_user(m, user, user_len), h, 1, k,
	                                     options, out, n_out, err);
}
