/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dcdctl: the configuration file (conf.c), /etc/dcdmirror.conf as
 * mdadm.conf, and the verbs that act on it or scan the disks (scan.c):
 * examine --scan, assemble --scan, stop --scan and incremental.
 */
#ifndef DCDCTL_CONF_H
#define DCDCTL_CONF_H

#include <stdbool.h>
#include <stdint.h>

#define CONF_DEFAULT_PATH	"/etc/dcdmirror.conf"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

enum conf_kind {
	CONF_ARRAY,	/* a mirror: ARRAY /dev/dcdmirrorN ... */
	CONF_DCD,	/* a DCD device: DCD /dev/dcdN ... */
};

/* The values of a line, by what they are rather than by their key. */
enum conf_field {
	CONF_UUID,
	CONF_PATH0,		/* local= (ARRAY), cache= (DCD) */
	CONF_PATH1,		/* remote= (ARRAY), data= (DCD) */
	CONF_MODE,		/* the rest: ARRAY only */
	CONF_MAX_LAG,
	CONF_ASYNC_FLUSH,
	CONF_REMOTE_TIMEOUT,
	CONF_RESYNC_RATE,
	CONF_FIELDS
};

struct conf_dev {
	enum conf_kind kind;
	unsigned int line;		/* in the file, from 1 */
	unsigned int index;		/* N of its name */
	char name[32];			/* /dev/dcdmirrorN, /dev/dcdN */
	uint8_t uuid[16];
	char *value[CONF_FIELDS];	/* as written, checked; NULL: not given */
};

struct conf {
	const char *path;
	struct conf_dev *devs;
	unsigned int nr;
};

/*
 * Read and check the whole file. 0, or 1 after one error line naming
 * FILE:LINE (or FILE, when it cannot be read). With missing_ok, a file
 * that does not exist is an empty configuration.
 */
int conf_load(const char *path, bool missing_ok, struct conf *conf);
void conf_free(struct conf *conf);

/* The device of that kind whose uuid it is, or NULL. */
struct conf_dev *conf_find_uuid(struct conf *conf, enum conf_kind kind, const uint8_t *uuid);

/* A uuid as dcdctl prints it (8-4-4-4-12 hex digits): 0, or -1. */
int conf_parse_uuid(const char *s, uint8_t *uuid);

/* The verbs of scan.c: is this command line one of them? */
bool scan_verb(const char *verb, int argc, char **argv);
/* argv: what follows the verb */
int scan_main(const char *verb, int argc, char **argv);

extern const char scan_usage[];

#endif /* DCDCTL_CONF_H */
