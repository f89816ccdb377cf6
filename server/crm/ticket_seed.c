/* The demo tenant's ticket type: 售后工单 and its workflow. */
#include <stddef.h>
#include "crm/ticket.h"

/* 新建 → 处理中 → 已解决 → 已关闭, and 处理中 back to 新建. The type is
 * made once by name: a second run, or an admin's edit, is kept. */
const char *const ticket_demo_sqlv[] = {
	"INSERT INTO ticket_types (type_id, tenant_id, name, states,"
	" transitions) VALUES (gen_random_uuid(), $1, '售后工单',"
	" '[{\"key\": \"new\", \"label\": \"新建\", \"initial\": true,"
	" \"final\": false}, {\"key\": \"doing\", \"label\": \"处理中\","
	" \"initial\": false, \"final\": false}, {\"key\": \"resolved\","
	" \"label\": \"已解决\", \"initial\": false, \"final\": false},"
	" {\"key\": \"closed\", \"label\": \"已关闭\", \"initial\": false,"
	" \"final\": true}]', '[{\"from\": \"new\", \"to\": \"doing\"},"
	" {\"from\": \"doing\", \"to\": \"resolved\"}, {\"from\":"
	" \"resolved\", \"to\": \"closed\"}, {\"from\": \"doing\", \"to\":"
	" \"new\"}]') ON CONFLICT DO NOTHING",
	NULL
};
