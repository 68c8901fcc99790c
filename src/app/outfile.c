/* Output files: atomic replacement of regular files, in-place writes to devices and FIFOs. */
#include "tokentop/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void seterr(char *err, size_t errlen, const char *path, const char *what, int e)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s (%s)", path, what, strerror(e));
}

/* A temporary file beside final, with final's mode and owner when final exists. */
static int open_beside(outfile *o, const struct stat *old, char *err, size_t errlen)
{
	char dir[sizeof o->final], base[sizeof o->final];
	snprintf(dir, sizeof dir, "%s", o->final);
	snprintf(base, sizeof base, "%s", o->final);
	int n = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.XXXXXX", dirname(dir), basename(base));
	if (n < 0 || (size_t)n >= sizeof o->tmp) {
		seterr(err, errlen, o->path, "path too long", ENAMETOOLONG);
		return -1;
	}
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		seterr(err, errlen, o->path,
		       "cannot write beside it; check the directory exists and is writable", errno);
		o->tmp[0] = 0;
		return -1;
	}
	mode_t mode = 0666;
	const char *why = NULL;
	if (old) {
		mode = old->st_mode & 07777;
		if (fchown(fd, old->st_uid, old->st_gid) != 0 && geteuid() == 0)
			why = "cannot keep its owner";
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode &= ~mask;
	}
	if (!why && (fchmod(fd, mode) != 0 || !(o->f = fdopen(fd, "w"))))
		why = "cannot write";
	if (why) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		o->tmp[0] = 0;
		seterr(err, errlen, o->path, why, e);
		return -1;
	}
	return 0;
}

int outfile_open(outfile *o, const char *path, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		snprintf(o->path, sizeof o->path, "standard output");
		return 0;
	}
	if (snprintf(o->path, sizeof o->path, "%s", path) >= (int)sizeof o->path) {
		seterr(err, errlen, "output path", "too long", ENAMETOOLONG);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			/* a device, FIFO or terminal: written as it is, never replaced */
			if (S_ISDIR(st.st_mode)) {
				seterr(err, errlen, path, "is a directory; name a file", EISDIR);
				return -1;
			}
			if (!(o->f = fopen(path, "w"))) {
				seterr(err, errlen, path, "cannot write", errno);
				return -1;
			}
			return 0;
		}
		/* the file the path names in the end: a symlink's target is replaced, not the link
		 */
		char real[PATH_MAX];
		if (!realpath(path, real)) {
			seterr(err, errlen, path, "cannot resolve", errno);
			return -1;
		}
		snprintf(o->final, sizeof o->final, "%s", real);
		return open_beside(o, &st, err, errlen);
	}
	if (errno != ENOENT) {
		seterr(err, errlen, path, "cannot write", errno);
		return -1;
	}
	struct stat lst;
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		/* a link to nothing yet: create its target through it */
		if (!(o->f = fopen(path, "w"))) {
			seterr(err, errlen, path, "cannot write through the link", errno);
			return -1;
		}
		return 0;
	}
	snprintf(o->final, sizeof o->final, "%s", path);
	return open_beside(o, NULL, err, errlen);
}

int outfile_close(outfile *o, bool ok, char *err, size_t errlen)
{
	if (!o->f)
		return -1;
	if (o->f == stdout) {
		o->f = NULL;
		if (fflush(stdout) != 0 || ferror(stdout)) {
			seterr(err, errlen, o->path, "write error", errno ? errno : EIO);
			return -1;
		}
		return 0;
	}
	int rc = 0, e = 0;
	bool replaced = o->tmp[0] != 0;
	if (fflush(o->f) != 0 || ferror(o->f) || (o->tmp[0] && fsync(fileno(o->f)) != 0)) {
		rc = -1;
		e = errno ? errno : EIO;
	}
	if (fclose(o->f) != 0 && !rc) {
		rc = -1;
		e = errno;
	}
	o->f = NULL;
	if (o->tmp[0]) {
		if (!rc && ok && rename(o->tmp, o->final) != 0) {
			rc = -1;
			e = errno;
		}
		if (rc || !ok)
			unlink(o->tmp);
		o->tmp[0] = 0;
	}
	if (rc)
		seterr(err, errlen, o->path,
		       replaced ? "write error; the file was left as it was" : "write error", e);
	return rc;
}
