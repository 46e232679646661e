/*
 * source_kind.c - is a training source text a query or a relation name?
 *
 * One decision for both bindings (PostgreSQL and SQLite), so that the same
 * source text is read the same way in both. A source is a query when its
 * first token, after white space, SQL comments (-- to the end of the line,
 * slash-star to star-slash, not nested) and any number of opening
 * parentheses, is one of the keywords that begin a query in SQL: SELECT,
 * WITH, VALUES or TABLE (case-insensitive), followed by a byte that cannot
 * continue an identifier (or by the end of the text). Everything else is a
 * relation name: a table or view, possibly qualified with its schema.
 *
 * A form the database does not know (SQLite has no TABLE t, nor a
 * parenthesised operand of UNION) is still classified as a query and the
 * database reports its own syntax error: a text that begins with these
 * keywords is never a usable relation name anyway (such a name must be
 * written in double quotes, and then its first byte is '"').
 *
 * Pure text inspection: no database, no allocation.
 */
#include "recsys.h"

#include <stddef.h>
#include <string.h>

/* The keywords that begin a query. */
static const char *const QUERY_KEYWORDS[] = {"select", "with", "values", "table"};

/* White space as SQL sees it. */
static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Bytes that may continue a keyword or an unquoted identifier (PostgreSQL
 * allows '$' inside identifiers, both allow any non-ASCII byte). */
static int is_ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

/* Skip white space, comments and opening parentheses; NULL when a block
 * comment never ends. */
static const char *skip_prefix(const char *s)
{
	for (;;) {
		if (is_space((unsigned char)*s) || *s == '(') {
			s++;
		} else if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");
			if (!end)
				return NULL;
			s = end + 2;
		} else {
			return s;
		}
	}
}

/* Does s begin with keyword (lower case), case-insensitively, as a whole word? */
static int starts_with_keyword(const char *s, const char *keyword)
{
	size_t i = 0;
	for (; keyword[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)keyword[i])
			return 0;
	}
	return !is_ident_byte((unsigned char)s[i]);
}

int rs_source_is_query(const char *source)
{
	if (!source)
		return 0;
	const char *s = skip_prefix(source);
	if (!s)
		return 0;
	for (size_t k = 0; k < sizeof QUERY_KEYWORDS / sizeof QUERY_KEYWORDS[0]; k++)
		if (starts_with_keyword(s, QUERY_KEYWORDS[k]))
			return 1;
	return 0;
}
