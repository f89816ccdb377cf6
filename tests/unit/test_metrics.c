/* Unit tests for the metrics registry (metrics/metrics.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <re.h>
#include "metrics/metrics.h"

#define DROPPED "# HELP openseat_metrics_dropped_series_total New label " \
	"sets dropped because their family had 2000 already.\n" \
	"# TYPE openseat_metrics_dropped_series_total counter\n" \
	"openseat_metrics_dropped_series_total "

static char text[1 << 20];


static const char *render(void)
{
	struct mbuf *mb = mbuf_alloc(1024);

	assert_non_null(mb);
	assert_int_equal(metrics_render(mb), 0);
	assert_true(mb->end < sizeof(text));
	memcpy(text, mb->buf, mb->end);
	text[mb->end] = '\0';
	mem_deref(mb);

	return text;
}


static int teardown(void **state)
{
	(void)state;
	metrics_reset();

	return 0;
}


static void test_counter(void **state)
{
	struct metric *m, *m2;

	(void)state;
	assert_string_equal(render(), DROPPED "0\n");

	m = metric_counter("x_total", "Things.\nWith \\ newline.");
	assert_non_null(m);
	m2 = metric_counter("x_total", "other help");
	assert_ptr_equal(m, m2);

	metric_inc(m, NULL, 1);
	metric_inc(m, "", 2);
	metric_inc(m, "a=\"1\"", 0.5);
	metric_inc(m, "a=\"1\"", -5);     /* counters never go down */
	metric_set(m, NULL, 100);         /* nor are they set */
	metric_observe(m, NULL, 100);

	assert_string_equal(render(),
			    "# HELP x_total Things.\\nWith \\\\ newline.\n"
			    "# TYPE x_total counter\n"
			    "x_total 3\n"
			    "x_total{a=\"1\"} 0.5\n"
			    DROPPED "0\n");
}


static void test_gauge(void **state)
{
	struct metric *g;

	(void)state;
	g = metric_gauge("g", NULL);
	assert_non_null(g);
	assert_null(metric_counter("g", "clash"));
	assert_null(metric_histogram("g", "clash", NULL, 0));

	metric_set(g, "k=\"v\"", 5);
	metric_inc(g, "k=\"v\"", -7);
	metric_set(g, NULL, 0.1);
	assert_string_equal(render(),
			    "# HELP g \n# TYPE g gauge\n"
			    "g{k=\"v\"} -2\n"
			    "g 0.1\n"
			    DROPPED "0\n");
}


static void test_histogram(void **state)
{
	static const double b[] = {0.1, 1, 2.5};
	struct metric *h;

	(void)state;
	h = metric_histogram("lat_seconds", "Latency.", b, 3);
	assert_non_null(h);
	assert_ptr_equal(metric_histogram("lat_seconds", "x", b, 2), h);

	metric_observe(h, NULL, 0.05);
	metric_observe(h, NULL, 0.1);     /* le is inclusive */
	metric_observe(h, NULL, 0.5);
	metric_observe(h, NULL, 5);
	metric_observe(h, "r=\"/a\"", 2);
	metric_inc(h, NULL, 1);           /* ignored: not a counter */
	metric_set(h, NULL, 1);

	assert_string_equal(render(),
			    "# HELP lat_seconds Latency.\n"
			    "# TYPE lat_seconds histogram\n"
			    "lat_seconds_bucket{le=\"0.1\"} 2\n"
			    "lat_seconds_bucket{le=\"1\"} 3\n"
			    "lat_seconds_bucket{le=\"2.5\"} 3\n"
			    "lat_seconds_bucket{le=\"+Inf\"} 4\n"
			    "lat_seconds_sum 5.65\n"
			    "lat_seconds_count 4\n"
			    "lat_seconds_bucket{r=\"/a\",le=\"0.1\"} 0\n"
			    "lat_seconds_bucket{r=\"/a\",le=\"1\"} 0\n"
			    "lat_seconds_bucket{r=\"/a\",le=\"2.5\"} 1\n"
			    "lat_seconds_bucket{r=\"/a\",le=\"+Inf\"} 1\n"
			    "lat_seconds_sum{r=\"/a\"} 2\n"
			    "lat_seconds_count{r=\"/a\"} 1\n"
			    DROPPED "0\n");
}


static void test_bad_registration(void **state)
{
	static const double unsorted[] = {1, 0.5};
	static const double dup[] = {1, 1};
	const double inf[] = {1, 1.0 / 0.0};

	(void)state;
	assert_null(metric_counter(NULL, "x"));
	assert_null(metric_counter("", "x"));
	assert_null(metric_counter("1abc", "x"));
	assert_null(metric_counter("a-b", "x"));
	assert_null(metric_gauge("a b", "x"));
	assert_null(metric_histogram("h", "x", unsorted, 2));
	assert_null(metric_histogram("h", "x", dup, 2));
	assert_null(metric_histogram("h", "x", inf, 2));
	assert_null(metric_histogram("h", "x", NULL, 3));
	assert_non_null(metric_counter("ns:sub_total", "x"));

	/* NULL families are no-ops */
	metric_inc(NULL, NULL, 1);
	metric_set(NULL, NULL, 1);
	metric_observe(NULL, NULL, 1);
	assert_int_equal(metrics_render(NULL), EINVAL);
	assert_int_equal(metrics_on_collect(NULL, NULL), EINVAL);
}


static void test_series_limit(void **state)
{
	struct metric *m;
	char lb[64];

	(void)state;
	m = metric_counter("many_total", "x");
	for (unsigned i = 0; i < METRICS_MAX_SERIES + 5; i++) {
		(void)re_snprintf(lb, sizeof(lb), "id=\"%u\"", i);
		metric_inc(m, lb, 1);
	}
	/* existing sets still count, new ones are dropped */
	metric_inc(m, "id=\"0\"", 1);
	metric_inc(m, "id=\"new\"", 1);
	metric_inc(m, "bad=\"a\nb\"", 1);

	render();
	assert_non_null(strstr(text, "\nmany_total{id=\"0\"} 2\n"));
	assert_non_null(strstr(text, "\nmany_total{id=\"1999\"} 1\n"));
	assert_null(strstr(text, "id=\"2000\""));
	assert_null(strstr(text, "id=\"new\""));
	assert_null(strstr(text, "bad="));
	assert_non_null(strstr(text, DROPPED "7\n"));
}


static void collect(void *arg)
{
	unsigned *n = arg;
	struct metric *g = metric_gauge("collected", "x");

	++*n;
	metric_set(g, NULL, *n);
}


static void test_collect(void **state)
{
	unsigned n = 0;

	(void)state;
	assert_int_equal(metrics_on_collect(collect, &n), 0);
	render();
	assert_int_equal(n, 1);
	assert_non_null(strstr(text, "\ncollected 1\n"));
	render();
	assert_non_null(strstr(text, "\ncollected 2\n"));

	/* reset drops handlers and families */
	metrics_reset();
	assert_string_equal(render(), DROPPED "0\n");
	assert_int_equal(n, 2);
}


static void test_label_escape(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(metric_label_escape(out, sizeof(out), "a\"b\\c\nd"),
			 0);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	assert_int_equal(metric_label_escape(out, sizeof(out), ""), 0);
	assert_string_equal(out, "");

	/* exactly fits: 15 characters + NUL */
	assert_int_equal(metric_label_escape(out, sizeof(out),
					     "0123456789abcde"), 0);
	assert_int_equal(metric_label_escape(out, sizeof(out),
					     "0123456789abcdef"), ENOSPC);
	assert_string_equal(out, "");
	assert_int_equal(metric_label_escape(out, sizeof(out),
					     "0123456789abcd\""), ENOSPC);
	assert_int_equal(metric_label_escape(out, 0, "a"), EINVAL);
	assert_int_equal(metric_label_escape(NULL, 4, "a"), EINVAL);
	assert_int_equal(metric_label_escape(out, 4, NULL), EINVAL);
}


static void *hammer(void *arg)
{
	struct metric *m = arg;

	for (int i = 0; i < 20000; i++) {
		metric_inc(m, (i & 1) ? "t=\"odd\"" : "t=\"even\"", 1);
		metric_observe(metric_histogram("th", "x", NULL, 0), NULL, 1);
	}

	return NULL;
}


static void test_threads(void **state)
{
	struct metric *m = metric_counter("thr_total", "x");
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, m), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);

	render();
	assert_non_null(strstr(text, "\nthr_total{t=\"odd\"} 40000\n"));
	assert_non_null(strstr(text, "\nthr_total{t=\"even\"} 40000\n"));
	assert_non_null(strstr(text, "\nth_count 80000\n"));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_counter, teardown),
		cmocka_unit_test_teardown(test_gauge, teardown),
		cmocka_unit_test_teardown(test_histogram, teardown),
		cmocka_unit_test_teardown(test_bad_registration, teardown),
		cmocka_unit_test_teardown(test_series_limit, teardown),
		cmocka_unit_test_teardown(test_collect, teardown),
		cmocka_unit_test_teardown(test_label_escape, teardown),
		cmocka_unit_test_teardown(test_threads, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
