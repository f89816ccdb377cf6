// English strings of the agent console (merged by common/i18n.js).
export default {
	'agent.title': 'Agent desktop',
	'agent.empty.title': 'The agent desktop is coming soon',
	'agent.empty.body': 'Your calls, screen pops, agent state (ready / busy / break) and call history will appear here.',
};
