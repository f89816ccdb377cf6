/* Process-wide metrics registry rendered in Prometheus text format. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "metrics/metrics.h"

#define LOG_MODULE "metrics"
#include "log/log.h"

#define DROPPED_NAME "openseat_metrics_dropped_series_total"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

/* A family: one name, one type, up to METRICS_MAX_SERIES label sets. */
struct metric {
	struct le le;             /**< in families                        */
	char *name;
	char *help;
	enum metric_type type;
	double *bounds;           /**< HISTOGRAM: upper bounds, ascending */
	unsigned nbounds;
	struct hash *seriesh;     /**< by labels; entries owned by seriesl */
	struct list seriesl;      /**< owning, in creation order          */
	unsigned nseries;
};

/* One label set of a family. */
struct series {
	struct le le;             /**< in metric->seriesl                  */
	struct le he;             /**< in metric->seriesh                  */
	char *labels;             /**< "" when there are none              */
	double value;             /**< COUNTER, GAUGE                      */
	double sum;               /**< HISTOGRAM                           */
	uint64_t count;
	uint64_t *buckets;        /**< per bound, not cumulative           */
};

struct collector {
	struct le le;
	metrics_collect_h *h;
	void *arg;
};

/*
 * Metrics are process-wide and may be touched from worker threads: the
 * lock guards families, every series and dropped. Collect handlers run
 * without it, since they call metric_set.
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct list families = LIST_INIT;    /**< owning                */
static struct list collectl = LIST_INIT;    /**< owning                */
static uint64_t dropped;


static void series_destructor(void *arg)
{
	struct series *s = arg;

	list_unlink(&s->le);
	hash_unlink(&s->he);
	mem_deref(s->labels);
	mem_deref(s->buckets);
}


static void metric_destructor(void *arg)
{
	struct metric *m = arg;

	list_unlink(&m->le);
	list_flush(&m->seriesl);
	mem_deref(m->seriesh);
	mem_deref(m->name);
	mem_deref(m->help);
	mem_deref(m->bounds);
}


static bool name_ok(const char *name)
{
	if (!name || !*name || (name[0] >= '0' && name[0] <= '9'))
		return false;

	for (const char *p = name; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == ':'))
			return false;
	}

	return true;
}


static bool bounds_ok(const double *bounds, unsigned nbounds)
{
	if (nbounds && !bounds)
		return false;

	for (unsigned i = 0; i < nbounds; i++) {
		if (!isfinite(bounds[i]) || (i && bounds[i] <= bounds[i - 1]))
			return false;
	}

	return true;
}


static struct metric *family_find(const char *name)
{
	struct le *le;

	LIST_FOREACH(&families, le) {
		struct metric *m = le->data;

		if (!strcmp(m->name, name))
			return m;
	}

	return NULL;
}


static int family_alloc(struct metric **mp, const char *name,
			const char *help, enum metric_type type,
			const double *bounds, unsigned nbounds)
{
	struct metric *m;
	int err;

	m = mem_zalloc(sizeof(*m), metric_destructor);
	if (!m)
		return ENOMEM;

	m->type = type;
	err  = str_dup(&m->name, name);
	err |= str_dup(&m->help, help ? help : "");
	err |= hash_alloc(&m->seriesh, 256);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	if (nbounds) {
		m->bounds = mem_alloc(nbounds * sizeof(*bounds), NULL);
		if (!m->bounds) {
			err = ENOMEM;
			goto out;
		}
		memcpy(m->bounds, bounds, nbounds * sizeof(*bounds));
		m->nbounds = nbounds;
	}

	list_append(&families, &m->le, m);

 out:
	if (err)
		mem_deref(m);
	else
		*mp = m;

	return err;
}


static struct metric *family_get(const char *name, const char *help,
				 enum metric_type type, const double *bounds,
				 unsigned nbounds)
{
	struct metric *m;

	if (!name_ok(name) || !bounds_ok(bounds, nbounds)) {
		log_warn("metric %s: bad name or histogram bounds",
			 name ? name : "(null)");
		return NULL;
	}

	pthread_mutex_lock(&lock);

	m = family_find(name);
	if (m && m->type != type) {
		log_warn("metric %s: registered before with another type",
			 name);
		m = NULL;
	}
	else if (!m && family_alloc(&m, name, help, type, bounds, nbounds)) {
		m = NULL;
	}

	pthread_mutex_unlock(&lock);

	return m;
}


/**
 * Register (or find) a counter family
 *
 * @param name Metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
 * @param help One line of help text
 *
 * @return The family, or NULL on bad name, type clash or no memory
 */
struct metric *metric_counter(const char *name, const char *help)
{
	return family_get(name, help, METRIC_COUNTER, NULL, 0);
}


/**
 * Register (or find) a gauge family
 *
 * @param name Metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
 * @param help One line of help text
 *
 * @return The family, or NULL on bad name, type clash or no memory
 */
struct metric *metric_gauge(const char *name, const char *help)
{
	return family_get(name, help, METRIC_GAUGE, NULL, 0);
}


/**
 * Register (or find) a histogram family
 *
 * @param name    Metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
 * @param help    One line of help text
 * @param bounds  Bucket upper bounds, finite and ascending (+Inf implied)
 * @param nbounds Number of bounds
 *
 * @return The family, or NULL on bad arguments, type clash or no memory
 */
struct metric *metric_histogram(const char *name, const char *help,
				const double *bounds, unsigned nbounds)
{
	return family_get(name, help, METRIC_HISTOGRAM, bounds, nbounds);
}


static bool series_cmp(struct le *le, void *arg)
{
	const struct series *s = le->data;

	return !strcmp(s->labels, arg);
}


/* Find or make the series for labels; caller holds lock. */
static struct series *series_get(struct metric *m, const char *labels)
{
	uint32_t key;
	struct series *s;
	struct le *le;

	if (!labels)
		labels = "";

	key = hash_joaat_str(labels);
	le = hash_lookup(m->seriesh, key, series_cmp, (void *)labels);
	if (le)
		return le->data;

	/* a raw newline would break the exposition format */
	if (m->nseries >= METRICS_MAX_SERIES || strchr(labels, '\n')) {
		++dropped;
		return NULL;
	}

	s = mem_zalloc(sizeof(*s), series_destructor);
	if (!s)
		return NULL;

	if (str_dup(&s->labels, labels))
		goto fail;

	if (m->nbounds) {
		s->buckets = mem_zalloc(m->nbounds * sizeof(*s->buckets),
					NULL);
		if (!s->buckets)
			goto fail;
	}

	list_append(&m->seriesl, &s->le, s);
	hash_append(m->seriesh, key, &s->he, s);
	++m->nseries;

	return s;

 fail:
	mem_deref(s);
	return NULL;
}


/**
 * Add v to a counter (v >= 0) or gauge
 *
 * @param m      Family (NULL is ignored)
 * @param labels Preformatted label pairs, or NULL
 * @param v      Amount to add
 */
void metric_inc(struct metric *m, const char *labels, double v)
{
	struct series *s;

	if (!m || m->type == METRIC_HISTOGRAM || isnan(v) ||
	    (m->type == METRIC_COUNTER && v < 0))
		return;

	pthread_mutex_lock(&lock);
	s = series_get(m, labels);
	if (s)
		s->value += v;
	pthread_mutex_unlock(&lock);
}


/**
 * Set a gauge
 *
 * @param m      Gauge family (NULL or other types are ignored)
 * @param labels Preformatted label pairs, or NULL
 * @param v      New value
 */
void metric_set(struct metric *m, const char *labels, double v)
{
	struct series *s;

	if (!m || m->type != METRIC_GAUGE)
		return;

	pthread_mutex_lock(&lock);
	s = series_get(m, labels);
	if (s)
		s->value = v;
	pthread_mutex_unlock(&lock);
}


/**
 * Record one observation in a histogram
 *
 * @param m      Histogram family (NULL or other types are ignored)
 * @param labels Preformatted label pairs, or NULL
 * @param v      Observed value
 */
void metric_observe(struct metric *m, const char *labels, double v)
{
	struct series *s;

	if (!m || m->type != METRIC_HISTOGRAM || isnan(v))
		return;

	pthread_mutex_lock(&lock);
	s = series_get(m, labels);
	if (s) {
		for (unsigned i = 0; i < m->nbounds; i++) {
			if (v <= m->bounds[i]) {
				++s->buckets[i];
				break;
			}
		}
		++s->count;
		s->sum += v;
	}
	pthread_mutex_unlock(&lock);
}


/**
 * Call h before every render, to refresh gauges
 *
 * @param h   Collect handler
 * @param arg Handler argument
 *
 * @return 0 if success, otherwise errorcode
 */
int metrics_on_collect(metrics_collect_h *h, void *arg)
{
	struct collector *c;

	if (!h)
		return EINVAL;

	c = mem_zalloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;

	c->h = h;
	c->arg = arg;

	pthread_mutex_lock(&lock);
	list_append(&collectl, &c->le, c);
	pthread_mutex_unlock(&lock);

	return 0;
}


/* Shortest text that reads back as the same double. */
static void fmt_double(char *buf, size_t sz, double v)
{
	if (isnan(v)) {
		(void)snprintf(buf, sz, "NaN");
		return;
	}
	if (isinf(v)) {
		(void)snprintf(buf, sz, v > 0 ? "+Inf" : "-Inf");
		return;
	}

	for (int prec = 15; prec <= 17; prec++) {
		(void)snprintf(buf, sz, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}


static int print_escaped_help(struct mbuf *mb, const char *help)
{
	int err = 0;

	for (const char *p = help; *p && !err; p++) {
		if (*p == '\\')
			err = mbuf_write_str(mb, "\\\\");
		else if (*p == '\n')
			err = mbuf_write_str(mb, "\\n");
		else
			err = mbuf_write_u8(mb, (uint8_t)*p);
	}

	return err;
}


static int render_sample(struct mbuf *mb, const char *name,
			 const char *suffix, const char *labels,
			 const char *extra, double v)
{
	bool sep = labels[0] && extra[0];
	char num[40];

	fmt_double(num, sizeof(num), v);

	if (!labels[0] && !extra[0])
		return mbuf_printf(mb, "%s%s %s\n", name, suffix, num);

	return mbuf_printf(mb, "%s%s{%s%s%s} %s\n", name, suffix, labels,
			   sep ? "," : "", extra, num);
}


static int render_histogram(struct mbuf *mb, const struct metric *m,
			    const struct series *s)
{
	uint64_t cum = 0;
	char le[64], num[40];
	int err = 0;

	for (unsigned i = 0; i < m->nbounds && !err; i++) {
		cum += s->buckets[i];
		fmt_double(num, sizeof(num), m->bounds[i]);
		(void)re_snprintf(le, sizeof(le), "le=\"%s\"", num);
		err = render_sample(mb, m->name, "_bucket", s->labels, le,
				    (double)cum);
	}

	err |= render_sample(mb, m->name, "_bucket", s->labels,
			     "le=\"+Inf\"", (double)s->count);
	err |= render_sample(mb, m->name, "_sum", s->labels, "", s->sum);
	err |= render_sample(mb, m->name, "_count", s->labels, "",
			     (double)s->count);

	return err;
}


static int render_family(struct mbuf *mb, const struct metric *m)
{
	static const char *const typev[] = {"counter", "gauge", "histogram"};
	struct le *le;
	int err;

	err  = mbuf_printf(mb, "# HELP %s ", m->name);
	err |= print_escaped_help(mb, m->help);
	err |= mbuf_printf(mb, "\n# TYPE %s %s\n", m->name, typev[m->type]);

	LIST_FOREACH(&m->seriesl, le) {
		const struct series *s = le->data;

		if (err)
			break;

		if (m->type == METRIC_HISTOGRAM)
			err = render_histogram(mb, m, s);
		else
			err = render_sample(mb, m->name, "", s->labels, "",
					    s->value);
	}

	return err;
}


/**
 * Run the collect handlers, then append every family to mb in the
 * Prometheus text exposition format 0.0.4
 *
 * @param mb Buffer to append to
 *
 * @return 0 if success, otherwise errorcode
 */
int metrics_render(struct mbuf *mb)
{
	struct le *le;
	int err = 0;

	if (!mb)
		return EINVAL;

	/* handlers take the lock themselves through metric_set */
	le = collectl.head;
	while (le) {
		struct collector *c = le->data;

		le = le->next;
		c->h(c->arg);
	}

	pthread_mutex_lock(&lock);

	LIST_FOREACH(&families, le) {
		err = render_family(mb, le->data);
		if (err)
			break;
	}

	if (!err && !family_find(DROPPED_NAME)) {
		err = mbuf_printf(mb, "# HELP %s New label sets dropped "
				  "because their family had %u already.\n"
				  "# TYPE %s counter\n%s %llu\n",
				  DROPPED_NAME, METRICS_MAX_SERIES,
				  DROPPED_NAME, DROPPED_NAME,
				  (unsigned long long)dropped);
	}

	pthread_mutex_unlock(&lock);

	return err;
}


/**
 * Free every family, series and collect handler; pointers returned by
 * metric_counter() and friends become invalid.
 */
void metrics_reset(void)
{
	pthread_mutex_lock(&lock);
	list_flush(&families);
	list_flush(&collectl);
	dropped = 0;
	pthread_mutex_unlock(&lock);
}


/**
 * Escape a label value for the text format: backslash, double quote and
 * line feed become \\, \" and \n.
 *
 * @param out Buffer for the escaped value ("" on error)
 * @param sz  Size of out
 * @param val Label value
 *
 * @return 0 if success, ENOSPC if out is too small, EINVAL on bad args
 */
int metric_label_escape(char *out, size_t sz, const char *val)
{
	size_t n = 0;

	if (!out || !sz || !val)
		return EINVAL;

	for (const char *p = val; *p; p++) {
		char esc = 0;

		if (*p == '\\' || *p == '"')
			esc = *p;
		else if (*p == '\n')
			esc = 'n';

		if (n + (esc ? 2 : 1) >= sz) {
			out[0] = '\0';
			return ENOSPC;
		}

		if (esc) {
			out[n++] = '\\';
			out[n++] = esc;
		}
		else {
			out[n++] = *p;
		}
	}

	out[n] = '\0';

	return 0;
}


/**
 * Format a histogram bucket label, le="<bound>" or le="+Inf" (libre's
 * printf has no %g, so this uses the C library's).
 */
void metric_le(char *out, size_t sz, double bound)
{
	if (isinf(bound))
		(void)snprintf(out, sz, "le=\"+Inf\"");
	else
		(void)snprintf(out, sz, "le=\"%g\"", bound);
}
