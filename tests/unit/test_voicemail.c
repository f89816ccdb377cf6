/* Unit tests for keeping voicemail messages (voicemail/vm_keep.c) and
 * finding boxes (vm_store.c), against a real PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sndfile.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_main.h>
#include <re_tmr.h>
#include "app.h"
#include "db/db.h"
#include "event/event.h"
#include "worker/worker.h"
#include "voicemail/voicemail.h"
#include "dbt.h"
#include "loop.h"

static struct {
	struct dbt_env env;
	struct app app;
	struct db *admin;
	char tenant_a[40];
	char tenant_b[40];
	char box_default[40];      /* A's "default" */
	char box_sales[40];        /* A's "sales", greeting and 30 s */
	char dir[64];
	char wav[128];
	char tag[32];
} t;

/* What a keep or find reported, and the last voicemail event. */
static struct {
	bool done;
	int err;
	char message_id[40];
	struct voicemail_box box;
	char ev_type[64];
	char ev_message_id[40];
	char ev_caller[64];
	char ev_tenant[40];
	unsigned nevents;
} r;

static const struct db_ctx *const none = &dbt_none;


static void on_event(const struct event *ev, void *arg)
{
	const json_t *d = event_data(ev);
	(void)arg;

	if (strncmp(event_type(ev), "voicemail.", 10))
		return;

	r.nevents++;
	str_ncpy(r.ev_type, event_type(ev), sizeof(r.ev_type));
	str_ncpy(r.ev_tenant, event_tenant(ev), sizeof(r.ev_tenant));
	str_ncpy(r.ev_message_id, json_string_value(json_object_get(d,
		 "message_id")), sizeof(r.ev_message_id));
	str_ncpy(r.ev_caller, json_string_value(json_object_get(d,
		 "caller")), sizeof(r.ev_caller));
}


static void kept(int err, const char *message_id, void *arg)
{
	(void)arg;
	r.done = true;
	r.err = err;
	str_ncpy(r.message_id, message_id ? message_id : "",
		 sizeof(r.message_id));
	re_cancel();
}


static void found(int err, const struct voicemail_box *box, void *arg)
{
	(void)arg;
	r.done = true;
	r.err = err;
	if (box)
		r.box = *box;
	re_cancel();
}


static void wait_done(void)
{
	const uint64_t end = tmr_jiffies() + 10000;
	uint64_t now;

	while (!r.done && (now = tmr_jiffies()) < end)
		(void)loop_run((unsigned)(end - now));

	assert_true(r.done);
}


static void make_wav(unsigned ms)
{
	SF_INFO info = {.samplerate = 8000, .channels = 1,
			.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(t.wav, SFM_WRITE, &info);
	short s;

	assert_non_null(f);
	for (unsigned i = 0; i < ms * 8; i++) {
		s = (short)lrint(6000 * sin(2 * M_PI * 300 * i / 8000.0));
		assert_int_equal(sf_writef_short(f, &s, 1), 1);
	}
	sf_close(f);
}


static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}


/* Files in tenant A's voicemail folder. */
static unsigned nfiles(const char *tenant_id)
{
	char path[160];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	(void)re_snprintf(path, sizeof(path), "%s/voicemail/%s", t.dir,
			  tenant_id);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);

	return n;
}


static unsigned nrows(void)
{
	struct dbt_answer a;
	const char *pv[1] = {t.tenant_a};

	return (unsigned)atoi(dbt_val(t.admin, none, &a,
		"SELECT count(*) FROM voicemail_messages"
		" WHERE tenant_id = $1", 1, pv));
}


static int keep(const char *tenant_id, const char *box, unsigned ms,
		unsigned trim_ms)
{
	struct voicemail_new m = {
		.tenant_id = tenant_id, .box = box,
		.call_id = "7b0c7ad4-3f5e-4f0e-9a51-3c1d2f7e9b10",
		.caller = "13800138000", .number = "4008001234",
		.wav_path = t.wav, .duration_ms = ms, .trim_ms = trim_ms,
	};
	int err;

	memset(&r, 0, sizeof(r));
	err = voicemail_keep(&t.app, &m, kept, NULL);
	if (err)
		return err;

	wait_done();
	return r.err;
}


static int make_data(void)
{
	struct dbt_answer a;
	const char *pv[2];
	char code[48];

	re_snprintf(code, sizeof(code), "vma-%s", t.tag);
	pv[0] = code;
	str_ncpy(t.tenant_a, dbt_val(t.admin, none, &a,
		 "INSERT INTO tenants (code, name) VALUES ($1, $1)"
		 " RETURNING tenant_id", 1, pv), sizeof(t.tenant_a));
	re_snprintf(code, sizeof(code), "vmb-%s", t.tag);
	str_ncpy(t.tenant_b, dbt_val(t.admin, none, &a,
		 "INSERT INTO tenants (code, name) VALUES ($1, $1)"
		 " RETURNING tenant_id", 1, pv), sizeof(t.tenant_b));

	pv[0] = t.tenant_a;
	str_ncpy(t.box_default, dbt_val(t.admin, none, &a,
		 "INSERT INTO voicemail_boxes (tenant_id, name)"
		 " VALUES ($1, 'default') RETURNING box_id", 1, pv),
		 sizeof(t.box_default));
	str_ncpy(t.box_sales, dbt_val(t.admin, none, &a,
		 "INSERT INTO voicemail_boxes (tenant_id, name, greeting,"
		 " max_seconds) VALUES ($1, 'sales', 'builtin/closed', 30)"
		 " RETURNING box_id", 1, pv), sizeof(t.box_sales));

	return 0;
}


static int group_setup(void **state)
{
	(void)state;
	if (dbt_setup(&t.env))
		return -1;

	cfg_defaults(&t.app.cfg);
	(void)re_snprintf(t.dir, sizeof(t.dir), "/tmp/vm-keep-%d",
			  (int)getpid());
	str_ncpy(t.app.cfg.var_dir, t.dir, sizeof(t.app.cfg.var_dir));
	(void)re_snprintf(t.wav, sizeof(t.wav), "%s-rec.wav", t.dir);

	if (db_alloc(&t.app.db, t.env.app_url, 2, 16) ||
	    db_alloc(&t.admin, t.env.admin_url, 1, 16) ||
	    worker_pool_alloc(&t.app.workers, 2, 16))
		return -1;

	if (!dbt_wait_ready(t.app.db, 5000) ||
	    !dbt_wait_ready(t.admin, 5000)) {
		fprintf(stderr, "test_voicemail: database not ready\n");
		return -1;
	}

	re_snprintf(t.tag, sizeof(t.tag), "%d-%llu", (int)getpid(),
		    (unsigned long long)tmr_jiffies());
	if (event_subscribe(on_event, NULL))
		return -1;

	return make_data();
}


static int group_teardown(void **state)
{
	char cmd[160];
	(void)state;

	event_unsubscribe(on_event, NULL);
	t.app.workers = mem_deref(t.app.workers);
	t.app.db = mem_deref(t.app.db);
	t.admin = mem_deref(t.admin);
	(void)unlink(t.wav);
	(void)re_snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	if (system(cmd))
		fprintf(stderr, "%s failed\n", cmd);
	libre_close();

	return 0;
}


static void test_keep(void **state)
{
	struct dbt_answer a;
	char mp3[200], want[200];
	const char *pv[1];
	struct stat st;
	(void)state;

	make_wav(2500);
	assert_int_equal(keep(t.tenant_a, "default", 2500, 0), 0);
	assert_true(r.message_id[0]);
	assert_false(exists(t.wav));

	(void)re_snprintf(mp3, sizeof(mp3), "%s/voicemail/%s/%s.mp3", t.dir,
			  t.tenant_a, r.message_id);
	assert_int_equal(stat(mp3, &st), 0);

	pv[0] = r.message_id;
	(void)re_snprintf(want, sizeof(want), "%s unread 2500 13800138000 "
			  "4008001234 7b0c7ad4-3f5e-4f0e-9a51-3c1d2f7e9b10 "
			  "%lld t t", t.box_default, (long long)st.st_size);
	assert_string_equal(dbt_val(t.admin, none, &a,
		"SELECT concat_ws(' ', box_id, status, duration_ms, caller,"
		" number, call_id, size_bytes, read_at IS NULL,"
		" deleted_at IS NULL) FROM voicemail_messages"
		" WHERE message_id = $1", 1, pv), want);

	/* announced once, for the tenant, naming the message */
	assert_int_equal(r.nevents, 1);
	assert_string_equal(r.ev_type, "voicemail.recorded");
	assert_string_equal(r.ev_tenant, t.tenant_a);
	assert_string_equal(r.ev_message_id, r.message_id);
	assert_string_equal(r.ev_caller, "13800138000");
}


static void test_keep_by_id_and_trim(void **state)
{
	struct dbt_answer a;
	const char *pv[1];
	(void)state;

	make_wav(4000);
	assert_int_equal(keep(t.tenant_a, t.box_sales, 4000, 1500), 0);
	pv[0] = r.message_id;
	assert_string_equal(dbt_val(t.admin, none, &a,
		"SELECT b.name || ' ' || m.duration_ms FROM voicemail_messages"
		" m JOIN voicemail_boxes b USING (box_id)"
		" WHERE m.message_id = $1", 1, pv), "sales 2500");
}


static void test_short_dropped(void **state)
{
	unsigned rows = nrows(), files = nfiles(t.tenant_a);
	(void)state;

	make_wav(700);
	assert_int_equal(keep(t.tenant_a, "default", 700, 0), ENODATA);
	assert_string_equal(r.message_id, "");
	assert_false(exists(t.wav));
	assert_int_equal(nrows(), rows);
	assert_int_equal(nfiles(t.tenant_a), files);
	assert_int_equal(r.nevents, 0);

	/* 3 s that end in 2.5 s of silence are half a second of message */
	make_wav(3000);
	assert_int_equal(keep(t.tenant_a, "default", 3000, 2500), ENODATA);
	assert_int_equal(nrows(), rows);
	assert_int_equal(nfiles(t.tenant_a), files);
}


static void test_bad_wav(void **state)
{
	unsigned rows = nrows(), files = nfiles(t.tenant_a);
	FILE *f;
	(void)state;

	/* missing */
	(void)unlink(t.wav);
	assert_int_equal(keep(t.tenant_a, "default", 2000, 0), ENOENT);

	/* not audio */
	f = fopen(t.wav, "wb");
	assert_non_null(f);
	fputs("RIFF\x24\x10\0\0WAVEthis is not a recording at all", f);
	fclose(f);
	assert_int_equal(keep(t.tenant_a, "default", 2000, 0), EPROTO);
	assert_false(exists(t.wav));

	assert_int_equal(nrows(), rows);
	assert_int_equal(nfiles(t.tenant_a), files);
	assert_int_equal(r.nevents, 0);
}


static void test_no_box(void **state)
{
	unsigned rows = nrows(), files = nfiles(t.tenant_a);
	(void)state;

	/* encoded first, then refused: the MP3 must be gone again */
	make_wav(2000);
	assert_int_equal(keep(t.tenant_a, "nosuchbox", 2000, 0), ENOENT);
	assert_false(exists(t.wav));
	assert_int_equal(nrows(), rows);
	assert_int_equal(nfiles(t.tenant_a), files);

	/* another tenant's box, by id, is no box at all */
	make_wav(2000);
	assert_int_equal(keep(t.tenant_b, t.box_default, 2000, 0), ENOENT);
	assert_int_equal(nfiles(t.tenant_b), 0);
	assert_int_equal(nrows(), rows);
	assert_int_equal(r.nevents, 0);
}


static void test_bad_args(void **state)
{
	struct voicemail_new m = {
		.tenant_id = t.tenant_a, .box = "default",
		.wav_path = t.wav,
	};
	(void)state;

	make_wav(2000);
	memset(&r, 0, sizeof(r));
	assert_int_equal(voicemail_keep(NULL, &m, kept, NULL), EINVAL);
	assert_int_equal(voicemail_keep(&t.app, NULL, kept, NULL), EINVAL);
	m.tenant_id = "../../etc";
	assert_int_equal(voicemail_keep(&t.app, &m, kept, NULL), EINVAL);
	m.tenant_id = t.tenant_a;
	m.box = "";
	assert_int_equal(voicemail_keep(&t.app, &m, kept, NULL), EINVAL);
	m.box = "default";
	m.call_id = "not-a-uuid";
	assert_int_equal(voicemail_keep(&t.app, &m, kept, NULL), EINVAL);
	m.call_id = NULL;
	m.wav_path = NULL;
	assert_int_equal(voicemail_keep(&t.app, &m, kept, NULL), EINVAL);

	/* refused calls never answer and leave the recording alone */
	(void)loop_run(50);
	assert_false(r.done);
	assert_true(exists(t.wav));
	(void)unlink(t.wav);
}


static void test_box_find(void **state)
{
	(void)state;

	memset(&r, 0, sizeof(r));
	assert_int_equal(voicemail_box_find(&t.app, t.tenant_a, "default",
					    found, NULL), 0);
	wait_done();
	assert_int_equal(r.err, 0);
	assert_string_equal(r.box.box_id, t.box_default);
	assert_string_equal(r.box.greeting, VOICEMAIL_GREETING_DEFAULT);
	assert_int_equal(r.box.max_ms, 120000);

	memset(&r, 0, sizeof(r));
	assert_int_equal(voicemail_box_find(&t.app, t.tenant_a, t.box_sales,
					    found, NULL), 0);
	wait_done();
	assert_int_equal(r.err, 0);
	assert_string_equal(r.box.name, "sales");
	assert_string_equal(r.box.greeting, "builtin/closed");
	assert_int_equal(r.box.max_ms, 30000);

	memset(&r, 0, sizeof(r));
	assert_int_equal(voicemail_box_find(&t.app, t.tenant_b, "default",
					    found, NULL), 0);
	wait_done();
	assert_int_equal(r.err, ENOENT);

	assert_int_equal(voicemail_box_find(&t.app, "x", "default", found,
					    NULL), EINVAL);
	assert_int_equal(voicemail_box_find(&t.app, t.tenant_a, "", found,
					    NULL), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_keep_by_id_and_trim),
		cmocka_unit_test(test_short_dropped),
		cmocka_unit_test(test_bad_wav),
		cmocka_unit_test(test_no_box),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_box_find),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
