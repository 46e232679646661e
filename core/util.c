/*
 * util.c - status texts, error filling, names cut short for messages,
 * checked allocation, a growable text buffer for the JSON the core writes,
 * and clocks.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Short text of a status code. */
const char *rs_status_str(rs_status s)
{
	switch (s) {
	case RS_OK: return "ok";
	case RS_EINVAL: return "invalid argument";
	case RS_ENOMEM: return "out of memory";
	case RS_ELIMIT: return "limit exceeded";
	case RS_ENOTPD: return "matrix not positive definite";
	case RS_ECANCELLED: return "cancelled";
	case RS_ECORRUPT: return "corrupt model";
	case RS_EDATA: return "bad training data";
	case RS_ENOTFOUND: return "not found";
	}
	return "unknown status";
}

/* Record a status and a formatted message in err (which may be NULL). */
rs_status rs_fail(rs_error *err, rs_status s, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->status = s;
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return s;
}

/* The text of a name or id for an error message (see recsys.h). */
const char *rs_shorten(const char *text, size_t len, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return "";
	buf[0] = '\0';
	if (!text || cap < 4) /* no room for even "..." */
		return buf;
	/* the whole text when it has at most `whole` bytes */
	size_t whole = cap - 1 < RS_SHORT_BYTES ? cap - 1 : RS_SHORT_BYTES;
	size_t n = 0;
	while (n < len && text[n] != '\0' && n <= whole)
		n++;
	if (n <= whole) {
		memcpy(buf, text, n);
		buf[n] = '\0';
		return buf;
	}
	/* else at most `limit` bytes and "...": cut before the byte at `limit`,
	 * backing off over UTF-8 continuation bytes (10xxxxxx) so that no
	 * character is split; more than 3 of them in a row is not UTF-8: cut
	 * at `limit` anyway */
	size_t limit = cap - 4 < RS_SHORT_BYTES ? cap - 4 : RS_SHORT_BYTES;
	n = limit;
	for (int back = 0; back < 3 && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80; back++)
		n--;
	if (((unsigned char)text[n] & 0xC0) == 0x80)
		n = limit;
	memcpy(buf, text, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

/* count * size, saturating at SIZE_MAX so allocation fails on overflow. */
size_t rs_mul(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return SIZE_MAX;
	return count * size;
}

void *rs_malloc(size_t n) { return n == SIZE_MAX ? NULL : malloc(n ? n : 1); }
void *rs_calloc(size_t count, size_t size)
{
	return calloc(count ? count : 1, size ? size : 1);
}
void *rs_realloc(void *p, size_t n) { return n == SIZE_MAX ? NULL : realloc(p, n ? n : 1); }
void rs_free(void *p) { free(p); }

/* Member `key` of an object option, or NULL. */
const rs_opt *rs_opt_get(const rs_opt *obj, const char *key)
{
	if (!obj || obj->kind != RS_OPT_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n_children; i++)
		if (obj->children[i].key && strcmp(obj->children[i].key, key) == 0)
			return &obj->children[i];
	return NULL;
}

/* Grow t so that `extra` more bytes (plus NUL) fit. */
static int text_reserve(rs_text *t, size_t extra)
{
	if (t->oom)
		return 0;
	if (t->len + extra + 1 <= t->cap)
		return 1;
	size_t cap = t->cap ? t->cap : 256;
	while (cap < t->len + extra + 1)
		cap *= 2;
	char *nb = realloc(t->buf, cap);
	if (!nb) {
		t->oom = 1;
		return 0;
	}
	t->buf = nb;
	t->cap = cap;
	return 1;
}

/* Append formatted text. */
void rs_text_printf(rs_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !text_reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

/* Append s as a JSON string literal with escapes. */
void rs_text_json_string(rs_text *t, const char *s, size_t len)
{
	rs_text_printf(t, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			rs_text_printf(t, "\\%c", c);
		else if (c < 0x20)
			rs_text_printf(t, "\\u%04x", c);
		else
			rs_text_printf(t, "%c", c);
	}
	rs_text_printf(t, "\"");
}

double rs_now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double rs_mono_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}
