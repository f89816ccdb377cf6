/* The operator's commands: migrate, tenant/user/operator create, demo. */
#include <stdio.h>
#include <string.h>
#include <getopt.h>
#include <re.h>
#define LOG_MODULE "cli"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "auth/password.h"
#include "core/uuid.h"
#include "region/region.h"
#include "cli/cli.h"
#include "acdcfg/acdcfg.h"
#include "crm/customer.h"
#include "crm/ticket.h"

/*
 * Commands run one statement at a time through the same asynchronous db
 * module the server uses, turning the loop until each answers. Password
 * hashing blocks here, which is fine: no one else is on this loop.
 */

struct answer {
	int err;
	bool done;
	unsigned rows;
	char val[128];          /**< first column of the first row */
	char msg[256];
};

static const struct db_ctx op = {DB_OPERATOR, NULL};


static void answered(int err, const struct db_res *res, void *arg)
{
	struct answer *a = arg;
	const char *v;

	a->err = err;
	a->done = true;
	if (!err) {
		a->rows = db_nrows(res, 0);
		v = a->rows ? db_val(res, 0, 0, 0) : NULL;
		str_ncpy(a->val, v ? v : "", sizeof(a->val));
	}
	else if (res && db_errmsg(res)) {
		str_ncpy(a->msg, db_errmsg(res), sizeof(a->msg));
	}
	re_cancel();
}


static void give_up(void *arg)
{
	struct answer *a = arg;

	a->err = ETIMEDOUT;
	re_cancel();
}


/* Run one statement and wait for it (30 s at most). */
static int exec(struct db *db, struct answer *a, const char *sql,
		unsigned n, const char *const *pv)
{
	struct tmr t;
	int err;

	memset(a, 0, sizeof(*a));
	tmr_init(&t);
	for (int i = 0; i < 100 && !db_ready(db); i++) {
		tmr_start(&t, 50, give_up, a);
		(void)re_main(NULL);
		a->err = 0;
	}

	err = db_query(db, &op, answered, a, sql, n, pv);
	if (err)
		return err;

	tmr_start(&t, 30000, give_up, a);
	while (!a->done && a->err != ETIMEDOUT)
		(void)re_main(NULL);
	tmr_cancel(&t);

	if (a->err && a->err != ETIMEDOUT && a->msg[0])
		fprintf(stderr, "openseat: %s\n", a->msg);

	return a->err;
}


static int hash_pw(char hash[PASSWORD_HASH_LEN], const char *pw)
{
	if (password_check_policy(pw)) {
		fprintf(stderr, "openseat: passwords need 8 to 256 characters"
			" with at least one letter and one digit\n");
		return EINVAL;
	}

	return password_hash(hash, pw);
}


static int create_tenant(struct db *db, const char *code, const char *name,
			 const char *seats, char tid[UUID_STRLEN])
{
	static const char sql[] =
		"INSERT INTO tenants (tenant_id, code, name, seat_quota)"
		" VALUES ($1, $2, $3, $4::int) ON CONFLICT (code) DO UPDATE"
		" SET code = EXCLUDED.code RETURNING tenant_id";
	const char *pv[4];
	struct answer a;
	int err;

	uuid_v4(tid);
	pv[0] = tid;
	pv[1] = code;
	pv[2] = name;
	pv[3] = seats ? seats : "10";
	err = exec(db, &a, sql, 4, pv);
	if (!err)
		str_ncpy(tid, a.val, UUID_STRLEN);

	return err;
}


static int create_user(struct db *db, const char *tid, const char *user,
		       const char *hash, const char *role, const char *dname)
{
	static const char sql[] =
		"INSERT INTO users (user_id, tenant_id, username,"
		" display_name, role, password_hash)"
		" VALUES ($1, $2, $3, $4, $5, $6)"
		" ON CONFLICT (tenant_id, username) WHERE deleted_at IS NULL"
		" DO NOTHING RETURNING user_id";
	char uid[UUID_STRLEN];
	const char *pv[6];
	struct answer a;
	int err;

	uuid_v4(uid);
	pv[0] = uid;
	pv[1] = tid;
	pv[2] = user;
	pv[3] = dname ? dname : "";
	pv[4] = role;
	pv[5] = hash;
	err = exec(db, &a, sql, 6, pv);
	if (!err && !a.rows)
		log_info("user %s exists already; left as it is", user);

	return err;
}


static int create_operator(struct db *db, const char *user,
			   const char *hash)
{
	static const char sql[] =
		"INSERT INTO operators (operator_id, username, display_name,"
		" password_hash) VALUES ($1, $2, $2, $3)"
		" ON CONFLICT (username) DO NOTHING RETURNING operator_id";
	char oid[UUID_STRLEN];
	const char *pv[3];
	struct answer a;
	int err;

	uuid_v4(oid);
	pv[0] = oid;
	pv[1] = user;
	pv[2] = hash;
	err = exec(db, &a, sql, 3, pv);
	if (!err && !a.rows)
		log_info("operator %s exists already; left as it is", user);

	return err;
}


static int find_tenant(struct db *db, const char *code,
		       char tid[UUID_STRLEN])
{
	static const char sql[] =
		"SELECT tenant_id FROM tenants WHERE code = $1";
	struct answer a;
	int err;

	err = exec(db, &a, sql, 1, &code);
	if (err)
		return err;
	if (!a.rows) {
		fprintf(stderr, "openseat: no tenant with code '%s'\n", code);
		return ENOENT;
	}

	str_ncpy(tid, a.val, UUID_STRLEN);
	return 0;
}


/* Options of every command; each uses the ones it needs. */
struct opts {
	const char *code, *name, *seats, *admin_user, *admin_pw;
	const char *tenant, *username, *password, *role, *display_name;
};


static int parse_opts(struct opts *o, int argc, char *argv[])
{
	static const struct option lo[] = {
		{"code", 1, NULL, 'c'}, {"name", 1, NULL, 'n'},
		{"seats", 1, NULL, 's'}, {"admin-user", 1, NULL, 'a'},
		{"admin-password", 1, NULL, 'A'}, {"tenant", 1, NULL, 't'},
		{"username", 1, NULL, 'u'}, {"password", 1, NULL, 'p'},
		{"role", 1, NULL, 'r'}, {"display-name", 1, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	const char **slot[128] = {0};
	int ch;

	slot['c'] = &o->code;      slot['n'] = &o->name;
	slot['s'] = &o->seats;     slot['a'] = &o->admin_user;
	slot['A'] = &o->admin_pw;  slot['t'] = &o->tenant;
	slot['u'] = &o->username;  slot['p'] = &o->password;
	slot['r'] = &o->role;      slot['d'] = &o->display_name;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch < 0 || ch >= 128 || !slot[ch])
			return EINVAL;
		*slot[ch] = optarg;
	}

	return 0;
}


static int need(const char *v, const char *flag)
{
	if (v && *v)
		return 0;

	fprintf(stderr, "openseat: %s is required\n", flag);
	return EINVAL;
}


static int cmd_tenant(struct db *db, const struct opts *o)
{
	char tid[UUID_STRLEN], hash[PASSWORD_HASH_LEN];
	int err;

	err = need(o->code, "--code") ? EINVAL : need(o->name, "--name");
	if (!err && o->admin_user)
		err = need(o->admin_pw, "--admin-password");
	if (!err && o->admin_user)
		err = hash_pw(hash, o->admin_pw);
	err = err ? err : create_tenant(db, o->code, o->name, o->seats, tid);
	if (!err && o->admin_user)
		err = create_user(db, tid, o->admin_user, hash, "admin",
				  NULL);
	if (!err)
		printf("%s\n", tid);

	return err;
}


static int cmd_user(struct db *db, const struct opts *o)
{
	char tid[UUID_STRLEN], hash[PASSWORD_HASH_LEN];
	int err;

	err = need(o->tenant, "--tenant") ? EINVAL :
		need(o->username, "--username") ? EINVAL :
		need(o->password, "--password") ? EINVAL :
		need(o->role, "--role");
	err = err ? err : hash_pw(hash, o->password);
	err = err ? err : find_tenant(db, o->tenant, tid);

	return err ? err : create_user(db, tid, o->username, hash, o->role,
				       o->display_name);
}


static int cmd_operator(struct db *db, const struct opts *o)
{
	char hash[PASSWORD_HASH_LEN];
	int err;

	err = need(o->username, "--username") ? EINVAL :
		need(o->password, "--password");
	err = err ? err : hash_pw(hash, o->password);

	return err ? err : create_operator(db, o->username, hash);
}


/* The box the demo IVR's voicemail node names. */
static int create_voicemail_box(struct db *db, const char *tid,
				const char *name)
{
	static const char sql[] =
		"INSERT INTO voicemail_boxes (tenant_id, name, description)"
		" VALUES ($1, $2, '默认信箱') ON CONFLICT DO NOTHING";
	const char *pv[2] = {tid, name};
	struct answer a;

	return exec(db, &a, sql, 2, pv);
}


/*
 * The demo IVR answers 4001000100, delivered by a trunk that trusts this
 * machine (127.0.0.1 and ::1) without credentials: a SIP phone or sipp
 * pointed at 127.0.0.1:5060 reaches it. The flow comes from
 * config/demo-flow.json (next to the migrations). A demo number with no
 * label (seeded before labels existed) gets one; an admin's label stays.
 */
static int create_demo_ivr(struct db *db, const char *tid,
			   const char *graph)
{
	static const char flow_sql[] =
		"WITH f AS (INSERT INTO flows (tenant_id, name, description,"
		" current_version) VALUES ($1, '演示导航', $2::jsonb->>"
		"'description', 1) ON CONFLICT (tenant_id, name) DO NOTHING"
		" RETURNING tenant_id, flow_id),"
		" v AS (INSERT INTO flow_versions (tenant_id, flow_id,"
		" version, graph) SELECT tenant_id, flow_id, 1, $2::jsonb"
		" FROM f)"
		" INSERT INTO flow_prompts (tenant_id, flow_id, prompt_ref)"
		" SELECT DISTINCT f.tenant_id, f.flow_id, r.ref FROM f,"
		" jsonb_each($2::jsonb->'nodes') AS n(id, node),"
		" LATERAL (SELECT jsonb_array_elements_text(COALESCE("
		"n.node->'prompts', '[]')) UNION SELECT n.node->>"
		"'invalid_prompt' UNION SELECT n.node->>'timeout_prompt')"
		" AS r(ref) WHERE r.ref IS NOT NULL";
	static const char line_sql[] =
		"WITH t AS (INSERT INTO trunks (tenant_id, name, allow_addrs)"
		" VALUES ($1, '本机演示中继', ARRAY['127.0.0.1', '::1'])"
		" ON CONFLICT (name) DO NOTHING RETURNING trunk_id)"
		" INSERT INTO numbers (tenant_id, number, flow_id, label)"
		" SELECT $1, '4001000100', flow_id, '客服热线' FROM flows"
		" WHERE tenant_id = $1 AND name = '演示导航'"
		" ON CONFLICT (number) DO UPDATE SET label = EXCLUDED.label"
		" WHERE numbers.label = ''"
		" AND numbers.tenant_id = EXCLUDED.tenant_id";
	const char *pv[2] = {tid, graph};
	struct answer a;
	int err;

	err = exec(db, &a, flow_sql, 2, pv);

	return err ? err : exec(db, &a, line_sql, 1, pv);
}


static int read_text(char **textp, const char *path)
{
	struct mbuf *mb = mbuf_alloc(4096);
	char buf[4096];
	FILE *f;
	size_t n;
	int err = 0;

	if (!mb)
		return ENOMEM;

	f = fopen(path, "r");
	if (!f) {
		err = errno;
		fprintf(stderr, "openseat: %s: %s\n", path, strerror(err));
		mem_deref(mb);
		return err;
	}

	while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		err = mbuf_write_mem(mb, (uint8_t *)buf, n);
	fclose(f);

	mb->pos = 0;
	err = err ? err : mbuf_strdup(mb, textp, mb->end);
	mem_deref(mb);

	return err;
}


/* Run a module's demo statements in order, each with $1 = tenant id. */
static int seed_sql(struct db *db, const char *tid,
		    const char *const *sqlv)
{
	const char *pv[1] = {tid};
	int err = 0;

	for (int i = 0; !err && sqlv[i]; i++) {
		struct answer a;

		err = exec(db, &a, sqlv[i], 1, pv);
	}

	return err;
}


/* The demo tenant README.md names: one admin, one supervisor, six
 * agents (agent6 answers in the browser) and an operator. Running it
 * again changes nothing. */
static int cmd_seed_demo(struct db *db, const char *flow_path)
{
	char *graph = NULL;
	char tid[UUID_STRLEN], h_admin[PASSWORD_HASH_LEN];
	char h_sup[PASSWORD_HASH_LEN], h_agent[PASSWORD_HASH_LEN];
	char h_op[PASSWORD_HASH_LEN], user[16], dname[32];
	int err;

	err = hash_pw(h_admin, "Admin@2026");
	err = err ? err : hash_pw(h_sup, "Super@2026");
	err = err ? err : hash_pw(h_agent, "Agent@2026");
	err = err ? err : hash_pw(h_op, "Operator@2026");
	err = err ? err : create_operator(db, "operator", h_op);
	err = err ? err : create_tenant(db, "demo", "演示企业", "20", tid);
	err = err ? err : create_user(db, tid, "admin", h_admin, "admin",
				      "管理员");
	err = err ? err : create_user(db, tid, "supervisor", h_sup,
				      "supervisor", "班长");
	for (int i = 1; !err && i <= 6; i++) {
		(void)re_snprintf(user, sizeof(user), "agent%d", i);
		(void)re_snprintf(dname, sizeof(dname), "坐席%d", i);
		err = create_user(db, tid, user, h_agent, "agent", dname);
	}

	err = err ? err : create_voicemail_box(db, tid, "default");
	err = err ? err : read_text(&graph, flow_path);
	err = err ? err : create_demo_ivr(db, tid, graph);
	mem_deref(graph);
	err = err ? err : seed_sql(db, tid, acdcfg_demo_sqlv);
	err = err ? err : seed_sql(db, tid, customer_demo_sqlv);
	err = err ? err : seed_sql(db, tid, ticket_demo_sqlv);
	if (!err)
		log_info("demo tenant ready: code demo (%s)", tid);

	return err;
}


static int with_db(struct app *app, const char *cmd, int argc,
		   char *argv[])
{
	struct opts o;
	int err;

	err = parse_opts(&o, argc, argv);
	if (err)
		return ENOTSUP;

	err = db_alloc(&app->db, app->cfg.database_url, 1, 16);
	if (err) {
		fprintf(stderr, "openseat: database: %s\n", strerror(err));
		return err;
	}

	if (!strcmp(cmd, "tenant"))
		err = cmd_tenant(app->db, &o);
	else if (!strcmp(cmd, "user"))
		err = cmd_user(app->db, &o);
	else if (!strcmp(cmd, "operator"))
		err = cmd_operator(app->db, &o);
	else {
		char flow[600];

		(void)re_snprintf(flow, sizeof(flow),
				  "%s/../config/demo-flow.json",
				  app->cfg.migrations_dir);
		err = cmd_seed_demo(app->db, flow);
	}

	app->db = mem_deref(app->db);
	return err;
}


/**
 * Run an operator command.
 *
 * @return 0 if success, ENOTSUP for an unknown command, otherwise error
 */
int cli_run(struct app *app, int argc, char *argv[])
{
	const char *cmd = argv[0];
	const char *url = app->cfg.database_admin_url[0] ?
		app->cfg.database_admin_url : app->cfg.database_url;

	if (!strcmp(cmd, "migrate"))
		return db_migrate(url, app->cfg.migrations_dir, true);

	if (!strcmp(cmd, "seed-demo"))
		return with_db(app, cmd, argc, argv);

	if (!strcmp(cmd, "import-regions"))
		return region_import_cli(app, argc, argv);

	if ((!strcmp(cmd, "tenant") || !strcmp(cmd, "user") ||
	     !strcmp(cmd, "operator")) && argc > 1 &&
	    !strcmp(argv[1], "create"))
		return with_db(app, cmd, argc - 1, argv + 1);

	fprintf(stderr, "openseat: unknown command '%s'\n", cmd);
	return ENOTSUP;
}
