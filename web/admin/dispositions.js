// Disposition codes tab: the outcomes an agent gives a call in wrap-up
// (咨询, 投诉 ...), in the order of position. With any code enabled the
// server accepts only enabled codes; with none, agents type free text.
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, checkRequired, el, field,
	formActions, formError, linkButton, tabPage, tableBlock, td,
	toggleForm, tx } from './ui.js';

let table;
let form;

const codePath = (c) => `/disposition-codes/${encodeURIComponent(
	c.code_id)}`;
const ctl = (name) => form.elements.namedItem(name);

async function patch(c, body) {
	try {
		table.update('code_id', await api('PATCH', codePath(c), body));
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(c) {
	if (!window.confirm(t('dispositions.confirm_delete', { code: c.code })))
		return;
	try {
		await api('DELETE', codePath(c));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function openEdit(c) {
	toggleForm(form, true);
	form.dataset.id = c?.code_id || '';
	ctl('code').value = c?.code || '';
	ctl('position').value = String(c?.position ?? 0);
	ctl('enabled').checked = c ? c.enabled : true;
}

function row(c) {
	return el('tr', { dataset: { codeId: c.code_id, code: c.code } },
		td(c.code), td(String(c.position)),
		el('td', {}, c.enabled ? badge(t('reasons.enabled')) :
			badge(t('reasons.disabled'), 'off')),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(c)),
			linkButton(t(c.enabled ? 'reasons.disable' : 'reasons.enable'),
				() => patch(c, { enabled: !c.enabled })),
			linkButton(t('common.delete'), () => remove(c), 'danger')));
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	const body = { code: ctl('code').value.trim(),
		position: Number(ctl('position').value || 0),
		enabled: ctl('enabled').checked };
	if (id) {
		await api('PATCH', `/disposition-codes/${encodeURIComponent(id)}`,
			body);
	}
	else {
		await api('POST', '/disposition-codes', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/** Wire the disposition codes tab. @return the tab's table. */
export function initDispositions(onError) {
	form = el('form', { id: 'disposition-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	el('div', { class: 'form-grid' },
		field('dispositions.code', el('input', { id: 'dcf-code',
			name: 'code', required: true, maxlength: '64',
			autocomplete: 'off' })),
		field('reasons.position', el('input', { id: 'dcf-position',
			name: 'position', type: 'number', min: '0', max: '1000',
			step: '1' }), 'reasons.position_hint'),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'enabled',
				id: 'dcf-enabled' }), tx('span', 'reasons.enabled')))),
	formActions('common.save'));
	const newBtn = tx('button', 'dispositions.new', { type: 'button',
		class: 'primary', id: 'dispositions-new' });
	const section = tabPage('dispositions', {
		titleKey: 'tab.dispositions', tools: [newBtn],
		body: [tx('p', 'dispositions.hint', { class: 'hint' }), form,
			...tableBlock('dispositions-table', ['dispositions.code',
				'reasons.position', 'reasons.status', ''])] });
	table = new PagedTable(section, { path: () => '/disposition-codes',
		row, onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
