// Audit tab: newest first, filtered by action.
import { formatTime, t } from '../common/i18n.js';
import { PagedTable, el, td } from './ui.js';

const ACTIONS = ['auth.login', 'auth.logout', 'user.create', 'user.update',
	'user.delete', 'user.password_reset', 'api_key.create',
	'api_key.revoke', 'tenant.create', 'tenant.update'];

function detailText(d) {
	if (!d || (typeof d === 'object' && !Object.keys(d).length))
		return '';
	return typeof d === 'string' ? d : JSON.stringify(d);
}

function row(a) {
	const target = [a.target_type, a.target_id].filter(Boolean).join(' ');
	return el('tr', { dataset: { auditId: a.audit_id, action: a.action } },
		td(formatTime(a.created_at)),
		td(a.actor_name || a.actor_id || a.actor_kind),
		td(a.action, 'mono'), td(target || '—', 'mono'),
		td(a.remote_addr, 'mono'), td(detailText(a.detail), 'detail'));
}

/** Wire the audit tab. @return the tab's table. */
export function initAudit(onError) {
	const section = document.getElementById('tab-audit');
	const sel = document.getElementById('audit-action');
	for (const a of ACTIONS)
		sel.append(el('option', { value: a }, a));
	const table = new PagedTable(section, {
		path: () => (sel.value ?
			`/audit?action=${encodeURIComponent(sel.value)}` : '/audit'),
		row, onError,
	});
	sel.addEventListener('change', () => table.reload());
	document.getElementById('audit-refresh').addEventListener('click',
		() => table.reload());
	return table;
}
