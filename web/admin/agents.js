// Agents tab: a user's seat — work number, the device that rings (SIP
// phone, phone number, browser), skills with levels. The SIP password is
// write-only: left empty on edit, it stays as it was.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, bindForm, checkRequired, el, field, fillSelect,
	formActions, formError, linkButton, listAll, select, tabPage,
	tableBlock, td, toggleForm, tx } from './ui.js';

let table;
let form;
let skills = [];
const filters = {};

const agentPath = (a) => `/agents/${encodeURIComponent(a.agent_id)}`;
const ctl = (name) => form.elements.namedItem(name);
const DEVICES = ['sip', 'pstn', 'webrtc'];

async function remove(a) {
	if (!window.confirm(t('agents.confirm_delete', { name:
		a.display_name || a.username, work_no: a.work_no })))
		return;
	try {
		await api('DELETE', agentPath(a));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function skillsText(a) {
	return a.skills.map((k) => `${k.name}·${k.level}`).join('，') || '—';
}

function deviceText(a) {
	if (a.device === 'sip')
		return a.sip_user || '—';
	if (a.device === 'pstn')
		return a.phone || '—';
	return t('agents.device.webrtc');
}

/* Where the agent's phone registered from, as a toast. */
async function showRegistration(a) {
	try {
		const r = await api('GET', `${agentPath(a)}/registration`);
		toast(r.registered ? t(r.reachable ? 'agents.reg_on' :
			'agents.reg_unreachable', { source: r.source,
			expires: formatTime(r.expires_at) }) : t('agents.reg_off'));
	} catch (err) {
		toast(errorText(err));
	}
}

function row(a) {
	return el('tr', { dataset: { agentId: a.agent_id, workNo: a.work_no,
		username: a.username } },
	td(a.work_no, 'mono'),
	td(a.display_name ? `${a.display_name} (${a.username})` : a.username),
	td(t(`agents.device.${a.device}`)), td(deviceText(a), 'mono'),
	td(skillsText(a)),
	el('td', { class: 'actions' },
		a.device === 'sip' ? linkButton(t('agents.registration'),
			() => showRegistration(a)) : null,
		linkButton(t('common.edit'), () => openEdit(a)),
		linkButton(t('common.delete'), () => remove(a), 'danger')));
}

/* Only the fields the chosen device uses are shown. */
function showDevice() {
	const d = ctl('device').value;
	form.querySelector('[data-for-sip]').hidden = d !== 'sip';
	form.querySelector('[data-for-sip-secret]').hidden = d !== 'sip';
	form.querySelector('[data-for-pstn]').hidden = d !== 'pstn';
}

function skillRows(have) {
	const box = form.querySelector('[data-skills]');
	const level = (v) => select({ 'aria-label': t('agents.level'),
		'data-level': true }, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) =>
		[String(n), String(n)]));
	box.replaceChildren(...skills.map((k) => {
		const h = have.find((x) => x.skill_id === k.skill_id);
		const lv = level();
		lv.value = String(h?.level ?? 5);
		return el('div', { class: 'skill-pick', dataset: {
			skillId: k.skill_id } },
		el('label', { class: 'check' }, el('input', { type: 'checkbox',
			checked: !!h, 'data-skill': k.skill_id }), el('span', {},
			k.name)), lv);
	}));
	if (!skills.length)
		box.append(tx('p', 'agents.no_skills', { class: 'hint' }));
}

async function openEdit(a) {
	toggleForm(form, true);
	form.dataset.id = a?.agent_id || '';
	const userSel = ctl('user_id');
	userSel.disabled = !!a;
	if (a) {
		fillSelect(userSel, [[a.agent_id, a.display_name ?
			`${a.display_name} (${a.username})` : a.username]]);
	}
	else {
		const [users, agents] = await Promise.all([listAll('/users'),
			listAll('/agents')]);
		const seated = new Set(agents.map((x) => x.agent_id));
		fillSelect(userSel, [['', 'agents.pick_user', true],
			...users.filter((u) => !seated.has(u.user_id) && !u.disabled &&
				(u.role === 'agent' || u.role === 'supervisor'))
				.map((u) => [u.user_id, u.display_name ?
					`${u.display_name} (${u.username})` : u.username])]);
	}
	userSel.value = a?.agent_id || '';
	skills = await listAll('/skills').catch(() => skills);
	ctl('work_no').value = a?.work_no || '';
	ctl('device').value = a?.device || 'sip';
	ctl('sip_user').value = a?.sip_user || '';
	ctl('sip_secret').value = '';
	ctl('phone').value = a?.phone || '';
	form.querySelector('[data-secret-hint]').hidden = !a?.has_sip_secret;
	skillRows(a?.skills || []);
	showDevice();
	form.scrollIntoView({ block: 'nearest' });
}

function body(editing) {
	const b = { work_no: ctl('work_no').value.trim(),
		device: ctl('device').value };
	if (!editing)
		b.user_id = ctl('user_id').value;
	if (b.device === 'sip' || ctl('sip_user').value.trim())
		b.sip_user = ctl('sip_user').value.trim() || null;
	if (ctl('sip_secret').value)
		b.sip_secret = ctl('sip_secret').value;
	if (b.device === 'pstn' || ctl('phone').value.trim())
		b.phone = ctl('phone').value.trim();
	b.skills = [...form.querySelectorAll('[data-skill]')]
		.filter((c) => c.checked).map((c) => ({ skill_id: c.dataset.skill,
			level: Number(c.closest('.skill-pick')
				.querySelector('[data-level]').value) }));
	return b;
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	if (id)
		await api('PATCH', `/agents/${encodeURIComponent(id)}`, body(true));
	else {
		await api('POST', '/agents', body(false),
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

function input(name, props = {}) {
	return el('input', { id: `agf-${name}`, name, autocomplete: 'off',
		...props });
}

function buildForm() {
	return el('form', { id: 'agent-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	el('div', { class: 'form-grid' },
		field('agents.user', el('select', { id: 'agf-user_id',
			name: 'user_id', required: true }), 'agents.user_hint'),
		field('agents.work_no', input('work_no', { required: true,
			maxlength: '8', inputmode: 'numeric', pattern: '[0-9]{1,8}' }),
		'agents.work_no_hint'),
		field('agents.device', select({ id: 'agf-device', name: 'device',
			onchange: showDevice }, DEVICES.map((d) =>
			[d, `agents.device.${d}`, true])), 'agents.device_hint'),
		el('div', { 'data-for-sip': true }, field('agents.sip_user',
			input('sip_user', { maxlength: '64', spellcheck: 'false' }),
			'agents.sip_user_hint')),
		el('div', { class: 'field', 'data-for-sip-secret': true },
			tx('label', 'agents.sip_secret', { for: 'agf-sip_secret' }),
			input('sip_secret', { type: 'password', maxlength: '128',
				autocomplete: 'new-password' }),
			tx('div', 'agents.sip_secret_hint', { class: 'hint' }),
			tx('div', 'agents.secret_keep', { class: 'hint',
				'data-secret-hint': true }),
			el('div', { class: 'error', 'data-error-for': 'sip_secret' })),
		el('div', { 'data-for-pstn': true }, field('agents.phone',
			input('phone', { inputmode: 'tel', maxlength: '32' }),
			'agents.phone_hint')),
		el('div', { class: 'field wide' },
			tx('label', 'agents.skills'),
			el('div', { class: 'skill-list', 'data-skills': true }),
			tx('div', 'agents.skills_hint', { class: 'hint' }),
			el('div', { class: 'error', 'data-error-for': 'skills' }))),
	formActions('common.save'));
}

function listPath() {
	const q = new URLSearchParams();
	for (const [k, c] of Object.entries(filters)) {
		if (c.value.trim())
			q.set(k, c.value.trim());
	}
	const s = q.toString();
	return s ? `/agents?${s}` : '/agents';
}

/** Wire the agents tab. @return the tab's table. */
export function initAgents(onError) {
	form = buildForm();
	const newBtn = tx('button', 'agents.new', { type: 'button',
		class: 'primary', id: 'agents-new' });
	filters.skill_id = select({ id: 'agents-skill', 'aria-label':
		t('agents.skills') }, [['', 'agents.all_skills', true]]);
	filters.device = select({ id: 'agents-device', 'aria-label':
		t('agents.device') }, [['', 'agents.all_devices', true],
		...DEVICES.map((d) => [d, `agents.device.${d}`, true])]);
	filters.q = el('input', { id: 'agents-q', type: 'search',
		placeholder: t('agents.search'), 'data-i18n-placeholder':
			'agents.search' });
	const section = tabPage('agents', { titleKey: 'tab.agents',
		tools: [filters.skill_id, filters.device, filters.q, newBtn],
		body: [form, ...tableBlock('agents-table', ['agents.work_no',
			'agents.name', 'agents.device', 'agents.address',
			'agents.skills', ''])] });
	table = new PagedTable(section, { path: listPath, row, onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null).catch(onError) : toggleForm(form, false)));
	for (const c of Object.values(filters))
		c.addEventListener('change', () => table.reload());
	const reload = table.reload.bind(table);
	table.reload = async () => {
		skills = await listAll('/skills').catch(() => []);
		fillSelect(filters.skill_id, [['', 'agents.all_skills', true],
			...skills.map((k) => [k.skill_id, k.name])]);
		return reload();
	};
	return table;
}
