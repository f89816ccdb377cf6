// Skills tab: what agents can do and queues require. Deleting a skill
// takes it from its agents and queues.
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, bindForm, checkRequired, el, field, formActions,
	formError, linkButton, tabPage, tableBlock, td, toggleForm, tx }
	from './ui.js';

let table;
let form;

const skillPath = (k) => `/skills/${encodeURIComponent(k.skill_id)}`;

async function remove(k) {
	const warn = k.agent_count || k.queue_count ?
		t('skills.confirm_delete_used', { name: k.name,
			agents: k.agent_count, queues: k.queue_count }) :
		t('skills.confirm_delete', { name: k.name });
	if (!window.confirm(warn))
		return;
	try {
		await api('DELETE', skillPath(k));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function openEdit(k) {
	toggleForm(form, true);
	form.dataset.id = k?.skill_id || '';
	form.elements.namedItem('name').value = k?.name || '';
}

function row(k) {
	return el('tr', { dataset: { skillId: k.skill_id, name: k.name } },
		td(k.name), td(String(k.agent_count)), td(String(k.queue_count)),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(k)),
			linkButton(t('common.delete'), () => remove(k), 'danger')));
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	const body = { name: form.elements.namedItem('name').value.trim() };
	if (id)
		await api('PATCH', `/skills/${encodeURIComponent(id)}`, body);
	else {
		await api('POST', '/skills', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/** Wire the skills tab. @return the tab's table. */
export function initSkills(onError) {
	form = el('form', { id: 'skill-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	el('div', { class: 'form-grid' },
		field('skills.name', el('input', { id: 'skf-name', name: 'name',
			required: true, maxlength: '64', autocomplete: 'off' }),
		'skills.name_hint')),
	formActions('common.save'));
	const newBtn = tx('button', 'skills.new', { type: 'button',
		class: 'primary', id: 'skills-new' });
	const section = tabPage('skills', { titleKey: 'tab.skills',
		tools: [newBtn],
		body: [form, ...tableBlock('skills-table', ['skills.name',
			'skills.agents', 'skills.queues', ''])] });
	table = new PagedTable(section, { path: () => '/skills', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
