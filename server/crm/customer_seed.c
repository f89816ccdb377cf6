/* The demo tenant's customers: a custom field and three customers, one
 * of them calling from the number the SIP tests and sipp use by default
 * (13800138000), so a demo call pops a known customer. */
#include <stddef.h>
#include "crm/customer.h"

/*
 * Each statement takes $1 = tenant id and leaves what exists alone: the
 * field by its key, a customer by its number (a demo customer edited or
 * deleted and re-created by hand keeps what the user made of it).
 */
const char *const customer_demo_sqlv[] = {
	"INSERT INTO customer_fields (tenant_id, key, label, type, options,"
	" position) VALUES ($1::uuid, 'grade', '客户等级', 'select',"
	" '{普通,银卡,金卡}', 1) ON CONFLICT (tenant_id, key) DO NOTHING",

	"WITH v (name, company, region, tags, grade, phone) AS (VALUES"
	" ('刘洋', '北京远航科技有限公司', '北京市', '{VIP}', '金卡',"
	"  '13800138000'),"
	" ('陈静', '上海申华贸易有限公司', '上海市', '{}', '银卡',"
	"  '13900139000'),"
	" ('杨帆', '', '广东省深圳市', '{回访}', '普通', '075588886666')),"
	" c AS (INSERT INTO customers (tenant_id, name, company, region,"
	" tags, fields) SELECT $1::uuid, v.name, v.company, v.region,"
	" v.tags::text[], jsonb_build_object('grade', v.grade) FROM v"
	" WHERE NOT EXISTS (SELECT 1 FROM customer_phones p"
	" WHERE p.tenant_id = $1::uuid AND p.phone = v.phone)"
	" RETURNING customer_id, name)"
	" INSERT INTO customer_phones (tenant_id, phone, customer_id)"
	" SELECT $1::uuid, v.phone, c.customer_id FROM c JOIN v USING (name)",

	NULL,
};
