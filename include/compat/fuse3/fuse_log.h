/*
 * fuse_log.h -- the logging hook of fusebox's libfuse 3 compatible API.
 *
 * Every message the library prints goes through one function, stderr
 * by default. A program (a daemon logging to syslog, a language
 * binding) may install its own. Levels are syslog's priorities, in the
 * same order and with the same numbers (0 most urgent).
 */
#ifndef FUSE_LOG_H_
#define FUSE_LOG_H_

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum fuse_log_level {
	FUSE_LOG_EMERG,   /* 0 */
	FUSE_LOG_ALERT,
	FUSE_LOG_CRIT,
	FUSE_LOG_ERR,
	FUSE_LOG_WARNING,
	FUSE_LOG_NOTICE,
	FUSE_LOG_INFO,
	FUSE_LOG_DEBUG    /* 7 */
};

/** A log sink: format `fmt` with `ap` (a vprintf-style call). */
typedef void (*fuse_log_func_t)(enum fuse_log_level level,
                                const char *fmt, va_list ap);

/** Install `func` as the sink for all library messages; NULL restores
 *  the default (stderr). Not synchronised: call it before starting. */
void fuse_set_log_func(fuse_log_func_t func);

/** Send one message to the current sink. */
/* No format attribute: libfuse declares none, and adding one could turn
 * a program's clean build into -Werror=format failures. */
void fuse_log(enum fuse_log_level level, const char *fmt, ...);

#ifdef __cplusplus
}
#endif
#endif /* FUSE_LOG_H_ */
