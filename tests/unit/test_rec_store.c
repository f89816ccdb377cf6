/* Unit tests for the recording directory (recording/rec_store.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#include "app.h"
#include "recording/rec_store.h"

#define TENANT "6e0af92f-0feb-4f7b-8a4c-040b2b4051c2"
#define REC    "0b8e7f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

static struct app app;
static char dir[64];


static int setup(void **state)
{
	char err[256];

	(void)state;
	strcpy(dir, "/tmp/openseat-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	(void)snprintf(app.cfg.recording_dir, sizeof(app.cfg.recording_dir),
		       "%s/rec", dir);

	return rec_store_init(&app, err, sizeof(err));
}


static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}


static void test_init(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(stat(rec_store_dir(), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_string_equal(rec_store_dir(), app.cfg.recording_dir);
}


static void test_unwritable(void **state)
{
	struct app bad = {0};
	char err[256] = "";
	char file[128];
	FILE *f;

	(void)state;
	/* a file where a directory should be: refused, even for root */
	(void)snprintf(file, sizeof(file), "%s/file", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	(void)snprintf(bad.cfg.recording_dir, sizeof(bad.cfg.recording_dir),
		       "%s/sub", file);
	assert_int_equal(rec_store_init(&bad, err, sizeof(err)), ENOTDIR);
	assert_non_null(strstr(err, bad.cfg.recording_dir));
	assert_non_null(strstr(err, "not writable"));

	/* set it back for the other tests */
	assert_int_equal(setup(NULL), 0);
}


static void test_rel(void **state)
{
	char rel[128];

	(void)state;
	/* 2026-11-23 15:59:59 UTC is still the 23rd in China... */
	assert_int_equal(rec_store_rel(rel, sizeof(rel), TENANT, REC,
				       1795449599000LL), 0);
	assert_string_equal(rel, TENANT "/2026/11/23/" REC ".osrec");
	/* ...16:00 UTC is the 24th */
	assert_int_equal(rec_store_rel(rel, sizeof(rel), TENANT, REC,
				       1795449600000LL), 0);
	assert_string_equal(rel, TENANT "/2026/11/24/" REC ".osrec");

	assert_int_equal(rec_store_rel(rel, sizeof(rel), "../x", REC, 0),
			 EINVAL);
	assert_int_equal(rec_store_rel(rel, sizeof(rel), TENANT, "a/b", 0),
			 EINVAL);
	assert_int_equal(rec_store_rel(rel, sizeof(rel), "", REC, 0), EINVAL);
	assert_int_equal(rec_store_rel(rel, sizeof(rel), NULL, REC, 0),
			 EINVAL);
	assert_int_equal(rec_store_rel(rel, 20, TENANT, REC, 0),
			 ENAMETOOLONG);
}


static void test_abs(void **state)
{
	static const char *const bad[] = {
		"", "/etc/passwd", "../x", "a/../../x", "a/..", "..", ".",
		"a/./b", "a//b", "a/", "a/b\\c", "a/b c", "a\nb", "a/%2e%2e/b",
		"a/b;rm", "~/x",
	};
	char abs[PATH_MAX], want[PATH_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(rec_store_abs(abs, sizeof(abs), bad[i]),
				 EINVAL);
	assert_int_equal(rec_store_abs(abs, sizeof(abs), NULL), EINVAL);

	assert_int_equal(rec_store_abs(abs, sizeof(abs),
				       TENANT "/2026/11/23/" REC ".osrec"), 0);
	(void)snprintf(want, sizeof(want), "%s/%s", rec_store_dir(),
		       TENANT "/2026/11/23/" REC ".osrec");
	assert_string_equal(abs, want);
	assert_int_equal(rec_store_abs(abs, 10, "a/b"), ENAMETOOLONG);
}


static void test_mkdirs(void **state)
{
	char abs[PATH_MAX];
	struct stat st;
	const char *rel = TENANT "/2027/01/02/" REC ".osrec";

	(void)state;
	assert_int_equal(rec_store_mkdirs(rel), 0);
	assert_int_equal(rec_store_mkdirs(rel), 0);
	assert_int_equal(rec_store_abs(abs, sizeof(abs), rel), 0);
	*strrchr(abs, '/') = '\0';
	assert_int_equal(stat(abs, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(rec_store_mkdirs("../evil/x.osrec"), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_rel),
		cmocka_unit_test(test_abs),
		cmocka_unit_test(test_mkdirs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
