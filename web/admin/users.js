// Users tab: list with paging and role filter, create, enable/disable,
// reset password, delete.
import { errorText, formatTime, roleText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, checkRequired, clearErrors, el, formBody,
	linkButton, showErrors, td, toggleForm } from './ui.js';

let table;
let pwTarget = null;

function userName(u) {
	return u.display_name || u.username;
}

async function setDisabled(u, disabled) {
	try {
		const nu = await api('PATCH', `/users/${encodeURIComponent(
			u.user_id)}`, { disabled });
		table.update('user_id', nu);
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(u) {
	if (!window.confirm(t('users.confirm_delete', { name: userName(u) })))
		return;
	try {
		await api('DELETE', `/users/${encodeURIComponent(u.user_id)}`);
		toast(t('users.deleted', { name: userName(u) }));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function openPassword(u) {
	const dlg = document.getElementById('password-dialog');
	const form = document.getElementById('password-form');
	pwTarget = u;
	form.reset();
	clearErrors(form);
	dlg.querySelector('[data-target-name]').textContent =
		`${u.username}${u.display_name ? ` (${u.display_name})` : ''}`;
	dlg.showModal();
	form.password.focus();
}

async function submitPassword(ev) {
	ev.preventDefault();
	const form = ev.currentTarget;
	if (!pwTarget || !checkRequired(form))
		return;
	try {
		await api('POST', `/users/${encodeURIComponent(
			pwTarget.user_id)}/password`, { password: form.password.value });
		document.getElementById('password-dialog').close();
		toast(t('users.password_reset', { name: userName(pwTarget) }));
	} catch (err) {
		showErrors(form, err);
	}
}

function row(u) {
	const status = u.disabled ?
		badge(t('users.disabled'), 'off') : badge(t('users.active'));
	return el('tr', { dataset: { userId: u.user_id, username: u.username } },
		td(u.username, 'mono'), td(u.display_name || '—'),
		td(roleText(u.role)), el('td', {}, status),
		td(formatTime(u.last_login_at)),
		el('td', { class: 'actions' },
			linkButton(t(u.disabled ? 'users.enable' : 'users.disable'),
				() => setDisabled(u, !u.disabled)),
			linkButton(t('users.reset_password'), () => openPassword(u)),
			linkButton(t('users.delete'), () => remove(u), 'danger')));
}

async function submitCreate(ev) {
	ev.preventDefault();
	const form = ev.currentTarget;
	if (!checkRequired(form))
		return;
	const body = formBody(form);
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		const u = await api('POST', '/users', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
		toggleForm(form, false);
		toast(t('users.created', { name: u.username }));
		await table.reload();
	} catch (err) {
		showErrors(form, err);
	} finally {
		btn.disabled = false;
	}
}

/** Wire the users tab. @return the tab's table. */
export function initUsers(onError) {
	const section = document.getElementById('tab-users');
	const form = document.getElementById('user-form');
	const roleSel = document.getElementById('users-role');
	table = new PagedTable(section, {
		path: () => (roleSel.value ?
			`/users?role=${encodeURIComponent(roleSel.value)}` : '/users'),
		row, onError,
	});
	roleSel.addEventListener('change', () => table.reload());
	document.getElementById('users-new').addEventListener('click',
		() => toggleForm(form, form.hidden));
	form.querySelector('[data-cancel]').addEventListener('click',
		() => toggleForm(form, false));
	form.addEventListener('submit', submitCreate);
	const pw = document.getElementById('password-form');
	pw.addEventListener('submit', submitPassword);
	pw.querySelector('[data-cancel]').addEventListener('click',
		() => document.getElementById('password-dialog').close());
	return table;
}
