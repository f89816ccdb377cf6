// Strings of the restapi pages (zh-CN).
export default {
	'restapi.dial.request': 'CRM 请求外呼 {number}，正在拨号',
	'restapi.dial.busy': 'CRM 请求外呼 {number}，但当前有通话，未拨出',
	'restapi.keys.rate': '速率限制',
	'restapi.keys.rate_per_s': '每秒请求数',
	'restapi.keys.burst': '突发上限',
	'restapi.keys.rate_default': '默认',
	'restapi.keys.rate_value': '{rate}/秒，突发 {burst}',
	'restapi.keys.rate_hint': '留空则使用服务器默认值（每秒 20 次，突发 40 次）；超出后返回 429。',
	'restapi.keys.agent': '代表坐席',
	'restapi.keys.agent_none': '（不绑定）',
	'restapi.keys.agent_hint': '坐席角色的密钥只能为所绑定的坐席发起外呼。',
	'restapi.keys.edit_rate': '修改限速',
	'restapi.keys.saved': '已保存',
	'restapi.keys.copy': '复制',
	'restapi.keys.copied': '已复制到剪贴板',
	'restapi.keys.guide': '开发者指南：docs/INTEGRATION.md',
};
