/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dcdctl: the output of detail and examine, as text lines for people or as
 * one JSON object for programs (--json).
 *
 * A verb prints each text line with out_text() and, next to it, the JSON
 * fields that carry the same values with out_u64(), out_str(), ...: from
 * the same variables, in the same place. In text mode the fields print
 * nothing, in JSON mode the text lines print nothing. The field names are
 * an interface (docs/json.md): rename none, add new ones freely.
 */
#ifndef DCDCTL_OUT_H
#define DCDCTL_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* "version" of the JSON object: raised only when a field changes meaning */
#define OUT_JSON_VERSION	1
#define OUT_MAX_DEPTH		8

struct out {
	FILE *f;
	bool json;
	unsigned int depth;		/* objects and arrays open */
	bool empty[OUT_MAX_DEPTH];	/* nothing in the one at this depth yet */
	char close[OUT_MAX_DEPTH];	/* '}' or ']' */
};

void out_init(struct out *o, FILE *f, bool json);

/*
 * The start of a report on device: its "DEVICE:" line, or the JSON
 * object's "version", "kind" (dcdmirror, dcd), "type" (what it is: array,
 * leg, device, cache_disk, data_disk) and "device".
 */
void out_begin(struct out *o, const char *kind, const char *type, const char *device);
/* Closes what is open; 0, or 1 when the output could not be written (said). */
int out_end(struct out *o);

/* A text line (fmt with its "\n"); nothing in JSON. */
void out_text(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * JSON fields; nothing in text. key is NULL for an element of an array.
 * out_str() prints null for a NULL s; out_hex() a 64-bit id as 16 hex
 * digits in a string (JSON numbers lose precision beyond 2^53).
 */
void out_str(struct out *o, const char *key, const char *s);
void out_u64(struct out *o, const char *key, uint64_t v);
void out_hex(struct out *o, const char *key, uint64_t v);
void out_fixed(struct out *o, const char *key, double v, int decimals);
void out_bool(struct out *o, const char *key, bool v);
void out_null(struct out *o, const char *key);
void out_object(struct out *o, const char *key);
void out_array(struct out *o, const char *key);
/* Closes the innermost object or array. */
void out_close(struct out *o);

#endif /* DCDCTL_OUT_H */
