/*
 * fusebox/blockdev.h -- block devices in userspace (the BUSE model),
 * served over NBD to real clients (nbdinfo, qemu, fio, nbd-client,
 * the kernel).
 *
 *   static const struct fbx_dev_ops ops = { .read = my_read, .write = my_write };
 *   int main(int argc, char *argv[])
 *   {
 *       struct fbx_dev_info info = { .size = 128 << 20 };
 *       return fbx_dev_main(argc, argv, &ops, sizeof ops, &info, my_state);
 *   }
 *
 * That is all a device needs: fbx_dev_main parses a small command line
 * (see below), listens, prints the NBD URI to connect to, and serves
 * until SIGINT/SIGTERM. Programs that want more control build a server
 * with fbx_nbd_server_new(), add listeners, and call fbx_nbd_server_run().
 *
 * Return convention of every callback: 0 on success, a negated errno on
 * failure (-EIO, -ENOSPC, ...); a positive return counts as success,
 * and a value below -4095 (not an errno) as -EIO. The NBD server maps
 * errno values to the few the protocol knows (EPERM, EIO, ENOMEM,
 * EINVAL, ENOSPC, EOVERFLOW, ENOTSUP, ESHUTDOWN; anything else becomes
 * EIO); ublk and FUSE+loop pass them to the kernel as they are.
 *
 * The same rules hold whichever way a request arrives (NBD, ublk,
 * FUSE+loop: one layer applies them). Callbacks are called only with
 * non-empty ranges inside the device, aligned to block_min, never
 * longer than block_max (a longer read or write is split into
 * block_max pieces), and only for features that were offered. A
 * read-only device (info.read_only, or no write callback) never sees
 * write, trim or write_zeroes. Flags other than those listed for a
 * callback never reach it.
 *
 * A missing callback means the feature is not offered to clients: no
 * flush callback, no NBD_FLAG_SEND_FLUSH; nothing is faked. The one
 * emulation: with a flush callback but info.can_fua false, a FUA
 * write, trim or write_zeroes is honoured by calling flush after it
 * succeeded (the callback itself gets no FBX_DEV_FUA).
 *
 * Threads: callbacks may run concurrently on several threads (several
 * connections, and several requests of one connection), also for
 * overlapping ranges; the device does its own locking. The userdata
 * pointer given to fbx_nbd_server_new / fbx_dev_main is passed to
 * every callback.
 */
#ifndef FUSEBOX_BLOCKDEV_H
#define FUSEBOX_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Flags passed to callbacks. */
#define FBX_DEV_FUA        (1u << 0) /**< write/trim/write_zeroes: data must be on
                                          stable storage before returning */
#define FBX_DEV_NO_HOLE    (1u << 1) /**< write_zeroes: allocate, do not punch a hole */
#define FBX_DEV_FAST_ZERO  (1u << 2) /**< write_zeroes: fail with -ENOTSUP at once
                                          if zeroing would be as slow as a write */
#define FBX_DEV_REQ_ONE    (1u << 3) /**< extents: the client wants only the first extent */
#define FBX_DEV_MAP_WRITE  (1u << 4) /**< map/unmap: the server stores write payload there */

/* Extent types reported by the extents callback (may be or-ed). */
#define FBX_EXTENT_DATA 0u          /**< allocated (or unknown) */
#define FBX_EXTENT_HOLE (1u << 0)   /**< not allocated; a write may need space */
#define FBX_EXTENT_ZERO (1u << 1)   /**< reads as zeroes */

/** Opaque: the list an extents callback fills. */
struct fbx_extents;
struct iovec;   /* <sys/uio.h> */

/**
 * Add the extent [off, off+len) of the given type to ex. Extents must be
 * added in increasing order, without gaps, starting at the offset the
 * callback was asked about; parts outside the asked range are clipped
 * and neighbours of the same type merged. Returns 0 to go on, 1 when
 * the list is full (stop adding: what was added is sent), or -EINVAL
 * for an out-of-order extent.
 */
int fbx_extents_add(struct fbx_extents *ex, uint64_t off, uint64_t len, uint32_t type);

/**
 * The device: a struct of callbacks. Versioned by size: pass sizeof of
 * your struct; new callbacks are only ever appended, so an old program
 * keeps working with a newer library.
 */
struct fbx_dev_ops {
	/** Read len bytes at off into buf. Required. flags: 0. */
	int (*read)(void *ud, void *buf, uint64_t len, uint64_t off, unsigned flags);
	/** Write len bytes at off. flags: FBX_DEV_FUA (only if info.can_fua).
	 *  Missing: the device is read-only. */
	int (*write)(void *ud, const void *buf, uint64_t len, uint64_t off, unsigned flags);
	/** Make every write that has returned durable. flags: 0.
	 *  Missing: NBD_CMD_FLUSH and FUA are not offered. */
	int (*flush)(void *ud, unsigned flags);
	/** Discard [off, off+len): later reads may return anything (the
	 *  usual choice is zeroes). flags: FBX_DEV_FUA. Missing: not offered. */
	int (*trim)(void *ud, uint64_t len, uint64_t off, unsigned flags);
	/** Make [off, off+len) read as zeroes. flags: FBX_DEV_FUA,
	 *  FBX_DEV_NO_HOLE (keep it allocated), FBX_DEV_FAST_ZERO (return
	 *  -ENOTSUP at once unless this is much faster than writing zeroes).
	 *  Missing: NBD_CMD_WRITE_ZEROES (and fast zero) are not offered. */
	int (*write_zeroes)(void *ud, uint64_t len, uint64_t off, unsigned flags);
	/** A client connection ended (NBD_CMD_DISC or a dropped socket).
	 *  Optional; called once per connection that reached transmission. */
	void (*disc)(void *ud);
	/** Prefetch [off, off+len) for later reads. flags: 0.
	 *  Missing: NBD_CMD_CACHE is not offered. */
	int (*cache)(void *ud, uint64_t len, uint64_t off, unsigned flags);
	/** Describe allocation of [off, off+len) by calling fbx_extents_add
	 *  one or more times (it may stop early; at least one extent is
	 *  needed, else the range is reported as data). flags:
	 *  FBX_DEV_REQ_ONE. Missing: no "base:allocation" metadata context
	 *  (no block status), and reads are always sent as data. */
	int (*extents)(void *ud, uint64_t len, uint64_t off, unsigned flags,
	               struct fbx_extents *ex);
	/** Zero-copy access, for devices that keep their data in memory
	 *  (optional; fbx_memdisk has it). Point iov[0..n) at the device's
	 *  own bytes of [off, off+len), in order, and return n (at most
	 *  max); -ENOBUFS when more than max would be needed (the server
	 *  then calls read or write instead); else a negated errno.
	 *  flags 0: a read reply is sent straight from there (holes may
	 *  point at shared zeroes). FBX_DEV_MAP_WRITE: a write payload is
	 *  received straight into there (allocate what is missing). The
	 *  bytes must stay valid until unmap; overlapping requests may
	 *  change them meanwhile (the client sees either version, as with
	 *  any overlapping requests). Requires unmap. For writes, map and
	 *  unmap run on the connection's reading thread: keep them quick. */
	int (*map)(void *ud, struct iovec *iov, int max, uint64_t len, uint64_t off,
	           unsigned flags);
	/** End a map: the same iov, n, len, off, and flags plus FBX_DEV_FUA
	 *  for a FUA write. For a write, returns as write would; it is also
	 *  called (with the error ignored) when the client went away
	 *  halfway, leaving part of the payload in place. */
	int (*unmap)(void *ud, const struct iovec *iov, int n, uint64_t len, uint64_t off,
	             unsigned flags);
};

/**
 * What the device is. Zero-initialize it (designated initializers): 0
 * means "default" for every field, and fields are only ever appended.
 */
struct fbx_dev_info {
	uint64_t size;           /**< bytes; required */
	uint32_t block_min;      /**< smallest I/O unit, power of 2 (default 1) */
	uint32_t block_pref;     /**< preferred I/O size (default 4096) */
	uint32_t block_max;      /**< largest read/write payload a callback gets
	                              (default and cap 32 MiB). NBD clients are told
	                              it (NBD_INFO_BLOCK_SIZE); a longer write is
	                              refused, a longer read (up to 256 MiB) served
	                              in block_max pieces */
	bool read_only;          /**< refuse writes with EPERM even if write exists */
	bool can_fua;            /**< write/trim/write_zeroes honour FBX_DEV_FUA */
	bool can_multi_conn;     /**< writes flushed on one connection are seen by
	                              all: clients may open several connections */
	bool rotational;         /**< hint for the client's I/O scheduler */
	bool nonblocking;        /**< callbacks never sleep (memory disks): run them
	                              on the connection's own thread, which batches
	                              replies; fastest when true. While only one
	                              client connection is open, that thread polls
	                              its socket for up to 50 us before sleeping
	                              (lower latency for a little CPU) */
	unsigned threads;        /**< worker threads per connection when !nonblocking
	                              (default 4) */
	const char *name;        /**< export name (default ""). A client asking for
	                              "" gets this export; so does one asking for
	                              any other name, unless strict_name */
	const char *description; /**< free text shown by `nbdinfo` (optional) */
	bool strict_name;        /**< NBD: a client asking for a name other than ""
	                              and `name` is refused (NBD_REP_ERR_UNKNOWN, or
	                              a disconnect for NBD_OPT_EXPORT_NAME), with a
	                              log line naming what it asked for */
};

/** Opaque: an NBD server exporting one device. */
struct fbx_nbd_server;

/**
 * Create a server for one device. ops is copied (ops_size bytes of it);
 * info is copied, strings included. Returns NULL with errno set on error
 * (EINVAL: no read callback, size 0, bad block sizes, map without unmap
 * or the other way round).
 */
struct fbx_nbd_server *fbx_nbd_server_new(const struct fbx_dev_ops *ops, size_t ops_size,
                                          const struct fbx_dev_info *info, void *userdata);

/** Listen on a Unix socket at path (an existing socket file is replaced).
 *  Returns 0 or a negated errno. */
int fbx_nbd_server_listen_unix(struct fbx_nbd_server *srv, const char *path);
/** Listen on TCP. host: NULL or "" for all addresses, a name, an IPv4
 *  address or an IPv6 one (brackets allowed); port: NULL for 10809, a
 *  number or a service name. Every address the name resolves to is
 *  bound. Returns 0 or -errno: -ERANGE for a port number over 65535,
 *  -ENXIO for a host (or service) name that does not resolve. */
int fbx_nbd_server_listen_tcp(struct fbx_nbd_server *srv, const char *host, const char *port);
/** Adopt an already listening socket (the server closes it on destroy). */
int fbx_nbd_server_listen_fd(struct fbx_nbd_server *srv, int fd);
/** Adopt the sockets passed by systemd-style socket activation
 *  (LISTEN_PID, LISTEN_FDS, fds from 3). Returns how many, 0 if none. */
int fbx_nbd_server_listen_systemd(struct fbx_nbd_server *srv);
/** The URI of listener i ("nbd+unix:///?socket=/run/x.sock",
 *  "nbd://127.0.0.1:10809/"), into buf. Returns 0, or -ENOENT past the
 *  last listener. */
int fbx_nbd_server_uri(struct fbx_nbd_server *srv, unsigned i, char *buf, size_t size);

/** Make fbx_nbd_server_run return on SIGINT, SIGTERM or SIGHUP (the
 *  signals are blocked in the calling thread, and so in the threads the
 *  server starts; call it before run). Returns 0 or -errno. */
int fbx_nbd_server_stop_on_signals(struct fbx_nbd_server *srv);

/**
 * Accept and serve clients, each connection on its own thread(s), until
 * fbx_nbd_server_stop. Returns after every connection has ended:
 * requests in flight are completed first, a client that does not read
 * its replies is cut off after a few seconds. Returns 0 or -errno.
 */
int fbx_nbd_server_run(struct fbx_nbd_server *srv);

/** Ask run (and every serve_fd) to end. Async-signal-safe; any thread. */
void fbx_nbd_server_stop(struct fbx_nbd_server *srv);

/**
 * Serve one already connected stream socket (handshake and transmission)
 * in the calling thread; returns when the client leaves or the server is
 * stopped. The fd is closed. Works whether or not run is going; this is
 * the entry point for socketpair-based attach paths. Returns 0 or -errno.
 */
int fbx_nbd_server_serve_fd(struct fbx_nbd_server *srv, int fd);

/** The transmission as the kernel's NBD driver speaks it: no handshake
 *  (the caller gives the kernel size and flags by ioctl/netlink), simple
 *  replies only. Blocks like serve_fd; the fd is closed. */
int fbx_nbd_server_serve_transmission_fd(struct fbx_nbd_server *srv, int fd);
/** Size and NBD transmission flags (NBD_FLAG_*) as offered to a client
 *  without structured replies: what an attach path passes to the kernel. */
void fbx_nbd_server_export_params(struct fbx_nbd_server *srv, uint64_t *size, uint16_t *flags);

/** TLS for network clients (NBD_OPT_STARTTLS, with GnuTLS). */
enum fbx_nbd_tls_mode {
	FBX_NBD_TLS_OFF = 0,     /**< no TLS: STARTTLS is answered "unsupported" */
	FBX_NBD_TLS_ON,          /**< offered: a client may upgrade, or stay plain */
	FBX_NBD_TLS_REQUIRE,     /**< every option but STARTTLS and ABORT is refused
	                              with NBD_REP_ERR_TLS_REQD (NBD_OPT_EXPORT_NAME
	                              by a disconnect) until the TLS handshake is
	                              done: no data is served in plaintext */
};

/** Zero-initialize; fields are only ever appended. */
struct fbx_nbd_tls {
	enum fbx_nbd_tls_mode mode;
	/** X.509: a directory holding ca-cert.pem, server-cert.pem and
	 *  server-key.pem (and optionally ca-crl.pem), as nbdkit and qemu
	 *  name them. */
	const char *certificates;
	/** PSK: a keys file as psktool writes it ("identity:hexkey" lines). */
	const char *psk;
	/** X.509: clients must show a certificate signed by ca-cert.pem. */
	bool verify_peer;
};

/**
 * Serve network clients over TLS as tls says (strings are used during
 * the call only: files are loaded now). Call before run / serve_fd; the
 * kernel attach paths (serve_transmission_fd) never use TLS. A failed
 * handshake is logged and ends that connection only. Returns 0, or
 * -EINVAL (no certificates or PSK for mode ON/REQUIRE, a missing or
 * unreadable file; the reason on stderr), -ENOTSUP (built without
 * GnuTLS), -EBUSY (TLS already set). fbx_nbd_server_uri keeps giving
 * nbd:// and nbd+unix:// URIs; fbx_dev_main prints them as nbds:// and
 * nbds+unix:// when TLS is on.
 * Ciphers: GnuTLS's defaults (its NORMAL priority: TLS 1.3 and 1.2), but
 * chosen in the server's order with AES-128-GCM first. Clients built on
 * GnuTLS (libnbd, qemu) list AES-256-GCM first, which costs both ends
 * about a third more CPU per byte, and encryption is what bounds NBD
 * throughput over TLS.
 */
int fbx_nbd_server_set_tls(struct fbx_nbd_server *srv, const struct fbx_nbd_tls *tls);

/** Log refusals of bad requests to stderr (rate-limited, one line per
 *  kind per 10 s). Default on; off with false. */
void fbx_nbd_server_set_verbose(struct fbx_nbd_server *srv, bool on);

/** Stop if running, wait for connections, close listeners (Unix socket
 *  files are removed), free. */
void fbx_nbd_server_destroy(struct fbx_nbd_server *srv);

/**
 * BUSE-style main. Command line:
 *   prog [TARGET] [-r] [--threads N] [--name NAME] [--strict-name] [-q] [-h]
 *        [--tls=off|on|require] [--tls-certificates=DIR] [--tls-psk=FILE]
 *        [--tls-verify-peer]          (as fbx_nbd_server_set_tls; as nbdkit spells them)
 * TARGET is one of
 *   --socket PATH | PATH (a path not under /dev)   Unix socket
 *   --tcp HOST:PORT | --tcp PORT | nbd://HOST[:PORT][/]   TCP ([v6]:port ok)
 *   nbd+unix:///?socket=PATH                        Unix socket
 *   --systemd                                       LISTEN_FDS sockets
 *   /dev/nbdN                                       kernel attach (needs lib/attach)
 * Default: nbd://127.0.0.1:10809 unless LISTEN_FDS is set. -r: read-only.
 * info and userdata as for fbx_nbd_server_new; info is not modified.
 * Prints the URI to connect to on stdout, serves until SIGINT/SIGTERM.
 * Returns an exit status (0, 1 on error, 2 on usage error).
 */
int fbx_dev_main(int argc, char *argv[], const struct fbx_dev_ops *ops, size_t ops_size,
                 const struct fbx_dev_info *info, void *userdata);

/*
 * A ready-made device: sparse, thread-safe memory disk. Pages are
 * allocated on first write; trim and write_zeroes free whole pages, and
 * extents reports never-written or freed pages as holes (zero). Reads
 * and big writes are zero-copy (map/unmap): reply data is sent from
 * the pages, write payload received into them. Used by busexmp and
 * `fusebox-nbd memory`.
 *
 *   struct fbx_memdisk *md = fbx_memdisk_new(128 << 20);
 *   fbx_dev_main(argc, argv, &fbx_memdisk_ops, sizeof fbx_memdisk_ops, &info, md);
 *   fbx_memdisk_free(md);
 */
struct fbx_memdisk;
/** A zeroed disk of size bytes (any size up to 2^56). NULL + errno on error. */
struct fbx_memdisk *fbx_memdisk_new(uint64_t size);
void fbx_memdisk_free(struct fbx_memdisk *md);
/** Bytes of memory in use for data. */
uint64_t fbx_memdisk_used(const struct fbx_memdisk *md);
/** Callbacks taking a struct fbx_memdisk * as userdata: read, write,
 *  flush (a no-op: memory is as durable as it gets), trim, write_zeroes,
 *  cache (a no-op), extents, map, unmap. Pair with info.nonblocking = true,
 *  info.can_fua = true, info.can_multi_conn = true. */
extern const struct fbx_dev_ops fbx_memdisk_ops;

/*
 * Another ready-made device: a regular file or a block device. READ and
 * WRITE are pread/pwrite, FLUSH and FUA fdatasync, TRIM punches holes,
 * WRITE_ZEROES uses fallocate (FAST_ZERO fails with -ENOTSUP when only
 * writing zeroes would do), extents come from SEEK_DATA/SEEK_HOLE.
 * Callbacks block on disk I/O: leave info.nonblocking false. Used by
 * examples/filedisk and `fusebox-nbd file`.
 */
struct fbx_filedisk;
/** Open path (read-only or read-write). NULL + errno on error. */
struct fbx_filedisk *fbx_filedisk_open(const char *path, bool read_only);
/** Size in bytes (of the file, or of the block device). */
uint64_t fbx_filedisk_size(const struct fbx_filedisk *d);
void fbx_filedisk_close(struct fbx_filedisk *d);
/** Callbacks taking a struct fbx_filedisk * as userdata; pair with
 *  info.can_fua = true, info.can_multi_conn = true. */
extern const struct fbx_dev_ops fbx_filedisk_ops;

#ifdef __cplusplus
}
#endif
#endif
