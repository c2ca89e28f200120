// SPDX-License-Identifier: GPL-2.0
/*
 * dcdctl: the configuration file, /etc/dcdmirror.conf, in mdadm.conf's
 * manner: one device a line, "#" begins a comment, blank lines are left out.
 *
 *   ARRAY /dev/dcdmirrorN uuid=UUID local=PATH remote=PATH [mode=sync|async]
 *         [max-lag=SIZE,MSms] [async-flush=both|local] [remote-timeout=MS|off]
 *         [resync-rate=KIB]
 *   DCD /dev/dcdN uuid=UUID cache=PATH data=PATH
 *
 * Every value is checked by the same code as the option of that name, and
 * the whole file before anything acts on it: a bad line is one error
 * naming FILE:LINE, and then nothing is started or stopped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dcdctl.h"

/* "FILE:LINE", where a value parser says what is wrong */
#define WHERE_LEN 4200
#define MAX_WORDS 64

struct conf_key {
	const char *name;
	enum conf_field field;
	/* 0, or 1 when the value is bad (said after "WHERE: ") */
	int (*check)(const char *where, const char *value);
};

static int check_mode(const char *where, const char *s)
{
	uint32_t mode;

	return parse_mode(where, s, &mode);
}

static int check_max_lag(const char *where, const char *s)
{
	uint32_t kib = 0, ms = 0;

	return parse_max_lag(where, s, &kib, &ms);
}

static int check_async_flush(const char *where, const char *s)
{
	uint32_t flags;

	return parse_async_flush(where, s, &flags);
}

static int check_remote_timeout(const char *where, const char *s)
{
	uint32_t ms;

	return parse_remote_timeout(where, s, &ms);
}

static int check_resync_rate(const char *where, const char *s)
{
	uint64_t kib;

	return parse_rate(where, s, &kib);
}

static const struct conf_key array_keys[] = {
	{ "uuid", CONF_UUID, NULL },
	{ "local", CONF_PATH0, NULL },
	{ "remote", CONF_PATH1, NULL },
	{ "mode", CONF_MODE, check_mode },
	{ "max-lag", CONF_MAX_LAG, check_max_lag },
	{ "async-flush", CONF_ASYNC_FLUSH, check_async_flush },
	{ "remote-timeout", CONF_REMOTE_TIMEOUT, check_remote_timeout },
	{ "resync-rate", CONF_RESYNC_RATE, check_resync_rate },
	{ NULL, 0, NULL }
};

/* dcdctl assemble of a DCD device takes no settings but --force, which is no default */
static const struct conf_key dcd_keys[] = {
	{ "uuid", CONF_UUID, NULL },
	{ "cache", CONF_PATH0, NULL },
	{ "data", CONF_PATH1, NULL },
	{ NULL, 0, NULL }
};

int conf_parse_uuid(const char *s, uint8_t *uuid)
{
	unsigned int i, n = 0, digit;
	unsigned char c;

	if (strlen(s) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		c = (unsigned char)s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -1;
			continue;
		}
		if (!isxdigit(c))
			return -1;
		digit = (unsigned int)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		if (n % 2)
			uuid[n / 2] |= (uint8_t)digit;
		else
			uuid[n / 2] = (uint8_t)(digit << 4);
		n++;
	}
	return 0;
}

/* "uuid, local, remote, ..." for the error of an unknown key */
static void key_list(const struct conf_key *keys, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; keys->name && n < len; keys++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", keys->name);
}

void conf_free(struct conf *conf)
{
	unsigned int i, f;

	for (i = 0; i < conf->nr; i++)
		for (f = 0; f < CONF_FIELDS; f++)
			free(conf->devs[i].value[f]);
	free(conf->devs);
	conf->devs = NULL;
	conf->nr = 0;
}

struct conf_dev *conf_find_uuid(struct conf *conf, enum conf_kind kind, const uint8_t *uuid)
{
	unsigned int i;

	for (i = 0; i < conf->nr; i++)
		if (conf->devs[i].kind == kind && !memcmp(conf->devs[i].uuid, uuid, 16))
			return &conf->devs[i];
	return NULL;
}

/* The words of a line, up to a word that starts with "#". */
static int split_words(char *line, char **words, int max)
{
	char *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(line, " \t\r\n", &save); w && *w != '#';
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		words[n++] = w;
	}
	return n;
}

/* One line, words[0] its keyword, into dev: 0, or 1 (said). */
static int parse_line(const char *where, char **words, int nwords, struct conf_dev *dev)
{
	const struct conf_key *keys, *k;
	const char *prefix, *what, *path0, *path1;
	char list[200];
	int i;

	if (!strcasecmp(words[0], "ARRAY")) {
		dev->kind = CONF_ARRAY;
		keys = array_keys;
		prefix = "dcdmirror";
		what = "a mirror device name (/dev/dcdmirrorN, N from 0 to 255)";
		path0 = "local";
		path1 = "remote";
	} else if (!strcasecmp(words[0], "DCD")) {
		dev->kind = CONF_DCD;
		keys = dcd_keys;
		prefix = "dcd";
		what = "a DCD device name (/dev/dcdN, N from 0 to 255)";
		path0 = "cache";
		path1 = "data";
	} else {
		return dcdctl_err("%s: unknown keyword '%s' (expected ARRAY or DCD)", where,
				  words[0]);
	}
	if (nwords < 2 || strchr(words[1], '='))
		return dcdctl_err("%s: %s needs %s before its settings", where, words[0], what);
	if (strncmp(words[1], "/dev/", 5) || dcdctl_dev_index(words[1], prefix, &dev->index))
		return dcdctl_err("%s: '%s' is not %s", where, words[1], what);
	snprintf(dev->name, sizeof(dev->name), "/dev/%s%u", prefix, dev->index);

	for (i = 2; i < nwords; i++) {
		char *eq = strchr(words[i], '=');
		const char *value;

		if (!eq || eq == words[i])
			return dcdctl_err("%s: '%s' is not KEY=VALUE", where, words[i]);
		*eq = '\0';
		value = eq + 1;
		for (k = keys; k->name && strcasecmp(k->name, words[i]); k++)
			;
		if (!k->name) {
			key_list(keys, list, sizeof(list));
			return dcdctl_err("%s: unknown key '%s' (expected %s)", where, words[i],
					  list);
		}
		if (!*value)
			return dcdctl_err("%s: %s= without a value", where, k->name);
		if (dev->value[k->field])
			return dcdctl_err("%s: %s= given twice", where, k->name);
		if (k->field == CONF_UUID && conf_parse_uuid(value, dev->uuid))
			return dcdctl_err("%s: bad uuid '%s' (expected 8-4-4-4-12 hex digits, as examine prints it)",
					  where, value);
		if ((k->field == CONF_PATH0 || k->field == CONF_PATH1) && value[0] != '/')
			return dcdctl_err("%s: %s=%s is not an absolute path", where, k->name,
					  value);
		if (k->check && k->check(where, value))
			return 1;
		dev->value[k->field] = strdup(value);
		if (!dev->value[k->field])
			return dcdctl_err("%s: %s", where, strerror(ENOMEM));
	}
	if (!dev->value[CONF_UUID])
		return dcdctl_err("%s: %s %s without uuid=", where, words[0], dev->name);
	if (!dev->value[CONF_PATH0])
		return dcdctl_err("%s: %s %s without %s=", where, words[0], dev->name, path0);
	if (!dev->value[CONF_PATH1])
		return dcdctl_err("%s: %s %s without %s=", where, words[0], dev->name, path1);
	if (!strcmp(dev->value[CONF_PATH0], dev->value[CONF_PATH1]))
		return dcdctl_err("%s: %s= and %s= are the same path (%s)", where, path0, path1,
				  dev->value[CONF_PATH0]);
	return 0;
}

/* What the new line dev has in common with an earlier one: 0, or 1 (said). */
static int check_unique(const char *where, const struct conf *conf, const struct conf_dev *dev)
{
	const struct conf_dev *o;
	unsigned int i, p, q;
	char u[40];

	for (i = 0; i < conf->nr; i++) {
		o = &conf->devs[i];
		if (!strcmp(o->name, dev->name))
			return dcdctl_err("%s: %s is on line %u already", where, dev->name,
					  o->line);
		if (!memcmp(o->uuid, dev->uuid, sizeof(o->uuid)))
			return dcdctl_err("%s: uuid %s is %s's on line %u already", where,
					  dcdctl_uuid(dev->uuid, u), o->name, o->line);
		for (p = CONF_PATH0; p <= CONF_PATH1; p++)
			for (q = CONF_PATH0; q <= CONF_PATH1; q++)
				if (!strcmp(o->value[p], dev->value[q]))
					return dcdctl_err("%s: %s is a disk of %s on line %u already",
							  where, dev->value[q], o->name, o->line);
	}
	return 0;
}

int conf_load(const char *path, bool missing_ok, struct conf *conf)
{
	char where[WHERE_LEN], *line = NULL, *words[MAX_WORDS];
	size_t cap = 0;
	unsigned int lineno = 0;
	struct conf_dev dev, *more;
	int nwords, field, ret = 0;
	FILE *f;

	memset(conf, 0, sizeof(*conf));
	conf->path = path;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && missing_ok)
			return 0;
		return dcdctl_err("%s: %s", path, strerror(errno));
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		nwords = split_words(line, words, MAX_WORDS);
		if (!nwords)
			continue;
		if (nwords < 0) {
			ret = dcdctl_err("%s: more than %d words", where, MAX_WORDS);
			break;
		}
		memset(&dev, 0, sizeof(dev));
		dev.line = lineno;
		ret = parse_line(where, words, nwords, &dev);
		if (!ret)
			ret = check_unique(where, conf, &dev);
		if (!ret) {
			more = realloc(conf->devs, (conf->nr + 1) * sizeof(*more));
			if (!more)
				ret = dcdctl_err("%s: %s", where, strerror(ENOMEM));
			else
				conf->devs = more;
		}
		if (ret) {
			for (field = 0; field < CONF_FIELDS; field++)
				free(dev.value[field]);
			break;
		}
		conf->devs[conf->nr++] = dev;
	}
	if (!ret && ferror(f))
		ret = dcdctl_err("%s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	if (ret)
		conf_free(conf);
	return ret;
}
