// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Providers: the registry their constructors add to, and loading the ones
 * named by *.driver files ("driver NAME" lines) from our own config dir.
 *
 * Only our providers are loaded: files are looked up beside this library
 * (<libdir>/libibverbs/lib<NAME>-rdmav34.so) or in our install dir, never in
 * the system's provider directory.  Providers that an application linked
 * directly (Debian's libefa, libmlx5) register from their constructors and
 * are accepted like any other; they simply never match our devices.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ibverbs.h"

#ifndef IBV_INSTALL_CONFIG_DIR
#define IBV_INSTALL_CONFIG_DIR "/usr/local/etc/libibverbs.d"
#endif
#ifndef IBV_INSTALL_PROVIDER_DIR
#define IBV_INSTALL_PROVIDER_DIR "/usr/local/lib/libibverbs"
#endif

/* Debian's own providers: never ours, whatever a config file says. */
#define SYSTEM_PROVIDER_DIR "/usr/lib/x86_64-linux-gnu/libibverbs/"

static pthread_mutex_t drivers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ibv_driver *drivers_head;

IBV_EXPORT void verbs_register_driver_34(const struct verbs_device_ops *ops)
{
	struct ibv_driver **pos, *drv;

	if (!ops || !ops->name || !ops->alloc_device)
		return;

	pthread_mutex_lock(&drivers_lock);
	for (pos = &drivers_head; *pos; pos = &(*pos)->next)
		if ((*pos)->ops == ops)
			goto out; /* the same provider loaded twice */
	drv = calloc(1, sizeof(*drv));
	if (drv) {
		drv->ops = ops;
		*pos = drv;
	}
out:
	pthread_mutex_unlock(&drivers_lock);
}

struct ibv_driver *ibverbs_registered_drivers(void)
{
	struct ibv_driver *head;

	pthread_mutex_lock(&drivers_lock);
	head = drivers_head;
	pthread_mutex_unlock(&drivers_lock);
	return head;
}

/* Directory this libibverbs.so.1 was loaded from, via dladdr. */
static bool library_dir(char *buf, size_t len)
{
	Dl_info info;
	char *slash;

	if (!dladdr((void *)library_dir, &info) || !info.dli_fname ||
	    !strchr(info.dli_fname, '/'))
		return false;
	if (!realpath(info.dli_fname, buf)) {
		if (strlen(info.dli_fname) >= len)
			return false;
		strcpy(buf, info.dli_fname);
	}
	slash = strrchr(buf, '/');
	if (slash == buf)
		slash[1] = '\0';
	else
		*slash = '\0';
	return true;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

const char *ibverbs_config_dir(char *buf, size_t len)
{
	const char *env = getenv("IBV_CONFIG_DIR");
	char libdir[PATH_MAX];

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	if (library_dir(libdir, sizeof(libdir))) {
		snprintf(buf, len, "%s/../etc/libibverbs.d", libdir);
		if (is_dir(buf))
			return buf;
	}
	snprintf(buf, len, "%s", IBV_INSTALL_CONFIG_DIR);
	return buf;
}

/*
 * The provider named by one .driver file ("driver NAME", '#' comments).
 * Returns 0 and the name, or -1 when the file names none.
 */
int ibverbs_parse_driver_file(const char *path, char *name, size_t len)
{
	char line[PATH_MAX + 32], word[16], value[PATH_MAX];
	FILE *f = fopen(path, "re");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (sscanf(p, "%15s %4095s", word, value) != 2 ||
		    strcmp(word, "driver"))
			continue;
		if (strlen(value) >= len)
			continue;
		strcpy(name, value);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static void load_provider(const char *name)
{
	char path[PATH_MAX + 64], libdir[PATH_MAX];
	void *handle;
	int len;

	if (name[0] == '/') {
		len = snprintf(path, sizeof(path), "%s", name);
	} else {
		if (strchr(name, '/'))
			return;
		if (library_dir(libdir, sizeof(libdir)))
			len = snprintf(path, sizeof(path),
				       "%s/libibverbs/lib%s-rdmav%d.so", libdir,
				       name, IBVERBS_PABI_VERSION);
		else
			len = snprintf(path, sizeof(path), "%s/lib%s-rdmav%d.so",
				       IBV_INSTALL_PROVIDER_DIR, name,
				       IBVERBS_PABI_VERSION);
	}
	/* A truncated path could name some other library: load nothing. */
	if (len < 0 || (size_t)len >= sizeof(path))
		return;
	if (!strncmp(path, SYSTEM_PROVIDER_DIR, strlen(SYSTEM_PROVIDER_DIR)))
		return;

	/* its constructor calls verbs_register_driver_34() */
	handle = dlopen(path, RTLD_NOW);
	if (!handle)
		__verbs_log(NULL, VERBS_LOG_WARN,
			    "libibverbs: Warning: couldn't load driver '%s': %s\n",
			    name, dlerror());
}

static int driver_file_filter(const struct dirent *ent)
{
	size_t len = strlen(ent->d_name);

	return len > 7 && !strcmp(ent->d_name + len - 7, ".driver");
}

static void load_all_providers(void)
{
	char dir[PATH_MAX], path[PATH_MAX * 2], name[PATH_MAX];
	struct dirent **ents;
	int n, i;

	ibverbs_config_dir(dir, sizeof(dir));
	n = scandir(dir, &ents, driver_file_filter, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (!ibverbs_parse_driver_file(path, name, sizeof(name)))
			load_provider(name);
		free(ents[i]);
	}
	free(ents);
}

static pthread_once_t providers_once = PTHREAD_ONCE_INIT;

void ibverbs_load_providers(void)
{
	pthread_once(&providers_once, load_all_providers);
}
