// Schedules tab: weekly opening hours in a time zone, plus dated
// exceptions (holidays closed all day, or special hours).
import { fieldErrorText, formatTime, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, apiKeep, bindForm, checkRequired, clearErrors, el,
	field, formActions, formError, inUseByNumbers, linkButton, refusedText,
	tabPage, tableBlock, td, toggleForm, tx } from './ui.js';

const DEFAULT_TZ = 'Asia/Shanghai';
const COMMON_TZ = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Taipei',
	'Asia/Singapore', 'Asia/Tokyo', 'Asia/Seoul', 'UTC', 'Europe/London',
	'Europe/Berlin', 'America/New_York', 'America/Los_Angeles'];

let table;
let form;

function zones() {
	let all = [];
	try {
		all = Intl.supportedValuesOf('timeZone');
	} catch {
		all = [];
	}
	return [...COMMON_TZ, ...all.filter((z) => !COMMON_TZ.includes(z))];
}

/* "一至五 09:00–18:00；六 10:00–16:00" */
function weeklyText(weekly) {
	return (weekly || []).map((r) => {
		const days = (r.days || []).map((d) => t(`day.${d}`)).join('');
		return `${days} ${r.from}–${r.to}`;
	}).join('；') || t('schedules.never_open');
}

function exceptionsText(ex) {
	return (ex || []).map((e) => (e.closed ?
		`${e.date} ${t('schedules.closed')}` :
		`${e.date} ${e.from}–${e.to}`)).join('；') || '—';
}

async function remove(s) {
	if (!window.confirm(t('schedules.confirm_delete', { name: s.name })))
		return;
	try {
		await apiKeep('DELETE', `/schedules/${encodeURIComponent(
			s.schedule_id)}`);
		toast(t('schedules.deleted', { name: s.name }));
		table.reload();
	} catch (err) {
		/* flows that use it are only named in the server's detail */
		toast(/flow/i.test(err.detail || '') ? refusedText(err) :
			await inUseByNumbers(err, (n) => (n.routes || []).some((r) =>
				r.schedule_id === s.schedule_id), 'schedules.in_use_numbers'));
	}
}

function row(s) {
	return el('tr', { dataset: { scheduleId: s.schedule_id, name: s.name } },
		td(s.name), td(s.timezone, 'mono'), td(weeklyText(s.weekly)),
		td(exceptionsText(s.exceptions), 'detail'),
		td(formatTime(s.updated_at || s.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(s)),
			linkButton(t('common.delete'), () => remove(s), 'danger')));
}

function removeButton(li) {
	return tx('button', 'common.remove', { type: 'button',
		class: 'link danger', onclick: () => li.remove() });
}

function timeInput(cls, value) {
	return el('input', { type: 'time', class: cls, value });
}

function rangeRow(r = { days: [1, 2, 3, 4, 5], from: '09:00',
	to: '18:00' }) {
	const days = [1, 2, 3, 4, 5, 6, 7].map((d) => el('label',
		{ class: 'day' }, el('input', { type: 'checkbox', value: String(d),
			checked: r.days?.includes(d) }), tx('span', `day.${d}`)));
	const li = el('li', { class: 'range-row' }, el('span', { class: 'days' },
		days), timeInput('from', r.from), tx('span', 'schedules.to'),
	timeInput('to', r.to));
	li.append(removeButton(li), el('span', { class: 'row-error' }));
	return li;
}

function exceptionRow(e = { date: '', closed: true }) {
	const mode = el('select', { class: 'mode' },
		tx('option', 'schedules.closed', { value: 'closed' }),
		tx('option', 'schedules.special_hours', { value: 'open' }));
	mode.value = e.closed === false || e.from ? 'open' : 'closed';
	const from = timeInput('from', e.from || '09:00');
	const to = timeInput('to', e.to || '18:00');
	const sync = () => {
		from.hidden = to.hidden = mode.value === 'closed';
	};
	mode.addEventListener('change', sync);
	sync();
	const li = el('li', { class: 'range-row' }, el('input', { type: 'date',
		class: 'date', value: e.date }), mode, from, to);
	li.append(removeButton(li), el('span', { class: 'row-error' }));
	return li;
}

function readBody() {
	const weekly = [...form.querySelectorAll('.weekly li')].map((li) => ({
		days: [...li.querySelectorAll('.days input:checked')]
			.map((c) => Number(c.value)),
		from: li.querySelector('.from').value,
		to: li.querySelector('.to').value,
	}));
	const exceptions = [...form.querySelectorAll('.exceptions li')]
		.map((li) => {
			const e = { date: li.querySelector('.date').value };
			if (li.querySelector('.mode').value === 'closed')
				e.closed = true;
			else {
				e.from = li.querySelector('.from').value;
				e.to = li.querySelector('.to').value;
			}
			return e;
		});
	const ctl = (n) => form.elements.namedItem(n);
	return { name: ctl('name').value.trim(), timezone: ctl('timezone').value,
		weekly, exceptions };
}

/* Client-side checks the server would also make, said more precisely. */
function localProblem(body) {
	if (body.weekly.some((r) => !r.days.length))
		return t('schedules.err_no_days');
	if (body.exceptions.some((e) => !e.date))
		return t('schedules.err_no_date');
	if ([...body.weekly, ...body.exceptions].some((r) => !r.closed &&
		(!r.from || !r.to)))
		return t('schedules.err_no_time');
	return null;
}

function fill(s) {
	form.dataset.id = s?.schedule_id || '';
	form.elements.namedItem('name').value = s?.name || '';
	form.timezone.value = s?.timezone || DEFAULT_TZ;
	form.querySelector('.weekly').replaceChildren(...(s ?
		(s.weekly || []).map(rangeRow) : [rangeRow()]));
	form.querySelector('.exceptions').replaceChildren(
		...(s?.exceptions || []).map(exceptionRow));
	const btn = form.querySelector('[type=submit]');
	btn.dataset.i18n = s ? 'common.save' : 'common.create';
	btn.textContent = t(btn.dataset.i18n);
}

function openEdit(s) {
	toggleForm(form, true);
	fill(s);
	form.scrollIntoView({ block: 'nearest' });
}

/*
 * Errors the server names "weekly[2].to" or "exceptions[0].date" are
 * shown on that row; the rest go to the form as usual.
 */
function rowErrors(err) {
	const rest = [];
	for (const fe of err.errors || []) {
		const m = /^(weekly|exceptions)\[(\d+)\]/.exec(fe.field || '');
		const li = m && form.querySelectorAll(`.${m[1]} li`)[Number(m[2])];
		if (!li) {
			rest.push(fe);
			continue;
		}
		li.querySelector('.row-error').textContent = fieldErrorText(fe);
		li.classList.add('invalid');
	}
	err.errors = rest;
	return err;
}

function clearRowErrors() {
	for (const li of form.querySelectorAll('li.invalid')) {
		li.classList.remove('invalid');
		li.querySelector('.row-error').textContent = '';
	}
}

async function submit() {
	clearRowErrors();
	if (!checkRequired(form))
		return;
	const body = readBody();
	const local = localProblem(body);
	if (local) {
		const box = form.querySelector('[data-form-error]');
		box.textContent = local;
		box.hidden = false;
		return;
	}
	const id = form.dataset.id;
	let s;
	try {
		s = id ? await api('PUT', `/schedules/${encodeURIComponent(id)}`,
			body) : await api('POST', '/schedules', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	} catch (err) {
		throw rowErrors(err);
	}
	toggleForm(form, false);
	toast(t(id ? 'schedules.saved' : 'schedules.created',
		{ name: s?.name || body.name }));
	await table.reload();
}

function buildForm() {
	const tz = el('select', { id: 'sf-timezone', name: 'timezone' },
		zones().map((z) => el('option', { value: z }, z)));
	const f = el('form', { id: 'schedule-form', class: 'panel-form',
		novalidate: true, hidden: true, 'data-conflict-field': 'name' },
	formError(),
	el('div', { class: 'form-grid' },
		field('schedules.name', el('input', { id: 'sf-name', name: 'name',
			required: true, maxlength: '100', autocomplete: 'off' })),
		field('schedules.timezone', tz)),
	tx('h3', 'schedules.weekly'),
	el('ul', { class: 'rows weekly' }),
	el('div', { class: 'error', 'data-error-for': 'weekly' }),
	tx('button', 'schedules.add_range', { type: 'button',
		'data-add': 'weekly' }),
	tx('h3', 'schedules.exceptions'),
	el('ul', { class: 'rows exceptions' }),
	el('div', { class: 'error', 'data-error-for': 'exceptions' }),
	tx('button', 'schedules.add_exception', { type: 'button',
		'data-add': 'exceptions' }),
	formActions('common.create'));
	f.querySelector('[data-add=weekly]').addEventListener('click',
		() => f.querySelector('.weekly').append(rangeRow()));
	f.querySelector('[data-add=exceptions]').addEventListener('click',
		() => f.querySelector('.exceptions').append(exceptionRow()));
	return f;
}

/** Wire the schedules tab. @return the tab's table. */
export function initSchedules(onError) {
	const newBtn = tx('button', 'schedules.new', { type: 'button',
		class: 'primary', id: 'schedules-new' });
	form = buildForm();
	const section = tabPage('schedules', { titleKey: 'tab.schedules',
		tools: [newBtn],
		body: [form, ...tableBlock('schedules-table', ['schedules.name',
			'schedules.timezone', 'schedules.weekly', 'schedules.exceptions',
			'common.updated_at', ''])] });
	table = new PagedTable(section, { path: () => '/schedules', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => {
		if (!form.hidden && !form.dataset.id) {
			toggleForm(form, false);
			return;
		}
		clearErrors(form);
		openEdit(null);
	});
	return table;
}
