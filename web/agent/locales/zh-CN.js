// Simplified Chinese strings of the agent console (merged by common/i18n.js).
export default {
	'agent.title': '坐席工作台',
	'agent.empty.title': '坐席工作台即将上线',
	'agent.empty.body': '这里将显示您的通话、来电弹屏、坐席状态（空闲 / 忙碌 / 小休）和通话记录。',
};
