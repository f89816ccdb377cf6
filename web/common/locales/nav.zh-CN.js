// Strings of the admin console's side navigation (zh-CN).
export default {
	'adminnav.label': '管理导航',
	'adminnav.menu': '菜单',
	'adminnav.group.team': '用户与坐席',
	'adminnav.group.ivr': '号码与语音导航',
	'adminnav.group.calls': '通话与录音',
	'adminnav.group.crm': '客户资料',
	'adminnav.group.service': '业务记录与公告',
	'adminnav.group.system': '系统与集成',
	'adminnav.group.platform': '平台',
	'adminnav.group.carrier': '中继与号码',
};
