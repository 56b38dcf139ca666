/*
 * loop_cfg.c -- fuse_loop_cfg_*: the opaque loop configuration of 3.12.
 *
 * Kept as given; fusebox's pool uses max_threads as its bound and reads
 * the rest only to report it back (clone_fd is always on: every worker
 * has its own clone of /dev/fuse).
 */
#include "session.h"

#include <stdlib.h>

struct fuse_loop_config {
	int clone_fd;
	unsigned int max_idle_threads;
	unsigned int max_threads;
};

struct fuse_loop_config *fuse_loop_cfg_create(void)
{
	struct fuse_loop_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max_idle_threads = 10;
	c->max_threads = 10;
	return c;
}

void fuse_loop_cfg_destroy(struct fuse_loop_config *config)
{
	free(config);
}

void fuse_loop_cfg_set_idle_threads(struct fuse_loop_config *config, unsigned int value)
{
	config->max_idle_threads = value;
}

void fuse_loop_cfg_set_max_threads(struct fuse_loop_config *config, unsigned int value)
{
	config->max_threads = value;
}

void fuse_loop_cfg_set_clone_fd(struct fuse_loop_config *config, unsigned int value)
{
	config->clone_fd = (int)value;
}

void fuse_loop_cfg_convert(struct fuse_loop_config *config,
                           struct fuse_loop_config_v1 *v1_conf)
{
	config->clone_fd = v1_conf->clone_fd;
	config->max_idle_threads = v1_conf->max_idle_threads;
}

unsigned fbx_fuse3_cfg_max_threads(const struct fuse_loop_config *config)
{
	return config->max_threads;
}
