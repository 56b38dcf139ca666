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
#include <sys/uio.h>
#include <unistd.h>

#include "nbd/tls.h"

#if FBX_HAVE_GNUTLS

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct fbx_nbd_tls_creds {
	gnutls_certificate_credentials_t x509;   /* or NULL */
	gnutls_psk_server_credentials_t psk;     /* or NULL */
	bool verify_peer;
};

struct fbx_nbd_tls_sess {
	gnutls_session_t s;
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

static int sess_setup(struct fbx_nbd_tls_creds *c, gnutls_session_t s, int fd)
{
	int r = gnutls_priority_set_direct(s, c->psk ? "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
	                                             : "NORMAL", NULL);
	if (r == 0 && c->x509)
		r = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->x509);
	if (r == 0 && c->psk)
		r = gnutls_credentials_set(s, GNUTLS_CRD_PSK, c->psk);
	if (r == 0 && c->verify_peer) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert(s, NULL, 0);
	}
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	return r;
}

int fbx_nbd_tls_accept(struct fbx_nbd_tls_creds *c, int fd, struct fbx_nbd_tls_sess **out,
                       char *err, size_t errlen)
{
	*out = NULL;
	struct fbx_nbd_tls_sess *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	int r = gnutls_init(&t->s, GNUTLS_SERVER);
	if (r < 0) {
		free(t);
		snprintf(err, errlen, "%s", gnutls_strerror(r));
		return -ENOMEM;
	}
	r = sess_setup(c, t->s, fd);
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

int fbx_nbd_tls_sendv(struct fbx_nbd_tls_sess *t, const struct iovec *iov, int n)
{
	/* corked: the records are cut as large as allowed, not one per iovec */
	gnutls_record_cork(t->s);
	for (int i = 0; i < n; i++) {
		ssize_t r = gnutls_record_send(t->s, iov[i].iov_base, iov[i].iov_len);
		if (r < 0) {
			gnutls_record_uncork(t->s, 0);
			return r == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
		}
	}
	for (;;) {
		int r = gnutls_record_uncork(t->s, GNUTLS_RECORD_WAIT);
		if (r >= 0)
			return 0;
		if (r != GNUTLS_E_INTERRUPTED)
			return r == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
	}
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

int fbx_nbd_tls_sendv(struct fbx_nbd_tls_sess *t, const struct iovec *iov, int n)
{
	return -ENOTSUP;
}

void fbx_nbd_tls_end(struct fbx_nbd_tls_sess *t, bool polite) { }

bool fbx_nbd_tls_available(void) { return false; }

#endif
