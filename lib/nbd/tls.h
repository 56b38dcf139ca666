/*
 * lib/nbd/tls.h -- what conn.c and server.c use of tls.c. Not installed.
 */
#ifndef FBX_NBD_TLS_H
#define FBX_NBD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fusebox/blockdev.h"

struct iovec;
struct fbx_nbd_tls_creds;   /* the server's, shared by its connections */
struct fbx_nbd_tls_sess;    /* one connection's */

/** Load the credentials opt names. 0, or -errno with a message in err
 *  naming the file or option at fault. */
int fbx_nbd_tls_creds_new(const struct fbx_nbd_tls *opt, struct fbx_nbd_tls_creds **out,
                          char *err, size_t errlen);
void fbx_nbd_tls_creds_free(struct fbx_nbd_tls_creds *c);

/** The server side of the TLS handshake on fd (right after the ACK of
 *  NBD_OPT_STARTTLS). 0, or -EPROTO with the reason in err. */
int fbx_nbd_tls_accept(struct fbx_nbd_tls_creds *c, int fd, struct fbx_nbd_tls_sess **out,
                       char *err, size_t errlen);
/** As recv(2): bytes, 0 at end of stream, -1 with errno. */
ssize_t fbx_nbd_tls_recv(struct fbx_nbd_tls_sess *t, void *p, size_t len);
/** Whether a recv would be answered without waiting for the client:
 *  1 yes (a decrypted record, a whole one read ahead, or the end of the
 *  stream or an error to report), 0 part of a record is here (the
 *  client is sending the rest), -1 nothing is here. Never blocks: it
 *  reads ahead what the socket holds. conn.c keeps its batched replies
 *  while more requests are coming. */
int fbx_nbd_tls_ready(struct fbx_nbd_tls_sess *t);
/** Send iov[0..n) whole: 0 or -errno. One sender at a time. */
int fbx_nbd_tls_sendv(struct fbx_nbd_tls_sess *t, const struct iovec *iov, int n);
/** End the session; polite: send close_notify first. */
void fbx_nbd_tls_end(struct fbx_nbd_tls_sess *t, bool polite);
/** Whether this build has TLS. */
bool fbx_nbd_tls_available(void);

#endif
