// Strings of the restapi pages (en).
export default {
	'restapi.dial.request': 'CRM asked to call {number}; dialling',
	'restapi.dial.busy': 'CRM asked to call {number}, but you are on a ' +
		'call; not dialled',
	'restapi.keys.rate': 'Rate limit',
	'restapi.keys.rate_per_s': 'Requests per second',
	'restapi.keys.burst': 'Burst',
	'restapi.keys.rate_default': 'Default',
	'restapi.keys.rate_value': '{rate}/s, burst {burst}',
	'restapi.keys.rate_hint': 'Empty: the server default (20 per second, ' +
		'burst 40); over it the key gets 429.',
	'restapi.keys.agent': 'Acts for agent',
	'restapi.keys.agent_none': '(none)',
	'restapi.keys.agent_hint': 'An agent key may place click-to-dial ' +
		'calls only for the agent it acts for.',
	'restapi.keys.edit_rate': 'Change limit',
	'restapi.keys.saved': 'Saved',
	'restapi.keys.copy': 'Copy',
	'restapi.keys.copied': 'Copied to the clipboard',
	'restapi.keys.guide': 'Developer guide: docs/INTEGRATION.md',
};
