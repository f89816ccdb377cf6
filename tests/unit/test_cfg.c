/* Unit tests for the configuration loader (config/cfg.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/cfg.h"

#define EXAMPLE "config/openseat.conf.example"

static char tmppath[64];


static const char *write_tmp(const char *text)
{
	int fd;

	(void)snprintf(tmppath, sizeof(tmppath), "/tmp/test_cfg_XXXXXX");
	fd = mkstemp(tmppath);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	return tmppath;
}


/* The example lives in the source tree; tests may run from below it. */
static const char *example_path(void)
{
	static const char *const prefixv[] = {"", "../", "../../",
					      "../../../"};
	static char path[256];

	for (size_t i = 0; i < sizeof(prefixv) / sizeof(prefixv[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s%s", prefixv[i],
			       EXAMPLE);
		if (access(path, R_OK) == 0)
			return path;
	}

	fail_msg("%s not found", EXAMPLE);
	return NULL;
}


static int parse(struct cfg *cfg, const char *text, unsigned *nwarnp,
		 char *errbuf, size_t errsz)
{
	return cfg_parse_buf(cfg, (const uint8_t *)text, strlen(text),
			     nwarnp, errbuf, errsz);
}


static int setup(void **state)
{
	(void)state;
	unsetenv("OPENSEAT_HTTP_PORT");
	unsetenv("OPENSEAT_LOG_LEVEL");
	unsetenv("OPENSEAT_TLS_CERT");

	return 0;
}


static int teardown(void **state)
{
	(void)state;
	if (tmppath[0])
		unlink(tmppath);
	tmppath[0] = '\0';

	return setup(state);
}


static void test_defaults(void **state)
{
	struct cfg cfg;
	char err[256] = "";

	(void)state;
	cfg_defaults(&cfg);
	assert_string_equal(cfg.http_addr, "0.0.0.0");
	assert_int_equal(cfg.http_port, 8443);
	assert_string_equal(cfg.tls_cert, "");
	assert_string_equal(cfg.web_root, "web");
	assert_int_equal(cfg.db_pool_size, 4);
	assert_int_equal(cfg.db_max_queue, 1000);
	assert_int_equal(cfg.workers, 2);
	assert_string_equal(cfg.log_level, "info");
	assert_string_equal(cfg.log_format, "json");
	assert_int_equal(cfg.sip_port, 5060);
	assert_int_equal(cfg.rtp_port_min, 20000);
	assert_int_equal(cfg.rtp_port_max, 30000);
	assert_int_equal(cfg.access_token_ttl, 900);
	assert_int_equal(cfg.refresh_token_ttl, 2592000);
	assert_int_equal(cfg.max_body, 1048576);
	assert_int_equal(cfg.login_max_failures, 5);
	assert_int_equal(cfg.login_window, 300);
	assert_int_equal(cfg.login_ban, 300);
	assert_int_equal(cfg.ws_max_queue, 256);
	assert_int_equal(cfg.ws_ping_interval, 30);
	assert_string_equal(cfg.var_dir, "var");
	assert_string_equal(cfg.migrations_dir, "migrations");

	/* no file, no environment: exactly the defaults */
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(cfg_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.http_port, 8443);
	assert_string_equal(cfg.log_level, "info");
}


static void test_example_file(void **state)
{
	struct cfg def, cfg;
	char err[256] = "";
	unsigned nwarn = 99;
	const char *path = example_path();
	FILE *f = fopen(path, "rb");
	char buf[16384];
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(buf));

	cfg_defaults(&def);
	cfg_defaults(&cfg);
	assert_int_equal(cfg_parse_buf(&cfg, (uint8_t *)buf, n, &nwarn, err,
				       sizeof(err)), 0);
	assert_int_equal(nwarn, 0);

	/* the example documents the defaults, nothing else */
	assert_memory_equal(&cfg, &def, sizeof(cfg));

	assert_int_equal(cfg_load(&cfg, path, err, sizeof(err)), 0);
	assert_memory_equal(&cfg, &def, sizeof(cfg));
}


static void test_file_values(void **state)
{
	struct cfg cfg;
	char err[256] = "";
	unsigned nwarn = 99;

	(void)state;
	cfg_defaults(&cfg);
	assert_int_equal(parse(&cfg,
			       "# comment\n"
			       "http_port 9000   # trailing comment\n"
			       "  log_level\tdebug\r\n"
			       "database_url postgresql://u:p#w@h/db\n"
			       "tls_cert c.pem\ntls_key k.pem\n"
			       "\n", &nwarn, err, sizeof(err)), 0);
	assert_int_equal(nwarn, 0);
	assert_int_equal(cfg.http_port, 9000);
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.database_url, "postgresql://u:p#w@h/db");
	assert_string_equal(cfg.tls_cert, "c.pem");
	assert_string_equal(cfg.web_root, "web");

	/* key that only prefixes another key is not confused with it */
	cfg_defaults(&cfg);
	assert_int_equal(parse(&cfg, "login_ban 77\nlogin_window 88\n",
			       NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.login_ban, 77);
	assert_int_equal(cfg.login_window, 88);
}


static void test_unknown_and_repeated(void **state)
{
	struct cfg cfg;
	char err[256] = "";
	unsigned nwarn = 0;

	(void)state;
	cfg_defaults(&cfg);
	assert_int_equal(parse(&cfg, "htp_port 1\nworkers 3\n", &nwarn, err,
			       sizeof(err)), 0);
	assert_int_equal(nwarn, 1);
	assert_int_equal(cfg.workers, 3);

	assert_int_equal(parse(&cfg, "workers 5\nworkers 6\n", &nwarn, err,
			       sizeof(err)), 0);
	assert_int_equal(nwarn, 1);
	assert_int_equal(cfg.workers, 5);
}


static void expect_bad(const char *text, const char *msg)
{
	struct cfg cfg, before;
	char err[256] = "";

	cfg_defaults(&cfg);
	before = cfg;
	assert_int_equal(parse(&cfg, text, NULL, err, sizeof(err)), EINVAL);
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	if (!strstr(err, msg))
		fail_msg("for \"%s\": message \"%s\" lacks \"%s\"", text,
			 err, msg);
}


static void test_bad_values(void **state)
{
	char longv[700];

	(void)state;
	expect_bad("http_port 70000\n",
		   "http_port: 70000 is out of range 1..65535");
	expect_bad("http_port 0\n", "http_port: 0 is out of range 1..65535");
	expect_bad("http_port abc\n", "http_port: \"abc\" is not a whole "
		   "number (accepted: 1..65535)");
	expect_bad("http_port -1\n", "http_port: \"-1\" is not a whole");
	expect_bad("http_port 80x\n", "http_port: \"80x\" is not");
	expect_bad("http_port 99999999999999999999999\n",
		   "is out of range 1..65535");
	expect_bad("db_pool_size 65\n", "db_pool_size: 65 is out of range "
		   "1..64");
	expect_bad("max_body 1023\n", "max_body: 1023 is out of range");
	expect_bad("log_level loud\n",
		   "log_level: \"loud\" is not one of debug|info|warn|error");
	expect_bad("log_format xml\n", "json|text");
	expect_bad("http_port\n", "http_port: missing value");
	expect_bad("web_root my web\n", "web_root: the value must be one "
		   "word");
	/* a bad value after a good one changes nothing */
	expect_bad("workers 9\nhttp_port 70000\n", "http_port");

	memset(longv, 'a', sizeof(longv));
	memcpy(longv, "web_root ", 9);
	longv[sizeof(longv) - 2] = '\n';
	longv[sizeof(longv) - 1] = '\0';
	expect_bad(longv, "web_root: value is too long (at most 511 bytes)");
}


static void test_cross_checks(void **state)
{
	struct cfg cfg;
	char err[256] = "";
	const char *p;

	(void)state;
	p = write_tmp("rtp_port_min 30000\nrtp_port_max 30000\n");
	cfg_defaults(&cfg);
	cfg.workers = 7;
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "rtp_port_min: 30000 must be below "
			    "rtp_port_max (30000)");
	assert_int_equal(cfg.workers, 7);
	unlink(p);

	p = write_tmp("jwt_secret shortsecretvalue\n");
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "jwt_secret: must be at least 32"));
	assert_null(strstr(err, "shortsecretvalue"));
	unlink(p);

	p = write_tmp("jwt_secret 0123456789abcdef0123456789abcdef\n");
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_secret,
			    "0123456789abcdef0123456789abcdef");
	unlink(p);

	p = write_tmp("tls_cert c.pem\n");
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "tls_key: required when tls_cert is set");
}


static void test_missing_file(void **state)
{
	struct cfg cfg;
	char err[256] = "";

	(void)state;
	cfg_defaults(&cfg);
	assert_int_equal(cfg_load(&cfg, "/nonexistent/openseat.conf", err,
				  sizeof(err)), ENOENT);
	assert_non_null(strstr(err, "/nonexistent/openseat.conf"));

	/* no errbuf at all must not crash */
	assert_int_equal(cfg_load(&cfg, "/nonexistent/x", NULL, 0), ENOENT);
	assert_int_equal(cfg_load(NULL, NULL, NULL, 0), EINVAL);
	assert_int_equal(cfg_parse_buf(NULL, NULL, 0, NULL, NULL, 0), EINVAL);
}


static void test_env(void **state)
{
	struct cfg cfg;
	char err[256] = "";
	const char *p;

	(void)state;
	p = write_tmp("http_port 9000\nlog_level warn\n");
	setenv("OPENSEAT_HTTP_PORT", "9100", 1);
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), 0);
	assert_int_equal(cfg.http_port, 9100);
	assert_string_equal(cfg.log_level, "warn");

	/* an empty variable clears a string key */
	setenv("OPENSEAT_TLS_CERT", "", 1);
	assert_int_equal(cfg_load(&cfg, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.tls_cert, "");

	setenv("OPENSEAT_HTTP_PORT", "", 1);
	cfg.workers = 11;
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), EINVAL);
	assert_int_equal(cfg.workers, 11);

	setenv("OPENSEAT_HTTP_PORT", "70000", 1);
	assert_int_equal(cfg_load(&cfg, p, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "http_port: 70000 is out of range"));
	assert_non_null(strstr(err, "OPENSEAT_HTTP_PORT"));

	unsetenv("OPENSEAT_HTTP_PORT");
	setenv("OPENSEAT_LOG_LEVEL", "verbose", 1);
	assert_int_equal(cfg_load(&cfg, NULL, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, "log_level"));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_example_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_repeated,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cross_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
