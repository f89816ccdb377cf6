// QA forms tab: a tenant's quality review forms, each a name and weighted
// criteria (weights add up to 100, each scored 0..max_score).
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, checkRequired, el, field,
	formActions, formError, linkButton, tabPage, tableBlock, td,
	toggleForm, tx } from './ui.js';

const MAX_CRITERIA = 20;
let table;
let form;
let rows;

const formPath = (f) => `/qa/forms/${encodeURIComponent(f.form_id)}`;

function criterionRow(c = { name: '', weight: '', max_score: 5 }) {
	const li = el('li', { class: 'range-row' });
	const input = (key, props) => el('input', { name: key, autocomplete: 'off',
		...props });
	li.append(
		input('name', { value: c.name, required: true, maxlength: '64',
			'aria-label': t('qaf.criterion'),
			placeholder: t('qaf.criterion') }),
		input('weight', { type: 'number', min: '1', max: '100', step: '1',
			value: String(c.weight), required: true,
			'aria-label': t('qaf.weight'), title: t('qaf.weight') }),
		input('max_score', { type: 'number', min: '1', max: '100', step: '1',
			value: String(c.max_score), required: true,
			'aria-label': t('qaf.max_score'), title: t('qaf.max_score') }),
		linkButton(t('qaf.remove'), () => {
			li.remove();
			renumber();
		}, 'danger'),
		el('span', { class: 'row-error' }));
	return li;
}

/* Field names follow the position, so a 400 lands on its row. */
function renumber() {
	[...rows.children].forEach((li, i) => {
		for (const inp of li.querySelectorAll('input'))
			inp.dataset.field = `criteria[${i}].${inp.name}`;
	});
	const sum = [...rows.querySelectorAll('input[name=weight]')]
		.reduce((s, i) => s + (Number(i.value) || 0), 0);
	const out = form.querySelector('#qaf-sum');
	out.textContent = t('qaf.weights_sum', { sum });
	out.classList.toggle('error', sum !== 100);
	form.querySelector('#qaf-add').disabled =
		rows.children.length >= MAX_CRITERIA;
}

function criteria() {
	return [...rows.children].map((li) => ({
		name: li.querySelector('[name=name]').value.trim(),
		weight: Number(li.querySelector('[name=weight]').value),
		max_score: Number(li.querySelector('[name=max_score]').value) }));
}

function openEdit(f) {
	toggleForm(form, true);
	form.dataset.id = f?.form_id || '';
	form.elements.namedItem('qaf-name').value = f?.name || '';
	form.dataset.active = f ? String(f.active) : 'true';
	rows.replaceChildren(...(f?.criteria || [{ name: '', weight: 100,
		max_score: 5 }]).map((c) => criterionRow(c)));
	renumber();
}

/* A server error naming criteria[i].x goes to row i; others on top. */
function showRowError(err) {
	const fe = err.errors?.[0];
	const m = /^criteria\[(\d+)\]/.exec(fe?.field || '');
	const li = m ? rows.children[Number(m[1])] : null;
	if (!li)
		return false;
	li.querySelector('.row-error').textContent = `${fe.message || ''}`;
	const inp = li.querySelector(`[data-field="${CSS.escape(fe.field)}"]`);
	inp?.setAttribute('aria-invalid', 'true');
	return true;
}

async function submit() {
	for (const e of rows.querySelectorAll('.row-error'))
		e.textContent = '';
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	const body = { name: form.elements.namedItem('qaf-name').value.trim(),
		criteria: criteria(), active: form.dataset.active !== 'false' };
	try {
		if (id)
			await api('PUT', `/qa/forms/${encodeURIComponent(id)}`, body);
		else {
			await api('POST', '/qa/forms', body,
				{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
		}
	} catch (err) {
		showRowError(err);
		throw err;
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

async function setActive(f, active) {
	try {
		table.update('form_id', await api('PUT', formPath(f),
			{ name: f.name, criteria: f.criteria, active }));
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(f) {
	if (!window.confirm(t('qaf.confirm_delete', { name: f.name })))
		return;
	try {
		await api('DELETE', formPath(f));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function row(f) {
	return el('tr', { dataset: { formId: f.form_id, name: f.name } },
		td(f.name),
		td(f.criteria.map((c) => `${c.name} ${c.weight}%`).join(' · ')),
		el('td', {}, f.active ? badge(t('qaf.active')) :
			badge(t('qaf.retired'), 'off')),
		el('td', { class: 'actions' },
			linkButton(t('qaf.edit'), () => openEdit(f)),
			linkButton(t(f.active ? 'qaf.retire' : 'qaf.activate'),
				() => setActive(f, !f.active)),
			linkButton(t('qaf.delete'), () => remove(f), 'danger')));
}

/** Wire the QA forms tab. @return the tab's table. */
export function initQaForms(onError) {
	rows = el('ol', { class: 'rows qaf-rows', id: 'qaf-rows' });
	form = el('form', { id: 'qaf-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	field('qaf.name', el('input', { id: 'qaf-name', name: 'qaf-name',
		required: true, maxlength: '64', autocomplete: 'off' })),
	tx('h3', 'qaf.criteria'), rows,
	el('div', { class: 'flow-tools' },
		tx('button', 'qaf.add', { type: 'button', id: 'qaf-add',
			onclick: () => {
				rows.append(criterionRow());
				renumber();
			} }),
		el('span', { id: 'qaf-sum', class: 'hint', 'aria-live': 'polite' })),
	formActions('common.save'));
	form.addEventListener('input', () => renumber());
	const newBtn = tx('button', 'qaf.new', { type: 'button',
		class: 'primary', id: 'qaf-new' });
	const section = tabPage('qaforms', { titleKey: 'tab.qaforms',
		tools: [newBtn],
		body: [form, ...tableBlock('qaf-table', ['qaf.name', 'qaf.criteria',
			'rec.status', ''])] });
	table = new PagedTable(section, { path: () => '/qa/forms', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
