/* Tests for output files: atomic replacement, kept modes, links followed, devices and FIFOs
 * written in place and never replaced, errors that name the path. */
#include "testutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tokentop/outfile.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void write_all(const char *path, const char *text, bool ok)
{
	outfile o;
	char err[512] = "";
	if (outfile_open(&o, path, err, sizeof err))
		fail_msg("open %s: %s", path, err);
	fputs(text, o.f);
	if (outfile_close(&o, ok, err, sizeof err))
		fail_msg("close %s: %s", path, err);
}

/* Nothing but the named files is left in dir: no temporary beside them. */
static int entries(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_regular(void **state)
{
	(void)state;
	const char *dir = tu_tmpdir();
	char path[512];
	snprintf(path, sizeof path, "%s/out.csv", dir);
	write_all(path, "new file\n", true);
	assert_string_equal(get(path), "new file\n");

	/* replaced whole, its mode kept */
	assert_int_equal(chmod(path, 0640), 0);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	write_all(path, "second\n", true);
	assert_string_equal(get(path), "second\n");
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_mode & 07777, 0640);
	assert_true(after.st_ino != before.st_ino); /* a new file took the name */

	/* a failed write leaves the old file as it was, and nothing beside it */
	write_all(path, "half of a thi", false);
	assert_string_equal(get(path), "second\n");
	assert_int_equal(entries(dir), 1);
}

static void test_symlink(void **state)
{
	(void)state;
	const char *dir = tu_tmpdir();
	char target[512], link[512];
	snprintf(target, sizeof target, "%s/target.json", dir);
	snprintf(link, sizeof link, "%s/link.json", dir);
	put(target, "old\n");
	assert_int_equal(symlink(target, link), 0);
	write_all(link, "through the link\n", true);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* the link stays a link */
	assert_string_equal(get(target), "through the link\n");

	/* a link to a file not there yet creates it */
	char dangling[512], later[512];
	snprintf(later, sizeof later, "%s/later.json", dir);
	snprintf(dangling, sizeof dangling, "%s/dangling.json", dir);
	assert_int_equal(symlink(later, dangling), 0);
	write_all(dangling, "created\n", true);
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_string_equal(get(later), "created\n");
}

static void test_fifo(void **state)
{
	(void)state;
	const char *dir = tu_tmpdir();
	char fifo[512];
	snprintf(fifo, sizeof fifo, "%s/pipe", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *f = fopen(fifo, "r");
		char buf[64] = "";
		if (!f || !fgets(buf, sizeof buf, f))
			_exit(2);
		_exit(strcmp(buf, "into the pipe\n") ? 3 : 0);
	}
	write_all(fifo, "into the pipe\n", true);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	struct stat st;
	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode)); /* never replaced by a regular file */
}

static void test_device(void **state)
{
	(void)state;
	/* a node of /dev/null's device (never /dev/null itself: a regression here must not
	 * break the machine): written in place, still the character device afterwards */
	char null[512];
	snprintf(null, sizeof null, "%s/null", tu_tmpdir());
	if (mknod(null, S_IFCHR | 0666, makedev(1, 3)) != 0) {
		print_message("skipped: cannot make a device node here (%s)\n", strerror(errno));
		return;
	}
	struct stat before, after;
	assert_int_equal(stat(null, &before), 0);
	write_all(null, "gone\n", true);
	assert_int_equal(stat(null, &after), 0);
	assert_true(S_ISCHR(after.st_mode));
	assert_int_equal(after.st_rdev, before.st_rdev);
	assert_int_equal(after.st_ino, before.st_ino);
}

static void test_errors(void **state)
{
	(void)state;
	outfile o;
	char err[512] = "";
	assert_int_equal(outfile_open(&o, "/nonexistent-dir/x/out.csv", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x/out.csv"));
	assert_non_null(strstr(err, "directory exists"));
	const char *dir = tu_tmpdir();
	assert_int_equal(outfile_open(&o, dir, err, sizeof err), -1);
	assert_non_null(strstr(err, "is a directory"));
	/* standard output: "-" and NULL */
	assert_int_equal(outfile_open(&o, "-", err, sizeof err), 0);
	assert_ptr_equal(o.f, stdout);
	assert_int_equal(outfile_close(&o, true, err, sizeof err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regular), cmocka_unit_test(test_symlink),
	    cmocka_unit_test(test_fifo),    cmocka_unit_test(test_device),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
