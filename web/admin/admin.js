// The admin console: pages for tenant admins (users, telephony, CRM,
// audit …), supervisors (records, announcements) or the platform operator
// (tenants, trunks), reached from the side navigation, kept live over /ws.
import { errorText, onLocaleChange } from '../common/i18n.js';
import { consoleFor, isOperator } from '../common/api.js';
import { bindLiveStatus, initShell } from '../common/shell.js';
import { connectLive } from '../common/ws.js';
import { initUsers } from './users.js';
import { initApiKeys } from './apikeys.js';
import { initAudit } from './audit.js';
import { initTenants } from './tenants.js';
import { initNumbers, initOperatorNumbers } from './numbers.js';
import { initFlows } from './flows.js';
import { initSchedules } from './schedules.js';
import { initPrompts } from './prompts.js';
import { initVoicemail } from './voicemail.js';
import { initCalls } from './calls.js';
import { initTrunks } from './trunks.js';
import { initAgents } from './agents.js';
import { initSkills } from './skills.js';
import { initQueues } from './queues.js';
import { initReasons } from './reasons.js';
import { initDispositions } from './dispositions.js';
import { initVip } from './vip.js';
import { initCustomers } from './customers.js';
import { initCustomFields } from './customfields.js';
import { customerImportEvent, initCustImport } from './custimport.js';
import { initRecordings } from './recordings.js';
import { initRecSettings } from './recsettings.js';
import { initCrmSettings } from './crmsettings.js';
import { initQaForms } from './qaforms.js';
import { initTicketTypes } from './tickettypes.js';
import { initTickets } from './tickets.js';
import { initAnnouncements } from './announcements.js';
import { initWebhooks } from './webhooks.js';
import { initNav, navNames } from './nav.js';

const INITS = { users: initUsers, apikeys: initApiKeys, numbers: initNumbers,
	flows: initFlows, schedules: initSchedules, prompts: initPrompts,
	voicemail: initVoicemail, calls: initCalls, audit: initAudit,
	tenants: initTenants, trunks: initTrunks,
	opnumbers: initOperatorNumbers, agents: initAgents,
	skills: initSkills, queues: initQueues, reasons: initReasons,
	dispositions: initDispositions, customers: initCustomers,
	customfields: initCustomFields, custimport: initCustImport,
	vip: initVip, recordings: initRecordings, recsettings: initRecSettings,
	qaforms: initQaForms, tickettypes: initTicketTypes,
	tickets: initTickets, announcements: initAnnouncements,
	crmsettings: initCrmSettings, webhooks: initWebhooks };

const tables = {};
const loaded = new Set();
let lastError = null;

function pageError(err) {
	lastError = err;
	const box = document.getElementById('page-error');
	box.textContent = err ? errorText(err) : '';
	box.hidden = !err;
}

function selectTab(name) {
	for (const s of document.querySelectorAll('main > section[id^="tab-"]'))
		s.hidden = s.id !== `tab-${name}`;
	pageError(null);
	if (!loaded.has(name)) {
		loaded.add(name);
		tables[name].reload();
	}
}

/* Events can come in bursts; one reload per burst is enough. */
function debounced(fn, ms = 250) {
	let timer = null;
	return () => {
		clearTimeout(timer);
		timer = setTimeout(fn, ms);
	};
}

function reloadIfLoaded(name) {
	return debounced(() => {
		if (loaded.has(name))
			tables[name].reload();
	});
}

async function main() {
	const me = await initShell();
	/* an agent has no page here: its own console instead of empty
	 * pages whose every request the server refuses */
	if (!isOperator(me) && me.role === 'agent') {
		location.replace(consoleFor(me));
		return;
	}
	const kind = isOperator(me) ? 'operator' :
		me.role === 'supervisor' ? 'supervisor' : 'tenant';
	for (const n of navNames(kind)) {
		tables[n] = (kind === 'operator' && n === 'numbers' ?
			INITS.opnumbers : INITS[n])(pageError);
	}
	onLocaleChange(() => {
		for (const n of loaded)
			tables[n].repaint();
		pageError(lastError);
	});
	initNav(kind, selectTab);

	const live = connectLive(isOperator(me) ? ['tenant'] :
		['user', 'tenant', 'api_key', 'customer', 'ticket',
			'announcement', 'webhook']);
	bindLiveStatus(live);
	live.on('user.*', reloadIfLoaded('users'));
	live.on('api_key.*', reloadIfLoaded('apikeys'));
	live.on('tenant.*', reloadIfLoaded('tenants'));
	live.on('customer.*', reloadIfLoaded('customers'));
	live.on('customer.import_progress', customerImportEvent);
	live.on('customer.import_finished', customerImportEvent);
	live.on('ticket.*', reloadIfLoaded('tickets'));
	live.on('announcement.*', reloadIfLoaded('announcements'));
	live.on('webhook.endpoint_disabled', reloadIfLoaded('webhooks'));
	document.body.dataset.ready = '1';
}

main();
