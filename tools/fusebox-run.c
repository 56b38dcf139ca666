/*
 * fusebox-run -- run an unchanged libfuse program on fusebox's drop-in
 * libraries.
 *
 *   fusebox-run [-c] [-f] [-q] [-L DIR] PROGRAM [ARGS...]
 *
 * The drop-in libraries (libfuse3.so.3 and libfuse.so.2) live in a
 * folder of their own: PREFIX/lib/fusebox when installed, build/compat
 * in the build tree; found beside this executable, or given with -L.
 * The program gets that folder first in LD_LIBRARY_PATH, so the loader
 * resolves its DT_NEEDED libfuse3.so.3 or libfuse.so.2 there and
 * nowhere else.
 *
 * Before exec the program's ELF file is read: it must name one of our
 * libraries in DT_NEEDED, and every symbol version it binds in that
 * library must be one we export, so a gap is a message naming the
 * symbol instead of a loader error half-way or a crash. Two loader
 * rules are handled: a DT_RPATH (without DT_RUNPATH) is searched before
 * LD_LIBRARY_PATH, so for such a program our library is preloaded by
 * full path (a loaded soname satisfies DT_NEEDED); and a set-user-ID,
 * set-group-ID or file-capability program runs in secure mode, where
 * the loader ignores both variables, so that is refused with the reason.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_LIBS 8
/* the version index of a versym entry (bit 15 marks a hidden symbol) */
#define VERSYM_VERSION 0x7fff

/* One mapped ELF file and the tables of its dynamic section. */
struct elf {
	const char *path;
	const unsigned char *map;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const Elf64_Sym *dynsym;
	size_t nsym;
	const char *dynstr;
	size_t dynstr_size;
	const Elf64_Versym *versym;
	const Elf64_Shdr *verneed, *verdef, *dynamic;
};

struct lib {
	char soname[64];
	char path[PATH_MAX];
	struct elf elf;
	bool needed;
};

static struct lib libs[MAX_LIBS];
static int nlibs;
static bool quiet;

static const void *at(const struct elf *e, size_t off, size_t len)
{
	if (off > e->size || len > e->size - off)
		return NULL;
	return e->map + off;
}

static const char *str(const struct elf *e, size_t off)
{
	if (off >= e->dynstr_size || !memchr(e->dynstr + off, 0, e->dynstr_size - off))
		return NULL;
	return e->dynstr + off;
}

/* Map PATH and find its dynamic tables; a message and -1 when it is not
 * a 64-bit ELF file this tool can read. No dynamic symbols is not an
 * error here (a static program): nsym stays 0. */
static int elf_open(struct elf *e, const char *path)
{
	memset(e, 0, sizeof *e);
	e->path = path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "fusebox-run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return 1; /* too small to be ELF: a script or data */
	}
	e->size = (size_t)st.st_size;
	void *m = mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "fusebox-run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	e->map = m;
	e->eh = m;
	if (memcmp(e->eh->e_ident, ELFMAG, SELFMAG) != 0)
		return 1;
	if (e->eh->e_ident[EI_CLASS] != ELFCLASS64 || e->eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		fprintf(stderr, "fusebox-run: %s: not a 64-bit little-endian ELF file; fusebox's libraries are\n", path);
		return -1;
	}
	if (e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !(e->sh = at(e, e->eh->e_shoff, (size_t)e->eh->e_shnum * sizeof(Elf64_Shdr)))) {
		fprintf(stderr, "fusebox-run: %s: no readable section headers\n", path);
		return -1;
	}
	for (unsigned i = 0; i < e->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &e->sh[i];
		switch (s->sh_type) {
		case SHT_DYNSYM:
			if (s->sh_link >= e->eh->e_shnum)
				break;
			e->dynsym = at(e, s->sh_offset, s->sh_size);
			e->nsym = e->dynsym ? s->sh_size / sizeof(Elf64_Sym) : 0;
			e->dynstr = at(e, e->sh[s->sh_link].sh_offset, e->sh[s->sh_link].sh_size);
			e->dynstr_size = e->dynstr ? e->sh[s->sh_link].sh_size : 0;
			if (!e->dynstr)
				e->nsym = 0;
			break;
		case SHT_GNU_versym:  e->versym = at(e, s->sh_offset, s->sh_size); break;
		case SHT_GNU_verneed: e->verneed = s; break;
		case SHT_GNU_verdef:  e->verdef = s; break;
		case SHT_DYNAMIC:     e->dynamic = s; break;
		}
	}
	if (e->versym && e->nsym && !at(e, (size_t)((const unsigned char *)e->versym - e->map),
					e->nsym * sizeof(Elf64_Versym)))
		e->versym = NULL;
	return 0;
}

static void elf_close(struct elf *e)
{
	if (e->map)
		munmap((void *)e->map, e->size);
	e->map = NULL;
}

/* Calls FN for each DT_ entry of TAG with its string; stops at nonzero. */
static int each_dyn_str(const struct elf *e, Elf64_Sxword tag,
			int (*fn)(const char *s, void *arg), void *arg)
{
	if (!e->dynamic || !e->dynstr)
		return 0;
	const Elf64_Dyn *d = at(e, e->dynamic->sh_offset, e->dynamic->sh_size);
	if (!d)
		return 0;
	for (size_t i = 0; i < e->dynamic->sh_size / sizeof *d && d[i].d_tag != DT_NULL; i++) {
		const char *s;
		if (d[i].d_tag == tag && (s = str(e, d[i].d_un.d_val))) {
			int r = fn(s, arg);
			if (r)
				return r;
		}
	}
	return 0;
}

static bool has_dyn(const struct elf *e, Elf64_Sxword tag)
{
	const Elf64_Dyn *d = e->dynamic ? at(e, e->dynamic->sh_offset, e->dynamic->sh_size) : NULL;
	for (size_t i = 0; d && i < e->dynamic->sh_size / sizeof *d && d[i].d_tag != DT_NULL; i++)
		if (d[i].d_tag == tag)
			return true;
	return false;
}

/* The version name of index NDX in a library's verdef table. */
static const char *verdef_name(const struct elf *e, unsigned ndx)
{
	if (!e->verdef)
		return NULL;
	size_t off = e->verdef->sh_offset, end = off + e->verdef->sh_size;
	for (unsigned n = 0; n < e->verdef->sh_info && off < end; n++) {
		const Elf64_Verdef *vd = at(e, off, sizeof *vd);
		if (!vd)
			return NULL;
		if (vd->vd_ndx == ndx) {
			const Elf64_Verdaux *va = at(e, off + vd->vd_aux, sizeof *va);
			return va ? str(e, va->vda_name) : NULL;
		}
		if (!vd->vd_next)
			break;
		off += vd->vd_next;
	}
	return NULL;
}

/* Does library L define NAME (at VERSION, when not NULL)? */
static bool lib_exports(const struct elf *l, const char *name, const char *version)
{
	for (size_t i = 1; i < l->nsym; i++) {
		const Elf64_Sym *s = &l->dynsym[i];
		const char *n;
		if (s->st_shndx == SHN_UNDEF || !(n = str(l, s->st_name)) || strcmp(n, name) != 0)
			continue;
		if (!version)
			return true;
		const char *v = l->versym ? verdef_name(l, l->versym[i] & VERSYM_VERSION) : NULL;
		if (v && strcmp(v, version) == 0)
			return true;
	}
	return false;
}

static struct lib *lib_named(const char *soname)
{
	for (int i = 0; i < nlibs; i++)
		if (strcmp(libs[i].soname, soname) == 0)
			return &libs[i];
	return NULL;
}

/* The library and version name a symbol's versym index VNDX stands for in
 * program P (from its verneed table); NULL library when it is not ours. */
static struct lib *need_of(const struct elf *p, unsigned vndx, const char **version)
{
	*version = NULL;
	if (!p->verneed)
		return NULL;
	size_t off = p->verneed->sh_offset;
	for (unsigned n = 0; n < p->verneed->sh_info; n++) {
		const Elf64_Verneed *vn = at(p, off, sizeof *vn);
		if (!vn)
			return NULL;
		size_t aoff = off + vn->vn_aux;
		for (unsigned a = 0; a < vn->vn_cnt; a++) {
			const Elf64_Vernaux *va = at(p, aoff, sizeof *va);
			if (!va)
				return NULL;
			if (va->vna_other == vndx) {
				const char *file = str(p, vn->vn_file);
				*version = str(p, va->vna_name);
				return file ? lib_named(file) : NULL;
			}
			if (!va->vna_next)
				break;
			aoff += va->vna_next;
		}
		if (!vn->vn_next)
			break;
		off += vn->vn_next;
	}
	return NULL;
}

/* The version nodes P requires from our libraries must all exist (a
 * whole node missing is what a program built for a newer libfuse has). */
static int check_nodes(const struct elf *p)
{
	int bad = 0;
	if (!p->verneed)
		return 0;
	size_t off = p->verneed->sh_offset;
	for (unsigned n = 0; n < p->verneed->sh_info; n++) {
		const Elf64_Verneed *vn = at(p, off, sizeof *vn);
		if (!vn)
			break;
		const char *file = str(p, vn->vn_file);
		struct lib *l = file ? lib_named(file) : NULL;
		size_t aoff = off + vn->vn_aux;
		for (unsigned a = 0; l && a < vn->vn_cnt; a++) {
			const Elf64_Vernaux *va = at(p, aoff, sizeof *va);
			const char *v = va ? str(p, va->vna_name) : NULL;
			if (!v)
				break;
			bool found = false;
			for (unsigned k = 1; k < 64 && !found; k++) {
				const char *d = verdef_name(&l->elf, k);
				found = d && strcmp(d, v) == 0;
			}
			if (!found) {
				fprintf(stderr, "fusebox-run: %s needs version %s of %s, which fusebox's %s does not define\n",
					p->path, v, file, l->path);
				bad++;
			}
			if (!va->vna_next)
				break;
			aoff += va->vna_next;
		}
		if (!vn->vn_next)
			break;
		off += vn->vn_next;
	}
	return bad;
}

/* Every undefined, non-weak symbol P binds in one of our libraries must
 * be exported there at the version it asks for. Returns how many lack. */
static int check_symbols(const struct elf *p)
{
	int bad = check_nodes(p);
	for (size_t i = 1; i < p->nsym; i++) {
		const Elf64_Sym *s = &p->dynsym[i];
		if (s->st_shndx != SHN_UNDEF || !p->versym)
			continue;
		unsigned vndx = p->versym[i] & VERSYM_VERSION;
		if (vndx <= 1)
			continue; /* unversioned: cannot tell which library it is from */
		const char *ver, *name = str(p, s->st_name);
		struct lib *l = need_of(p, vndx, &ver);
		if (!l || !name || !ver || lib_exports(&l->elf, name, ver))
			continue;
		if (ELF64_ST_BIND(s->st_info) == STB_WEAK)
			continue; /* the program copes with its absence */
		fprintf(stderr, "fusebox-run: %s needs %s@%s, which fusebox's %s does not export\n",
			p->path, name, ver, l->soname);
		bad++;
	}
	return bad;
}

static int note_needed(const char *s, void *arg)
{
	struct lib *l = lib_named(s);
	if (l)
		l->needed = true;
	else if (strncmp(s, "libfuse", 7) == 0)
		*(const char **)arg = s;
	return 0;
}

/* An rpath dir that holds one of our sonames would win over
 * LD_LIBRARY_PATH ($ORIGIN is the program's folder). */
static const char *rpath_prog_dir;
static int rpath_hides(const char *rp, void *arg)
{
	char buf[PATH_MAX];
	const char *p = rp;
	while (*p) {
		size_t n = strcspn(p, ":");
		char dir[PATH_MAX];
		if (n >= sizeof dir)
			return 0;
		memcpy(dir, p, n);
		dir[n] = 0;
		p += n + (p[n] == ':');
		const char *rest = NULL;
		if (strncmp(dir, "$ORIGIN", 7) == 0)
			rest = dir + 7;
		else if (strncmp(dir, "${ORIGIN}", 9) == 0)
			rest = dir + 9;
		int w = rest ? snprintf(buf, sizeof buf, "%s%s", rpath_prog_dir, rest)
			     : snprintf(buf, sizeof buf, "%s", dir);
		if (w < 0 || (size_t)w >= sizeof buf)
			continue;
		for (int i = 0; i < nlibs; i++) {
			char f[PATH_MAX + 64];
			int fw = snprintf(f, sizeof f, "%s/%s", buf, libs[i].soname);
			if (fw > 0 && (size_t)fw < sizeof f && libs[i].needed && access(f, F_OK) == 0) {
				*(const char **)arg = libs[i].path;
				return 1;
			}
		}
	}
	return 0;
}

/* Our folder: -L, else beside this executable (installed
 * PREFIX/bin -> PREFIX/lib/fusebox, build tree build/tools -> build/compat). */
static int find_libdir(char *out, size_t len, const char *given)
{
	if (given) {
		if (!realpath(given, out)) {
			fprintf(stderr, "fusebox-run: -L %s: %s\n", given, strerror(errno));
			return -1;
		}
		return 0;
	}
	char self[PATH_MAX], try[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		fprintf(stderr, "fusebox-run: cannot read /proc/self/exe: %s\n", strerror(errno));
		return -1;
	}
	self[n] = 0;
	*strrchr(self, '/') = 0;
	static const char *const rel[] = { "../lib/fusebox", "../compat" };
	for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
		snprintf(try, sizeof try, "%s/%s/libfuse3.so.3", self, rel[i]);
		if (access(try, R_OK) == 0) {
			snprintf(try, sizeof try, "%s/%s", self, rel[i]);
			if (realpath(try, out) && strlen(out) < len)
				return 0;
		}
	}
	fprintf(stderr, "fusebox-run: no fusebox libfuse next to %s (looked in ../lib/fusebox and ../compat); "
		"give the folder with -L DIR\n", self);
	return -1;
}

/* The libraries we offer: the sonames below that exist in DIR. */
static int load_libs(const char *dir)
{
	static const char *const sonames[] = { "libfuse3.so.3", "libfuse.so.2" };
	for (size_t i = 0; i < sizeof sonames / sizeof *sonames && nlibs < MAX_LIBS; i++) {
		struct lib *l = &libs[nlibs];
		int w = snprintf(l->path, sizeof l->path, "%s/%s", dir, sonames[i]);
		if (w < 0 || (size_t)w >= sizeof l->path || access(l->path, R_OK) != 0)
			continue;
		snprintf(l->soname, sizeof l->soname, "%s", sonames[i]);
		if (elf_open(&l->elf, l->path) != 0)
			return -1;
		nlibs++;
	}
	if (!nlibs) {
		fprintf(stderr, "fusebox-run: %s holds no fusebox libfuse (libfuse3.so.3, libfuse.so.2)\n", dir);
		return -1;
	}
	return 0;
}

/* PROGRAM as execvp would find it. */
static int resolve(const char *prog, char *out, size_t len)
{
	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) == 0 ? 0 : -errno;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int err = -ENOENT;
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(out, len, "%.*s%s%s", (int)n, path, n ? "/" : "", prog);
		struct stat st;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = -EACCES;
		}
		path += n + (path[n] == ':');
	}
	return err;
}

/* The loader ignores LD_LIBRARY_PATH and LD_PRELOAD (secure mode) for a
 * program that changes credentials on exec. */
static const char *secure_mode(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	if ((st.st_mode & S_ISUID) && st.st_uid != geteuid())
		return "set-user-ID";
	if ((st.st_mode & S_ISGID) && st.st_gid != getegid())
		return "set-group-ID";
	if (getxattr(path, "security.capability", NULL, 0) > 0 && geteuid() != 0)
		return "given file capabilities";
	return NULL;
}

static void prepend_env(const char *var, const char *val, char sep)
{
	const char *old = getenv(var);
	if (!old || !*old) {
		setenv(var, val, 1);
		return;
	}
	size_t n = strlen(val) + strlen(old) + 2;
	char *s = malloc(n);
	if (!s) {
		perror("fusebox-run");
		exit(127);
	}
	snprintf(s, n, "%s%c%s", val, sep, old);
	setenv(var, s, 1);
	free(s);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fusebox-run [options] PROGRAM [ARGS...]\n"
		"Runs PROGRAM, an unchanged libfuse program, on fusebox's libfuse3.so.3\n"
		"or libfuse.so.2.\n"
		"\n"
		"  -c, --check      check PROGRAM against our library and say so; do not run it\n"
		"  -f, --force      run even when PROGRAM does not link libfuse (a script or an\n"
		"                   interpreter that loads it later with dlopen)\n"
		"  -L, --libdir DIR the folder of fusebox's libfuse3.so.3 and libfuse.so.2\n"
		"                   (default: ../lib/fusebox next to this program, or\n"
		"                   ../compat in the build tree)\n"
		"  -q, --quiet      no notes on stderr, only errors\n"
		"  -h, --help       this help\n"
		"  -V, --version    fusebox's version\n"
		"\n"
		"Exit status: PROGRAM's, or 1 when it cannot run on fusebox (the reason on\n"
		"stderr), 2 on a usage error, 126/127 when it is not executable/not found.\n");
}

int main(int argc, char *argv[])
{
	static const struct option lopts[] = {
		{ "check", no_argument, NULL, 'c' }, { "force", no_argument, NULL, 'f' },
		{ "libdir", required_argument, NULL, 'L' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool check = false, force = false;
	const char *given = NULL;
	int c;
	/* '+': options end at PROGRAM; its own options are its business */
	while ((c = getopt_long(argc, argv, "+cfL:qhV", lopts, NULL)) != -1) {
		switch (c) {
		case 'c': check = true; break;
		case 'f': force = true; break;
		case 'L': given = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("fusebox-run %s\n", FBX_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fusebox-run: no PROGRAM given (try -h)\n");
		return 2;
	}
	char dir[PATH_MAX], prog[PATH_MAX];
	if (find_libdir(dir, sizeof dir, given) < 0 || load_libs(dir) < 0)
		return 1;
	int r = resolve(argv[optind], prog, sizeof prog);
	if (r < 0) {
		fprintf(stderr, "fusebox-run: %s: %s\n", argv[optind], strerror(-r));
		return r == -ENOENT ? 127 : 126;
	}

	struct elf p;
	r = elf_open(&p, prog);
	if (r < 0)
		return 1;
	const char *preload = NULL;
	if (r == 1) {
		/* a script: its interpreter decides what it loads */
		if (!force) {
			fprintf(stderr, "fusebox-run: %s is not an ELF program (a script?): cannot check it; "
				"-f runs it anyway with %s first in LD_LIBRARY_PATH\n", prog, dir);
			return 1;
		}
	} else {
		const char *other = NULL;
		each_dyn_str(&p, DT_NEEDED, note_needed, &other);
		bool any = false;
		for (int i = 0; i < nlibs; i++)
			any |= libs[i].needed;
		if (!any && !force) {
			if (other)
				fprintf(stderr, "fusebox-run: %s links %s; fusebox provides %s (in %s)\n",
					prog, other, libs[0].soname, dir);
			else if (!p.dynamic)
				fprintf(stderr, "fusebox-run: %s is statically linked: it carries its own libfuse, "
					"which no loader can replace\n", prog);
			else
				fprintf(stderr, "fusebox-run: %s is not dynamically linked against %s; "
					"nothing to replace (-f runs it anyway)\n", prog, libs[0].soname);
			return 1;
		}
		int bad = check_symbols(&p);
		if (bad) {
			fprintf(stderr, "fusebox-run: %s cannot run on fusebox: %d missing symbol%s or version%s\n",
				prog, bad, bad > 1 ? "s" : "", bad > 1 ? "s" : "");
			return 1;
		}
		if (!has_dyn(&p, DT_RUNPATH)) {
			rpath_prog_dir = prog;
			char pd[PATH_MAX];
			if (realpath(prog, pd)) {
				*strrchr(pd, '/') = 0;
				rpath_prog_dir = pd;
				each_dyn_str(&p, DT_RPATH, rpath_hides, &preload);
			}
		}
	}
	const char *why = secure_mode(prog);
	if (why) {
		fprintf(stderr, "fusebox-run: %s is %s: the loader ignores LD_LIBRARY_PATH and LD_PRELOAD "
			"for it, so it would run on the system's libfuse\n", prog, why);
		return 1;
	}
	elf_close(&p);
	for (int i = 0; i < nlibs; i++)
		elf_close(&libs[i].elf);

	if (check) {
		printf("%s: ok, runs on %s%s\n", prog, dir, preload ? " (preloaded: its DT_RPATH holds another libfuse)" : "");
		return 0;
	}
	prepend_env("LD_LIBRARY_PATH", dir, ':');
	if (preload) {
		prepend_env("LD_PRELOAD", preload, ':');
		if (!quiet)
			fprintf(stderr, "fusebox-run: %s has a DT_RPATH with its own libfuse: preloading %s\n",
				prog, preload);
	}
	execv(prog, argv + optind);
	r = errno;
	fprintf(stderr, "fusebox-run: %s: %s\n", prog, strerror(r));
	return r == ENOENT ? 127 : 126;
}
