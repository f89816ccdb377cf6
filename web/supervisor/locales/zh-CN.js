// Simplified Chinese strings of the supervisor console (merged by common/i18n.js).
export default {
	'supervisor.title': '班长监控台',
	'supervisor.empty.title': '班长监控台即将上线',
	'supervisor.empty.body': '这里将显示实时队列、坐席状态墙板、通话监听与强插，以及当日服务指标。',
};
