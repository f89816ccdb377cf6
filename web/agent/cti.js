// The screen pop: who calls (number, region), what they dialled, the
// queue and the wait, VIP, the IVR path and what the IVR collected.
import { t } from '../common/i18n.js';
import { el } from '../common/shell.js';
import { clock } from './statebar.js';

function item(key, value, cls = '', id) {
	return el('div', { class: `item ${cls}`, dataset: { k: key } },
		el('div', { class: 'k' }, t(`agent.cti.${key}`)),
		el('div', { class: 'v', id }, value || '—'));
}

/* caller_region: {name, carrier} or {province, city, carrier} */
export function regionText(r) {
	if (!r)
		return t('agent.cti.unknown_region');
	const place = r.name || [r.province, r.city]
		.filter((x, i, a) => x && a.indexOf(x) === i).join(' ');
	return [place, r.carrier].filter(Boolean).join(' · ') ||
		t('agent.cti.unknown_region');
}

/* ivr_path: node ids, or {node, ...} objects */
function pathNodes(p) {
	const nodes = (Array.isArray(p) ? p : []).map((x) =>
		(typeof x === 'string' ? x : x?.node || x?.id || ''))
		.filter(Boolean);
	if (!nodes.length)
		return '—';
	return el('div', { class: 'path', id: 'cti-path' }, nodes.flatMap(
		(n, i) => [i ? el('span', { class: 'sep' }, '→') : null,
			el('span', { class: 'node' }, n)]));
}

function varText(v) {
	if (v === null || v === undefined)
		return '';
	return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/* Variables every call has, shown above already. */
const BUILTIN_VARS = new Set(['caller', 'number', 'call_id']);

function varsTable(vars) {
	const keys = Object.keys(vars || {}).filter((k) =>
		!BUILTIN_VARS.has(k));
	if (!keys.length)
		return t('agent.cti.no_vars');
	return el('table', { class: 'vars', id: 'cti-vars' },
		el('tbody', {}, keys.map((k) => el('tr', { dataset: { var: k } },
			el('th', {}, k), el('td', { class: 'mono' },
				varText(vars[k]))))));
}

/**
 * The CTI facts of an offer (call.offer) or of a call read back from
 * the call log (after a reload), as elements for a card.
 */
export function ctiItems(c, waitedMs) {
	if (c.outbound)
		return [item('dialled', el('span', { class: 'v big',
			id: 'cti-caller' }, c.caller), 'caller')];
	const q = c.queue || {};
	const queue = q.label && q.name ? `${q.label} (${q.name})` :
		q.label || q.name || '';
	return [
		item('caller', el('span', { class: 'v big', id: 'cti-caller' },
			c.caller || t('agent.cti.anonymous')), 'caller'),
		item('region', regionText(c.caller_region), '', 'cti-region'),
		/* the hotline's name first: it is what tells lines apart */
		item('number', [c.number_label, c.number].filter(Boolean)
			.join(' '), '', 'cti-number'),
		item('queue', queue, '', 'cti-queue'),
		item('waited', waitedMs === undefined ? '' : clock(waitedMs), '',
			'cti-waited'),
		item('path', pathNodes(c.ivr_path), 'wide'),
		/* a call read back from the log has no variables to show */
		c.vars ? item('vars', varsTable(c.vars), 'wide') : null,
	].filter(Boolean);
}
