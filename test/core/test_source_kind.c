/* test_source_kind.c - rs_source_is_query (query or relation name, one
 * decision for both bindings) and rs_shorten (names cut short in messages). */
#include "harness.h"
#include "recsys.h"

#include <string.h>

void test_source_is_query(void)
{
	/* queries: the four keywords, any case, as whole words */
	CHECK(rs_source_is_query("SELECT * FROM e"));
	CHECK(rs_source_is_query("select user_id, item_id from e"));
	CHECK(rs_source_is_query("WITH x AS (SELECT 1) SELECT * FROM x"));
	CHECK(rs_source_is_query("values ('u1', 'i1')"));
	CHECK(rs_source_is_query("TABLE events"));
	CHECK(rs_source_is_query("SeLeCt*FROM e"));
	CHECK(rs_source_is_query("select"));
	/* after white space, comments and opening parentheses */
	CHECK(rs_source_is_query("  \t\n\r SELECT 1"));
	CHECK(rs_source_is_query("(SELECT * FROM e)"));
	CHECK(rs_source_is_query("( ( (select 1)))"));
	CHECK(rs_source_is_query("-- the shop's events\nSELECT * FROM e"));
	CHECK(rs_source_is_query("/* events */ SELECT * FROM e"));
	CHECK(rs_source_is_query("/* a */ ( -- b\n /**/ with x AS (SELECT 1) SELECT * FROM x)"));
	CHECK(rs_source_is_query("SELECT(1)"));
	CHECK(rs_source_is_query("SELECT\n1"));
	/* relation names */
	CHECK(!rs_source_is_query("events"));
	CHECK(!rs_source_is_query("main.events"));
	CHECK(!rs_source_is_query("\"select\""));
	CHECK(!rs_source_is_query("selected_events"));
	CHECK(!rs_source_is_query("select_x"));
	CHECK(!rs_source_is_query("with$1"));
	CHECK(!rs_source_is_query("tables"));
	CHECK(!rs_source_is_query("valuesx"));
	CHECK(!rs_source_is_query("select\xc3\xa9"));
	CHECK(!rs_source_is_query("small\" WHERE 0; SELECT writefile('x', 'y') --"));
	CHECK(!rs_source_is_query("events; SELECT 1"));
	CHECK(!rs_source_is_query("(events)"));
	CHECK(!rs_source_is_query("-- SELECT\nevents"));
	CHECK(!rs_source_is_query("-- only a comment SELECT"));
	CHECK(!rs_source_is_query("/* unterminated SELECT 1"));
	CHECK(!rs_source_is_query("/* SELECT */ events"));
	CHECK(!rs_source_is_query("- SELECT 1"));
	CHECK(!rs_source_is_query("/ SELECT 1"));
	CHECK(!rs_source_is_query(""));
	CHECK(!rs_source_is_query("   "));
	CHECK(!rs_source_is_query("((("));
	CHECK(!rs_source_is_query(NULL));
}

void test_shorten(void)
{
	char buf[RS_SHORT_CAP];
	char long_ascii[200];
	memset(long_ascii, 'a', sizeof long_ascii - 1);
	long_ascii[sizeof long_ascii - 1] = '\0';
	/* short texts are copied whole, up to exactly RS_SHORT_BYTES */
	CHECK(strcmp(rs_shorten("shop", (size_t)-1, buf, sizeof buf), "shop") == 0);
	CHECK(strcmp(rs_shorten("", (size_t)-1, buf, sizeof buf), "") == 0);
	CHECK(strcmp(rs_shorten(NULL, 3, buf, sizeof buf), "") == 0);
	CHECK(strcmp(rs_shorten("shopping", 4, buf, sizeof buf), "shop") == 0);
	CHECK(strcmp(rs_shorten("ab\0cd", 5, buf, sizeof buf), "ab") == 0);
	rs_shorten(long_ascii, RS_SHORT_BYTES, buf, sizeof buf);
	CHECK(strlen(buf) == RS_SHORT_BYTES && buf[RS_SHORT_BYTES - 1] == 'a');
	/* longer ones: the first RS_SHORT_BYTES bytes and "..." */
	rs_shorten(long_ascii, RS_SHORT_BYTES + 1, buf, sizeof buf);
	CHECK(strlen(buf) == RS_SHORT_BYTES + 3 && strcmp(buf + RS_SHORT_BYTES, "...") == 0);
	const char *r = rs_shorten(long_ascii, (size_t)-1, buf, sizeof buf);
	CHECK(r == buf && strlen(buf) == RS_SHORT_BYTES + 3 &&
	      strncmp(buf, long_ascii, RS_SHORT_BYTES) == 0 && strcmp(buf + RS_SHORT_BYTES, "...") == 0);
	/* never inside a UTF-8 sequence: 63 ASCII bytes then a 2-byte e-acute
	 * straddling byte 64 -> the 63 bytes and "..." */
	char utf[200];
	memset(utf, 'x', 63);
	for (int i = 0; i < 20; i++)
		memcpy(utf + 63 + 2 * i, "\xc3\xa9", 2);
	utf[103] = '\0';
	rs_shorten(utf, (size_t)-1, buf, sizeof buf);
	CHECK(strlen(buf) == 63 + 3 && strcmp(buf + 63, "...") == 0);
	/* a 4-byte character (U+1F600) at bytes 62..65 -> 62 bytes */
	memset(utf, 'y', 62);
	memcpy(utf + 62, "\xf0\x9f\x98\x80", 4);
	memcpy(utf + 66, "tail", 5);
	rs_shorten(utf, (size_t)-1, buf, sizeof buf);
	CHECK(strlen(buf) == 62 + 3 && strcmp(buf + 62, "...") == 0);
	/* a character that ends exactly at byte 64 stays whole */
	memset(utf, 'z', 62);
	memcpy(utf + 62, "\xc3\xa9", 2);
	memcpy(utf + 64, "more", 5);
	rs_shorten(utf, (size_t)-1, buf, sizeof buf);
	CHECK(strlen(buf) == 64 + 3 && memcmp(buf + 62, "\xc3\xa9...", 5) == 0);
	/* not UTF-8 (continuation bytes only): cut at RS_SHORT_BYTES anyway */
	memset(utf, 0x80, 100);
	utf[100] = '\0';
	rs_shorten(utf, (size_t)-1, buf, sizeof buf);
	CHECK(strlen(buf) == RS_SHORT_BYTES + 3);
	/* a smaller buffer cuts shorter; no room for "..." gives "" */
	char small[10];
	rs_shorten(long_ascii, (size_t)-1, small, sizeof small);
	CHECK(strcmp(small, "aaaaaa...") == 0);
	rs_shorten("abc", (size_t)-1, small, 4);
	CHECK(strcmp(small, "abc") == 0);
	rs_shorten("abcd", (size_t)-1, small, 4);
	CHECK(strcmp(small, "...") == 0);
	rs_shorten("abcd", (size_t)-1, small, 3);
	CHECK(strcmp(small, "") == 0);
}
