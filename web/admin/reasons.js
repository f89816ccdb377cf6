// Not-ready reasons tab: what an agent picks when going not ready
// (休息, 会议 ...), in the order of position.
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, checkRequired, el, field,
	formActions, formError, linkButton, tabPage, tableBlock, td,
	toggleForm, tx } from './ui.js';

let table;
let form;

const reasonPath = (r) => `/notready-reasons/${encodeURIComponent(
	r.reason_id)}`;
const ctl = (name) => form.elements.namedItem(name);

async function patch(r, body) {
	try {
		table.update('reason_id', await api('PATCH', reasonPath(r), body));
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(r) {
	if (!window.confirm(t('reasons.confirm_delete', { name: r.name })))
		return;
	try {
		await api('DELETE', reasonPath(r));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function openEdit(r) {
	toggleForm(form, true);
	form.dataset.id = r?.reason_id || '';
	ctl('name').value = r?.name || '';
	ctl('position').value = String(r?.position ?? 0);
	ctl('enabled').checked = r ? r.enabled : true;
}

function row(r) {
	return el('tr', { dataset: { reasonId: r.reason_id, name: r.name } },
		td(r.name), td(String(r.position)),
		el('td', {}, r.enabled ? badge(t('reasons.enabled')) :
			badge(t('reasons.disabled'), 'off')),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(r)),
			linkButton(t(r.enabled ? 'reasons.disable' : 'reasons.enable'),
				() => patch(r, { enabled: !r.enabled })),
			linkButton(t('common.delete'), () => remove(r), 'danger')));
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	const body = { name: ctl('name').value.trim(),
		position: Number(ctl('position').value || 0),
		enabled: ctl('enabled').checked };
	if (id) {
		await api('PATCH', `/notready-reasons/${encodeURIComponent(id)}`,
			body);
	}
	else {
		await api('POST', '/notready-reasons', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/** Wire the not-ready reasons tab. @return the tab's table. */
export function initReasons(onError) {
	form = el('form', { id: 'reason-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	el('div', { class: 'form-grid' },
		field('reasons.name', el('input', { id: 'rsf-name', name: 'name',
			required: true, maxlength: '32', autocomplete: 'off' })),
		field('reasons.position', el('input', { id: 'rsf-position',
			name: 'position', type: 'number', min: '0', max: '1000',
			step: '1' }), 'reasons.position_hint'),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'enabled',
				id: 'rsf-enabled' }), tx('span', 'reasons.enabled')))),
	formActions('common.save'));
	const newBtn = tx('button', 'reasons.new', { type: 'button',
		class: 'primary', id: 'reasons-new' });
	const section = tabPage('reasons', { titleKey: 'tab.reasons',
		tools: [newBtn],
		body: [form, ...tableBlock('reasons-table', ['reasons.name',
			'reasons.position', 'reasons.status', ''])] });
	table = new PagedTable(section, { path: () => '/notready-reasons', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
