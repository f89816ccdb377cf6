/* Unit tests for flow validation: every structural error names its node. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "ivr/ivr.h"

#define END "\"end\": {\"kind\": \"hangup\"}"


static struct ivr_check *check(const char *text)
{
	struct ivr_check *c = NULL;
	json_error_t jerr;
	json_t *g = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (!g)
		fail_msg("test JSON: %s: %s", jerr.text, text);

	assert_int_equal(ivr_check_alloc(&c), 0);
	(void)ivr_validate(c, g);
	json_decref(g);

	return c;
}


static bool has(const struct ivr_check *c, const char *node,
		const char *code)
{
	for (unsigned i = 0; i < ivr_check_nerrors(c); i++) {
		const struct ivr_error *e = ivr_check_error(c, i);

		if (!strcmp(e->node, node) && !strcmp(e->code, code))
			return true;
	}

	return false;
}


static void dump(const struct ivr_check *c)
{
	for (unsigned i = 0; i < ivr_check_nerrors(c); i++) {
		const struct ivr_error *e = ivr_check_error(c, i);

		fprintf(stderr, "  [%s] %s %s: %s\n", e->node, e->field,
			e->code, e->message);
	}
}


static void test_demo_flow_is_valid(void **state)
{
	static const char *const paths[] = {"config/demo-flow.json",
		"../config/demo-flow.json", "../../config/demo-flow.json",
		"../../../config/demo-flow.json"};
	struct ivr_check *c = NULL;
	json_t *g = NULL;

	(void)state;
	for (size_t i = 0; !g && i < ARRAY_SIZE(paths); i++)
		g = json_load_file(paths[i], JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(g);

	assert_int_equal(ivr_check_alloc(&c), 0);
	if (ivr_validate(c, g)) {
		dump(c);
		fail();
	}
	/* the prompts it uses, all built in, and the queue it names */
	assert_int_equal(json_array_size(ivr_check_refs(c)), 6);
	json_decref(g);
	mem_deref(c);
}


/* Each case: a flow with one kind of mistake, the node and code named. */
static void test_structural_errors(void **state)
{
	static const struct {
		const char *json, *node, *code;
	} cases[] = {
		{"[]", "", "flow_shape"},
		{"{\"nodes\": {" END "}}", "", "field_required"},
		{"{\"start\": \"end\", \"nodes\": {}}", "", "no_nodes"},
		{"{\"start\": \"end\", \"nodes\": {" END "}, \"x\": 1}", "",
		 "field_unknown"},
		{"{\"start\": \"end\", \"nodes\": {" END "},"
		 " \"lang\": \"fr\"}",
		 "", "field_enum"},
		{"{\"start\": \"nope\", \"nodes\": {" END "}}", "",
		 "start_missing"},
		{"{\"start\": \"a\", \"nodes\": {\"a\":"
		 " {\"kind\": \"dance\"}}}",
		 "a", "unknown_kind"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"next\": \"a\"}}}",
		 "a", "unknown_kind"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": 5}}", "a",
		 "node_shape"},
		{"{\"start\": \"a b\", \"nodes\": {\"a b\": {\"kind\":"
		 " \"hangup\"}}}", "a b", "bad_node_id"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [\"builtin/welcome\"], \"next\": \"zz\"}}}",
		 "a", "dangling_edge"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [\"builtin/welcome\"]}}}", "a",
		 "field_required"},
		{"{\"start\": \"end\", \"nodes\": {" END ","
		 " \"lost\": {\"kind\":"
		 " \"hangup\"}}}", "lost", "unreachable"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [\"builtin/welcome\"], \"next\": \"b\"},"
		 " \"b\": {\"kind\": \"set\", \"vars\": {\"x\": \"1\"},"
		 " \"next\": \"a\"}}}", "b", "cycle_without_input"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [\"builtin/welcome\"], \"next\": \"a\"}}}",
		 "a", "cycle_without_input"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [\"builtin/nope\"], \"next\": \"end\"}, " END
		 "}}", "a", "missing_prompt"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [\"../../etc/passwd\"], \"next\": \"end\"}, "
		 END "}}", "a", "missing_prompt"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\": \"play\","
		 " \"prompts\": [], \"next\": \"end\"}, " END "}}", "a",
		 "field_length"},
		{"{\"start\": \"a\", \"nodes\": {\"a\": {\"kind\":"
		 " \"time_switch\", \"schedule_id\": \"mon-fri\","
		 " \"open\": \"end\", \"closed\": \"end\"}, " END "}}", "a",
		 "field_format"},
		{"{\"start\": \"m\", \"nodes\": {\"m\": {\"kind\": \"menu\","
		 " \"prompts\": [\"builtin/demo_menu\"], \"choices\":"
		 " {\"12\": \"end\"}}, " END "}}", "m", "bad_choice"},
		{"{\"start\": \"m\", \"nodes\": {\"m\": {\"kind\": \"menu\","
		 " \"prompts\": [\"builtin/demo_menu\"], \"choices\": {},"
		 " \"retries\": 99}}}", "m", "field_range"},
		{"{\"start\": \"c\", \"nodes\": {\"c\":"
		 " {\"kind\": \"collect\","
		 " \"var\": \"Bad-Name\", \"next\": \"end\"}, " END "}}", "c",
		 "bad_var"},
		{"{\"start\": \"c\", \"nodes\": {\"c\":"
		 " {\"kind\": \"collect\","
		 " \"var\": \"v\", \"min_digits\": 5, \"max_digits\": 2,"
		 " \"next\": \"end\"}, " END "}}", "c", "field_range"},
		{"{\"start\": \"s\", \"nodes\": {\"s\": {\"kind\":"
		 " \"caller_switch\", \"cases\": [{\"match\": \"1[38]*\","
		 " \"next\": \"end\"}], \"default\": \"end\"}, " END "}}", "s",
		 "bad_pattern"},
		{"{\"start\": \"s\", \"nodes\": {\"s\": {\"kind\":"
		 " \"caller_switch\", \"cases\": [{\"match\": \"1*\"}],"
		 " \"default\": \"end\"}, " END "}}", "s", "field_type"},
		{"{\"start\": \"l\", \"nodes\": {\"l\": {\"kind\": \"lookup\","
		 " \"url\": \"ftp://crm.example/x\", \"next\": \"end\","
		 " \"fail\": \"end\"}, " END "}}", "l", "bad_url"},
		{"{\"start\": \"l\", \"nodes\": {\"l\": {\"kind\": \"lookup\","
		 " \"url\": \"http://crm_db/x?c=${caller}\","
		 " \"next\": \"end\", \"fail\": \"end\"}, " END "}}", "l",
		 "bad_url"},
		{"{\"start\": \"l\", \"nodes\": {\"l\": {\"kind\": \"lookup\","
		 " \"url\": \"http://crm/x#${caller}\", \"next\": \"end\","
		 " \"fail\": \"end\"}, " END "}}", "l", "bad_url"},
		{"{\"start\": \"l\", \"nodes\": {\"l\": {\"kind\": \"lookup\","
		 " \"url\": \"http://crm.example/x\", \"fields\": {\"v\": 1},"
		 " \"next\": \"end\", \"fail\": \"end\"}, " END "}}", "l",
		 "field_type"},
		{"{\"start\": \"t\", \"nodes\": {\"t\": {\"kind\":"
		 " \"transfer\", \"number\": \"call me\"}}}", "t",
		 "bad_number"},
		{"{\"start\": \"q\", \"nodes\": {\"q\": {\"kind\": \"queue\","
		 " \"queue\": \"sales\"}}}", "q", "field_required"},
		{"{\"start\": \"end\", \"nodes\": {\"end\": {\"kind\":"
		 " \"hangup\", \"extra\": true}}}", "end", "field_unknown"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ivr_check *c = check(cases[i].json);

		if (!has(c, cases[i].node, cases[i].code)) {
			dump(c);
			fail_msg("case %zu: no %s at \"%s\": %s", i,
				 cases[i].code, cases[i].node, cases[i].json);
		}
		mem_deref(c);
	}
}


/* A loop through a menu waits for the caller each time: allowed. */
static void test_loops_through_input_are_fine(void **state)
{
	struct ivr_check *c = check(
		"{\"start\": \"a\", \"nodes\": {"
		"\"a\": {\"kind\": \"play\","
		" \"prompts\": [\"builtin/welcome\","
		" \"33333333-3333-4333-8333-333333333333\"], \"next\": \"m\"},"
		"\"m\": {\"kind\": \"menu\","
		" \"prompts\": [\"builtin/demo_menu\"],"
		" \"choices\": {\"0\": \"a\", \"1\": \"t\"}},"
		"\"t\": {\"kind\": \"time_switch\", \"schedule_id\":"
		" \"44444444-4444-4444-8444-444444444444\", \"open\": \"a\","
		" \"closed\": \"m\"}}}");
	json_t *refs;

	(void)state;
	if (ivr_check_nerrors(c)) {
		dump(c);
		fail();
	}

	/* the tenant prompt and the schedule go to the database check */
	refs = ivr_check_refs(c);
	assert_int_equal(json_array_size(refs), 4);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(refs, 1), "ref")),
		"33333333-3333-4333-8333-333333333333");
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(refs, 3), "kind")), "schedule");
	mem_deref(c);
}


/* Many errors at once: all named, capped, and the JSON form is right. */
static void test_many_errors(void **state)
{
	char buf[40000];
	size_t n = 0;
	struct ivr_check *c;
	json_t *errs;

	(void)state;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			      "{\"start\": \"n0\", \"nodes\": {");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "%s\"n%d\": {\"kind\": \"play\","
				      " \"prompts\": [\"x\"], \"next\":"
				      " \"n%d\"}", i ? "," : "", i, i + 1);
	(void)snprintf(buf + n, sizeof(buf) - n, "}}");

	c = check(buf);
	assert_int_equal(ivr_check_nerrors(c), IVR_ERRORS_MAX);
	errs = ivr_check_errors_json(c);
	assert_int_equal(json_array_size(errs), IVR_ERRORS_MAX);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(errs, 0), "node")), "n0");
	assert_non_null(json_object_get(json_array_get(errs, 0), "message"));
	json_decref(errs);
	mem_deref(c);

	/* too many nodes */
	n = (size_t)snprintf(buf, sizeof(buf), "{\"start\": \"a\", \"nodes\":"
			     " {");
	for (int i = 0; i < IVR_NODES_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "%s\"h%d\": {\"kind\": \"hangup\"}",
				      i ? "," : "", i);
	(void)snprintf(buf + n, sizeof(buf) - n, "}}");
	c = check(buf);
	assert_true(has(c, "", "too_many_nodes"));
	mem_deref(c);
}


/* Every flow example in docs/IVR.md validates (ids are not looked up). */
static void test_doc_examples(void **state)
{
	static const char *const paths[] = {"docs/IVR.md", "../docs/IVR.md",
		"../../docs/IVR.md", "../../../docs/IVR.md"};
	char buf[65536], *p;
	unsigned n = 0;
	size_t len = 0;
	FILE *f = NULL;

	(void)state;
	for (size_t i = 0; !f && i < ARRAY_SIZE(paths); i++)
		f = fopen(paths[i], "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';

	for (p = strstr(buf, "```json\n"); p; p = strstr(p, "```json\n")) {
		char *end = strstr(p + 8, "```");
		struct ivr_check *c;

		assert_non_null(end);
		*end = '\0';
		if (strstr(p + 8, "\"nodes\"")) {
			c = check(p + 8);
			if (ivr_check_nerrors(c)) {
				dump(c);
				fail_msg("example %u does not validate", n);
			}
			mem_deref(c);
			n++;
		}
		p = end + 3;
	}

	assert_true(n >= 4);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_flow_is_valid),
		cmocka_unit_test(test_structural_errors),
		cmocka_unit_test(test_loops_through_input_are_fine),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_doc_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
