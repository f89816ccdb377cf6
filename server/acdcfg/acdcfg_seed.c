/* The demo tenant's ACD: skill, agents, reasons, disposition codes and
 * the support queue. */
#include <stddef.h>
#include "acdcfg/acdcfg.h"

/*
 * agent1..agent5 sit at work numbers 1001..1005 and register SIP phones
 * as demo1001..demo1005 with the password README.md gives; agent6 (work
 * number 1006) answers in the browser, so a new user can take a call
 * with nothing but the agent console. Each statement skips what exists,
 * so a second run changes nothing.
 */
const char *const acdcfg_demo_sqlv[] = {
	"INSERT INTO skills (tenant_id, name) VALUES ($1, '售后')"
	" ON CONFLICT DO NOTHING",

	"INSERT INTO agents (agent_id, tenant_id, work_no, device, sip_user,"
	" sip_secret) SELECT u.user_id, u.tenant_id,"
	" '100' || substr(u.username, 6), 'sip',"
	" 'demo100' || substr(u.username, 6), 'Phone@2026' FROM users u"
	" WHERE u.tenant_id = $1 AND u.deleted_at IS NULL"
	" AND u.username IN ('agent1', 'agent2', 'agent3', 'agent4',"
	" 'agent5') ON CONFLICT DO NOTHING",

	"INSERT INTO agents (agent_id, tenant_id, work_no, device)"
	" SELECT u.user_id, u.tenant_id, '1006', 'webrtc' FROM users u"
	" WHERE u.tenant_id = $1 AND u.deleted_at IS NULL"
	" AND u.username = 'agent6' ON CONFLICT DO NOTHING",

	"INSERT INTO agent_skills (tenant_id, agent_id, skill_id, level)"
	" SELECT a.tenant_id, a.agent_id, s.skill_id, 1 FROM agents a"
	" JOIN skills s ON s.tenant_id = a.tenant_id AND s.name = '售后'"
	" JOIN users u ON u.user_id = a.agent_id"
	" WHERE a.tenant_id = $1 AND (a.sip_user IN ('demo1001', 'demo1002',"
	" 'demo1003', 'demo1004', 'demo1005') OR u.username = 'agent6')"
	" ON CONFLICT DO NOTHING",

	"INSERT INTO notready_reasons (tenant_id, name, position)"
	" SELECT $1, r.name, r.position FROM (VALUES ('休息', 1),"
	" ('会议', 2), ('培训', 3), ('就餐', 4)) AS r (name, position)"
	" ON CONFLICT DO NOTHING",

	/* only into an empty list: codes the admin deleted stay gone */
	"INSERT INTO disposition_codes (tenant_id, code, position)"
	" SELECT $1, c.code, c.position FROM (VALUES ('咨询', 1),"
	" ('投诉', 2), ('售后', 3), ('已解决', 4), ('回访', 5))"
	" AS c (code, position) WHERE NOT EXISTS (SELECT 1 FROM"
	" disposition_codes d WHERE d.tenant_id = $1)"
	" ON CONFLICT DO NOTHING",

	"INSERT INTO queues (tenant_id, name, label, strategy,"
	" announce_work_no) VALUES ($1, 'support', '售后服务',"
	" 'longest_idle', true) ON CONFLICT DO NOTHING",

	"INSERT INTO queue_skills (tenant_id, queue_id, skill_id)"
	" SELECT q.tenant_id, q.queue_id, s.skill_id FROM queues q"
	" JOIN skills s ON s.tenant_id = q.tenant_id AND s.name = '售后'"
	" WHERE q.tenant_id = $1 AND q.name = 'support'"
	" ON CONFLICT DO NOTHING",

	"SELECT pg_notify('" ACD_CHANNEL "', $1::text)",
	NULL
};
