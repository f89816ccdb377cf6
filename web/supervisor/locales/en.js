// English strings of the supervisor console (merged by common/i18n.js).
export default {
	'supervisor.title': 'Supervisor console',
	'supervisor.empty.title': 'The supervisor console is coming soon',
	'supervisor.empty.body': 'Live queues, the agent wallboard, listen-in and barge, and today\'s service levels will appear here.',
};
