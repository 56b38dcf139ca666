/*
 * lib/nbd/tls.c -- NBD over TLS (the STARTTLS option) with GnuTLS:
 * the server's credentials (X.509 from a directory laid out as nbdkit
 * and qemu expect, or PSK from a psktool keys file), one session per
 * connection, and the record I/O conn.c uses once TLS is up.
 *
 * Built without GnuTLS (the Makefile links it when pkg-config finds
 * it), asking for TLS fails with -ENOTSUP and a message saying so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nbd/tls.h"

#if FBX_HAVE_GNUTLS

#include <gnutls/gnutls.h>
#include <gnutls/socket.h>
#include <gnutls/x509.h>

struct fbx_nbd_tls_creds {
	gnutls_certificate_credentials_t x509;   /* or NULL */
	gnutls_psk_server_credentials_t psk;     /* or NULL */
	bool verify_peer;
};

/* GnuTLS reads a record in two recv calls (its header, then the rest),
 * and a client such as libnbd sends a write's header and payload as two
 * records: four system calls per 4k write. Our pull function reads ahead
 * instead, as much as the socket holds, so that a queue of requests
 * costs one recv; and it tells conn.c when a whole record is already
 * here, so replies are not flushed (one record and one sendmsg each)
 * between requests that arrived together. */
#define RA_CAP (64 * 1024)

struct fbx_nbd_tls_sess {
	gnutls_session_t s;
	int fd;
	bool ktls;       /* the kernel does the records: no read-ahead here */
	size_t ra_pos, ra_end;
	uint8_t ra[RA_CAP];
};

static int file_in(char *buf, size_t n, const char *dir, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
	return access(buf, R_OK) == 0 ? 0 : -errno;
}

static int load_x509(struct fbx_nbd_tls_creds *c, const char *dir, char *err, size_t errlen)
{
	char ca[4200], cert[4200], key[4200];
	int e;
	if ((e = file_in(cert, sizeof cert, dir, "server-cert.pem")) < 0 ||
	    (e = file_in(key, sizeof key, dir, "server-key.pem")) < 0) {
		snprintf(err, errlen, "--tls-certificates=%s: %s: %s (the directory needs "
		         "server-cert.pem and server-key.pem, and ca-cert.pem)", dir,
		         access(cert, R_OK) ? cert : key, strerror(-e));
		return -EINVAL;
	}
	bool have_ca = file_in(ca, sizeof ca, dir, "ca-cert.pem") == 0;
	if (!have_ca && c->verify_peer) {
		snprintf(err, errlen, "--tls-verify-peer: no %s to check client certificates "
		         "against", ca);
		return -EINVAL;
	}
	int r = gnutls_certificate_allocate_credentials(&c->x509);
	if (r == 0 && have_ca)
		r = gnutls_certificate_set_x509_trust_file(c->x509, ca, GNUTLS_X509_FMT_PEM);
	if (r >= 0)
		r = gnutls_certificate_set_x509_key_file(c->x509, cert, key, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		snprintf(err, errlen, "--tls-certificates=%s: %s", dir, gnutls_strerror(r));
		return -EINVAL;
	}
	char crl[4200];
	if (file_in(crl, sizeof crl, dir, "ca-crl.pem") == 0 &&
	    (r = gnutls_certificate_set_x509_crl_file(c->x509, crl, GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(err, errlen, "%s: %s", crl, gnutls_strerror(r));
		return -EINVAL;
	}
	return 0;
}

static int load_psk(struct fbx_nbd_tls_creds *c, const char *file, char *err, size_t errlen)
{
	if (access(file, R_OK) != 0) {
		snprintf(err, errlen, "--tls-psk=%s: %s", file, strerror(errno));
		return -EINVAL;
	}
	int r = gnutls_psk_allocate_server_credentials(&c->psk);
	if (r == 0)
		r = gnutls_psk_set_server_credentials_file(c->psk, file);
	if (r < 0) {
		snprintf(err, errlen, "--tls-psk=%s: %s", file, gnutls_strerror(r));
		return -EINVAL;
	}
	return 0;
}

int fbx_nbd_tls_creds_new(const struct fbx_nbd_tls *opt, struct fbx_nbd_tls_creds **out,
                          char *err, size_t errlen)
{
	*out = NULL;
	if (!opt->certificates && !opt->psk) {
		snprintf(err, errlen, "TLS needs --tls-certificates=DIR or --tls-psk=FILE");
		return -EINVAL;
	}
	if (opt->verify_peer && !opt->certificates) {
		snprintf(err, errlen, "--tls-verify-peer needs --tls-certificates=DIR (with the "
		         "ca-cert.pem that signs client certificates)");
		return -EINVAL;
	}
	int r = gnutls_global_init();
	if (r < 0) {
		snprintf(err, errlen, "GnuTLS: %s", gnutls_strerror(r));
		return -EIO;
	}
	struct fbx_nbd_tls_creds *c = calloc(1, sizeof *c);
	if (!c) {
		gnutls_global_deinit();
		return -ENOMEM;
	}
	c->verify_peer = opt->verify_peer;
	int e = 0;
	if (opt->certificates)
		e = load_x509(c, opt->certificates, err, errlen);
	if (!e && opt->psk)
		e = load_psk(c, opt->psk, err, errlen);
	if (e) {
		fbx_nbd_tls_creds_free(c);
		return e;
	}
	*out = c;
	return 0;
}

void fbx_nbd_tls_creds_free(struct fbx_nbd_tls_creds *c)
{
	if (!c)
		return;
	if (c->x509)
		gnutls_certificate_free_credentials(c->x509);
	if (c->psk)
		gnutls_psk_free_server_credentials(c->psk);
	free(c);
	gnutls_global_deinit();
}

/* Serve GnuTLS from the read-ahead buffer; when it is empty, one readv
 * fills GnuTLS's own request first (no copy for bulk data) and the
 * buffer after it. */
static ssize_t pull(gnutls_transport_ptr_t ptr, void *p, size_t len)
{
	struct fbx_nbd_tls_sess *t = ptr;
	size_t have = t->ra_end - t->ra_pos;
	if (have) {
		size_t n = have < len ? have : len;
		memcpy(p, t->ra + t->ra_pos, n);
		t->ra_pos += n;
		return (ssize_t)n;
	}
	struct iovec v[2] = { { p, len }, { t->ra, RA_CAP } };
	ssize_t r = readv(t->fd, v, 2);
	if (r > (ssize_t)len) {
		t->ra_pos = 0;
		t->ra_end = (size_t)r - len;
		return (ssize_t)len;
	}
	return r;
}

static int pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct fbx_nbd_tls_sess *t = ptr;
	if (t->ra_end > t->ra_pos)
		return 1;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *p, size_t len)
{
	struct fbx_nbd_tls_sess *t = ptr;
	return send(t->fd, p, len, MSG_NOSIGNAL);
}

static ssize_t push_vec(gnutls_transport_ptr_t ptr, const giovec_t *iov, int n)
{
	struct fbx_nbd_tls_sess *t = ptr;
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	return sendmsg(t->fd, &m, MSG_NOSIGNAL);
}

/* GnuTLS's defaults, but our order of ciphers, not the client's: GnuTLS
 * (so libnbd and qemu) lists AES-256-GCM first, which costs about a
 * third more CPU per byte than AES-128-GCM on both ends, and the NBD
 * data path is bound by exactly that (TLS 1.3's mandatory suite, and
 * first in Mozilla's recommended order). */
#define PRIORITY "NORMAL:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:" \
                 "+AES-128-CCM:+AES-256-CCM:+AES-128-CBC:+AES-256-CBC:%SERVER_PRECEDENCE"

/* The handshake runs on the plain socket, so that GnuTLS can hand the
 * records to the kernel (kTLS) where its configuration asks for that
 * and the kernel has the tls module; then nothing is left for us to
 * batch. Otherwise the records go through our functions from here on. */
static void use_read_ahead(struct fbx_nbd_tls_sess *t)
{
#if GNUTLS_VERSION_NUMBER >= 0x030703
	t->ktls = gnutls_transport_is_ktls_enabled(t->s) != 0;
#else
	t->ktls = false;
#endif
	if (t->ktls)
		return;
	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_pull_function(t->s, pull);
	gnutls_transport_set_pull_timeout_function(t->s, pull_timeout);
	gnutls_transport_set_push_function(t->s, push);
	gnutls_transport_set_vec_push_function(t->s, push_vec);
}

static int sess_setup(struct fbx_nbd_tls_creds *c, struct fbx_nbd_tls_sess *t)
{
	gnutls_session_t s = t->s;
	int r = gnutls_priority_set_direct(s, c->psk ? PRIORITY ":+ECDHE-PSK:+DHE-PSK:+PSK"
	                                             : PRIORITY, NULL);
	if (r == 0 && c->x509)
		r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->x509);
	if (r == 0 && c->psk)
		r = gnutls_credentials_set(s, GNUTLS_CRD_PSK, c->psk);
	if (r == 0 && c->verify_peer) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert(s, NULL, 0);
	}
	gnutls_transport_set_int(s, t->fd);
	gnutls_handshake_set_timeout(s, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	return r;
}

int fbx_nbd_tls_accept(struct fbx_nbd_tls_creds *c, int fd, struct fbx_nbd_tls_sess **out,
                       char *err, size_t errlen)
{
	*out = NULL;
	struct fbx_nbd_tls_sess *t = malloc(sizeof *t);
	if (!t)
		return -ENOMEM;
	t->fd = fd;
	t->ktls = false;
	t->ra_pos = t->ra_end = 0;
	int r = gnutls_init(&t->s, GNUTLS_SERVER);
	if (r < 0) {
		free(t);
		snprintf(err, errlen, "%s", gnutls_strerror(r));
		return -ENOMEM;
	}
	r = sess_setup(c, t);
	if (r == 0) {
		do
			r = gnutls_handshake(t->s);
		while (r < 0 && !gnutls_error_is_fatal(r) && r != GNUTLS_E_AGAIN);
	}
	if (r < 0) {
		if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			unsigned st = gnutls_session_get_verify_cert_status(t->s);
			gnutls_datum_t why = { NULL, 0 };
			gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &why, 0);
			snprintf(err, errlen, "client certificate refused: %s",
			         why.data ? (char *)why.data : gnutls_strerror(r));
			gnutls_free(why.data);
		} else if (r == GNUTLS_E_PULL_ERROR || r == GNUTLS_E_PREMATURE_TERMINATION) {
			snprintf(err, errlen, "the client hung up (does it trust our certificate, "
			         "or know this PSK?)");
		} else {
			snprintf(err, errlen, "%s", r == GNUTLS_E_AGAIN ? "client too slow (timed out)"
			                                               : gnutls_strerror(r));
		}
		gnutls_deinit(t->s);
		free(t);
		return -EPROTO;
	}
	use_read_ahead(t);
	*out = t;
	return 0;
}

ssize_t fbx_nbd_tls_recv(struct fbx_nbd_tls_sess *t, void *p, size_t len)
{
	for (;;) {
		ssize_t r = gnutls_record_recv(t->s, p, len);
		if (r >= 0)
			return r;
		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;          /* the client hung up without close_notify */
		errno = r == GNUTLS_E_AGAIN ? EAGAIN : ECONNRESET;
		return -1;
	}
}

static bool whole_record(const struct fbx_nbd_tls_sess *t)
{
	/* a record's header is 5 bytes, its length last */
	size_t have = t->ra_end - t->ra_pos;
	const uint8_t *h = t->ra + t->ra_pos;
	return have >= 5 && have >= 5 + ((size_t)h[3] << 8 | h[4]);
}

int fbx_nbd_tls_ready(struct fbx_nbd_tls_sess *t)
{
	if (gnutls_record_check_pending(t->s) || whole_record(t))
		return 1;
	if (t->ktls)
		return -1;         /* the socket holds plaintext: not ours to read */
	if (t->ra_pos) {
		memmove(t->ra, t->ra + t->ra_pos, t->ra_end - t->ra_pos);
		t->ra_end -= t->ra_pos;
		t->ra_pos = 0;
	}
	ssize_t r = recv(t->fd, t->ra + t->ra_end, RA_CAP - t->ra_end, MSG_DONTWAIT);
	if (r > 0)
		t->ra_end += (size_t)r;
	else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		return 1;          /* end of stream or an error: let the recv report it */
	if (whole_record(t))
		return 1;
	return t->ra_end ? 0 : -1;
}

static int send_err(ssize_t r)
{
	return r == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
}

/* Send p[0..len) as whole records straight from the caller's memory. */
static int send_direct(gnutls_session_t s, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t r = gnutls_record_send(s, p, len);
		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r < 0)
			return send_err(r);
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int uncork(gnutls_session_t s)
{
	for (;;) {
		int r = gnutls_record_uncork(s, GNUTLS_RECORD_WAIT);
		if (r >= 0)
			return 0;
		if (r != GNUTLS_E_INTERRUPTED)
			return send_err(r);
	}
}

/* Small pieces are corked together so that a batch of replies is one
 * record, not one per reply. A big piece (a read's data) would be copied
 * whole into the cork buffer: it fills the record the small ones began,
 * and the rest goes out uncorked, encrypted from where it lies. */
int fbx_nbd_tls_sendv(struct fbx_nbd_tls_sess *t, const struct iovec *iov, int n)
{
	size_t rec = gnutls_record_get_max_size(t->s), corked = 0;
	gnutls_record_cork(t->s);
	for (int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len, head = len;
		if (len > rec) {
			head = corked < rec ? rec - corked : 0;
			if (head > len)
				head = len;
		}
		if (head) {
			ssize_t r = gnutls_record_send(t->s, p, head);
			if (r < 0) {
				gnutls_record_uncork(t->s, 0);
				return send_err(r);
			}
			corked += head;
		}
		if (head == len)
			continue;
		int e = uncork(t->s);
		if (!e)
			e = send_direct(t->s, p + head, len - head);
		if (e)
			return e;
		corked = 0;
		gnutls_record_cork(t->s);
	}
	return uncork(t->s);
}

void fbx_nbd_tls_end(struct fbx_nbd_tls_sess *t, bool polite)
{
	if (!t)
		return;
	if (polite)
		gnutls_bye(t->s, GNUTLS_SHUT_WR);
	gnutls_deinit(t->s);
	free(t);
}

bool fbx_nbd_tls_available(void) { return true; }

#else /* !FBX_HAVE_GNUTLS */

int fbx_nbd_tls_creds_new(const struct fbx_nbd_tls *opt, struct fbx_nbd_tls_creds **out,
                          char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen, "this fusebox was built without GnuTLS (libgnutls28-dev): "
	         "no TLS");
	return -ENOTSUP;
}

void fbx_nbd_tls_creds_free(struct fbx_nbd_tls_creds *c) { }

int fbx_nbd_tls_accept(struct fbx_nbd_tls_creds *c, int fd, struct fbx_nbd_tls_sess **out,
                       char *err, size_t errlen)
{
	*out = NULL;
	return -ENOTSUP;
}

ssize_t fbx_nbd_tls_recv(struct fbx_nbd_tls_sess *t, void *p, size_t len)
{
	errno = ENOTSUP;
	return -1;
}

int fbx_nbd_tls_ready(struct fbx_nbd_tls_sess *t) { return 1; }

int fbx_nbd_tls_sendv(struct fbx_nbd_tls_sess *t, const struct iovec *iov, int n)
{
	return -ENOTSUP;
}

void fbx_nbd_tls_end(struct fbx_nbd_tls_sess *t, bool polite) { }

bool fbx_nbd_tls_available(void) { return false; }

#endif
