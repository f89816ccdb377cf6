// Call log tab: filters (time range, number, caller, disposition), cursor
// paging, and a detail view with the call's event timeline.
import { errorText, formatTime, hasKey, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { PagedTable, badge, el, field, formatDuration, linkButton, select,
	tabPage, tableBlock, td, tx } from './ui.js';

const DISPOSITIONS = ['completed', 'abandoned', 'voicemail', 'transferred',
	'failed', 'rejected'];

let table;
let filters;
let detail;
let shown = null;

const dispText = (d) => (d ? (hasKey(`disposition.${d}`) ?
	t(`disposition.${d}`) : d) : t('calls.live'));

/* datetime-local is local time; the API wants an instant. */
function instant(v) {
	if (!v)
		return '';
	const d = new Date(v);
	return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function listPath() {
	const q = new URLSearchParams();
	const v = (n) => filters.elements.namedItem(n).value.trim();
	for (const [k, val] of [['from', instant(v('from'))],
		['to', instant(v('to'))], ['number', v('number')],
		['caller', v('caller')], ['disposition', v('disposition')]]) {
		if (val)
			q.set(k, val);
	}
	const s = q.toString();
	return s ? `/calls?${s}` : '/calls';
}

function row(c) {
	return el('tr', { dataset: { callId: c.call_id } },
		td(formatTime(c.started_at)),
		td(hasKey(`direction.${c.direction}`) ?
			t(`direction.${c.direction}`) : c.direction),
		td(c.caller, 'mono'), td(c.number, 'mono'),
		el('td', {}, badge(dispText(c.disposition),
			c.disposition === 'failed' || c.disposition === 'rejected' ?
				'bad' : (c.disposition ? '' : 'off'))),
		td(formatDuration(c.duration_ms)),
		el('td', { class: 'actions' },
			linkButton(t('calls.details'), () => showDetail(c))));
}

function eventData(d) {
	if (!d || (typeof d === 'object' && !Object.keys(d).length))
		return '';
	return typeof d === 'string' ? d : JSON.stringify(d);
}

/* ivr_path: the nodes the call went through, as ids or {node, ...} */
function ivrPath(p) {
	return (Array.isArray(p) ? p : []).map((x) => (typeof x === 'string' ?
		x : x?.node || '')).filter(Boolean).join(' → ');
}

function renderDetail(c) {
	const events = c.events || c.timeline || [];
	const facts = [
		['calls.started', formatTime(c.started_at)],
		['calls.answered', formatTime(c.answered_at)],
		['calls.ended', formatTime(c.ended_at)],
		['calls.caller', c.caller], ['calls.callee', c.callee],
		['calls.number', c.number],
		['calls.disposition', dispText(c.disposition)],
		['calls.hangup', [c.hangup_side && (hasKey(`side.${c.hangup_side}`) ?
			t(`side.${c.hangup_side}`) : c.hangup_side), c.hangup_cause]
			.filter(Boolean).join(' · ')],
		['calls.duration', formatDuration(c.duration_ms)],
		['calls.ivr_path', ivrPath(c.ivr_path)],
		['calls.call_id', c.call_id],
	];
	detail.replaceChildren(
		el('div', { class: 'panel-head' }, tx('h3', 'calls.detail'),
			tx('button', 'common.close', { type: 'button', onclick: () => {
				detail.hidden = true;
				shown = null;
			} })),
		el('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) =>
			[tx('dt', k), el('dd', {}, v || '—')])),
		tx('h3', 'calls.timeline'),
		events.length ? el('ol', { class: 'timeline', id: 'call-timeline' },
			...events.map((e) => el('li', { dataset: { type: e.type } },
				el('span', { class: 'when' }, formatTime(e.created_at)),
				el('span', { class: 'mono' }, e.type),
				el('span', { class: 'hint' }, eventData(e.data))))) :
			tx('p', 'calls.no_events', { class: 'hint' }));
	detail.hidden = false;
}

async function showDetail(c) {
	shown = c;
	renderDetail(c);
	try {
		const full = await api('GET', `/calls/${encodeURIComponent(
			c.call_id)}`);
		if (shown === c) {
			shown = { ...c, ...full };
			renderDetail(shown);
		}
	} catch (err) {
		detail.append(el('div', { class: 'alert' }, errorText(err)));
	}
	detail.scrollIntoView({ block: 'nearest' });
}

function buildFilters() {
	const f = el('form', { id: 'calls-filters', class: 'filters',
		novalidate: true },
	field('calls.from', el('input', { id: 'cf-from', name: 'from',
		type: 'datetime-local' })),
	field('calls.to', el('input', { id: 'cf-to', name: 'to',
		type: 'datetime-local' })),
	field('calls.number', el('input', { id: 'cf-number', name: 'number',
		inputmode: 'tel', autocomplete: 'off' })),
	field('calls.caller', el('input', { id: 'cf-caller', name: 'caller',
		inputmode: 'tel', autocomplete: 'off' })),
	field('calls.disposition', select({ id: 'cf-disposition',
		name: 'disposition' }, [['', 'calls.any', true],
		...DISPOSITIONS.map((d) => [d, `disposition.${d}`, true])])),
	el('div', { class: 'field filter-actions' },
		tx('button', 'calls.search', { type: 'submit', class: 'primary' }),
		tx('button', 'calls.reset', { type: 'reset' })));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		table.reload();
	});
	f.addEventListener('reset', () => setTimeout(() => table.reload()));
	return f;
}

/** Wire the call log tab. @return the tab's table. */
export function initCalls(onError) {
	filters = buildFilters();
	detail = el('div', { id: 'call-detail', class: 'panel-form',
		hidden: true });
	const section = tabPage('calls', { titleKey: 'tab.calls',
		tools: [tx('button', 'common.refresh', { type: 'button',
			id: 'calls-refresh', onclick: () => table.reload() })],
		body: [filters, detail, ...tableBlock('calls-table', [
			'calls.started', 'calls.direction', 'calls.caller',
			'calls.number', 'calls.disposition', 'calls.duration', ''])] });
	table = new PagedTable(section, { path: listPath, row, onError });
	const repaint = table.repaint.bind(table);
	table.repaint = () => {
		repaint();
		if (shown)
			renderDetail(shown);
	};
	return table;
}
