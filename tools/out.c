// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: text or JSON output of detail and examine (see out.h). The JSON is
 * indented by two spaces per level, one member a line, and always valid:
 * strings are escaped and bytes that are not UTF-8 become U+FFFD.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dcdctl.h"
#include "out.h"

void out_init(struct out *o, FILE *f, bool json)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
}

/* Bytes of the well-formed UTF-8 sequence at p, or 0 when it is not one. */
static unsigned int utf8_len(const unsigned char *p)
{
	unsigned int n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also a NUL: never read past it */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int n;

	fputc('"', f);
	while (*p) {
		n = utf8_len(p);
		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
		p++;
	}
	fputc('"', f);
}

/* The separator, the indentation and the key of the next member. */
static void member(struct out *o, const char *key)
{
	if (o->depth) {
		if (!o->empty[o->depth])
			fputc(',', o->f);
		o->empty[o->depth] = false;
		fprintf(o->f, "\n%*s", (int)(2 * o->depth), "");
	}
	if (key) {
		put_string(o->f, key);
		fputs(": ", o->f);
	}
}

static void open_nested(struct out *o, const char *key, char open, char close)
{
	if (!o->json)
		return;
	/* the nesting is fixed by the code, never by the data */
	if (o->depth + 1 >= OUT_MAX_DEPTH)
		abort();
	member(o, key);
	fputc(open, o->f);
	o->depth++;
	o->empty[o->depth] = true;
	o->close[o->depth] = close;
}

void out_object(struct out *o, const char *key)
{
	open_nested(o, key, '{', '}');
}

void out_array(struct out *o, const char *key)
{
	open_nested(o, key, '[', ']');
}

void out_close(struct out *o)
{
	if (!o->json || !o->depth)
		return;
	o->depth--;
	if (!o->empty[o->depth + 1])
		fprintf(o->f, "\n%*s", (int)(2 * o->depth), "");
	fputc(o->close[o->depth + 1], o->f);
}

void out_begin(struct out *o, const char *kind, const char *type, const char *device)
{
	out_text(o, "%s:\n", device);
	out_object(o, NULL);
	out_u64(o, "version", OUT_JSON_VERSION);
	out_str(o, "kind", kind);
	out_str(o, "type", type);
	out_str(o, "device", device);
}

int out_end(struct out *o)
{
	if (o->json) {
		while (o->depth)
			out_close(o);
		fputc('\n', o->f);
	}
	if (fflush(o->f) || ferror(o->f))
		return dcdctl_err("write error: %s", strerror(errno ? errno : EIO));
	return 0;
}

void out_text(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

void out_str(struct out *o, const char *key, const char *s)
{
	if (!o->json)
		return;
	if (!s) {
		out_null(o, key);
		return;
	}
	member(o, key);
	put_string(o->f, s);
}

void out_u64(struct out *o, const char *key, uint64_t v)
{
	if (!o->json)
		return;
	member(o, key);
	fprintf(o->f, "%" PRIu64, v);
}

void out_hex(struct out *o, const char *key, uint64_t v)
{
	char buf[20];

	snprintf(buf, sizeof(buf), "%016" PRIx64, v);
	out_str(o, key, buf);
}

void out_fixed(struct out *o, const char *key, double v, int decimals)
{
	if (!o->json)
		return;
	if (!isfinite(v)) {	/* no JSON number */
		out_null(o, key);
		return;
	}
	member(o, key);
	fprintf(o->f, "%.*f", decimals, v);
}

void out_bool(struct out *o, const char *key, bool v)
{
	if (!o->json)
		return;
	member(o, key);
	fputs(v ? "true" : "false", o->f);
}

void out_null(struct out *o, const char *key)
{
	if (!o->json)
		return;
	member(o, key);
	fputs("null", o->f);
}
