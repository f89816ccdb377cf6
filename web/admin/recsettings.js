// The tenant's recording policy: what is recorded, from when, stereo or
// mono, the spoken notice, retention, and agents' playback.
import { t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { clearErrors, el, field, formError, select, showErrors, tabPage,
	tx } from './ui.js';

let form;
let onError;

const ctl = (name) => form.elements.namedItem(name);
const opts = (name, values) => values.map((v) => [v, `recset.${name}.${v}`,
	true]);

function check(name, labelKey) {
	return el('div', { class: 'field' },
		el('label', { class: 'check' }, el('input', { type: 'checkbox',
			name, id: `rs-${name}` }), tx('span', labelKey)),
		el('div', { class: 'error', 'data-error-for': name }));
}

function fill(s) {
	for (const n of ['mode', 'start_at', 'channels'])
		ctl(n).value = s[n];
	ctl('retention_days').value = String(s.retention_days);
	ctl('notice').checked = !!s.notice;
	ctl('agent_playback').checked = !!s.agent_playback;
	form.dataset.loaded = '1';
}

async function load() {
	try {
		fill(await api('GET', '/recording/settings'));
	} catch (err) {
		onError(err);
	}
}

async function save(ev) {
	ev.preventDefault();
	clearErrors(form);
	const days = Number(ctl('retention_days').value);
	if (!Number.isInteger(days) || days < 1 || days > 3650) {
		showErrors(form, { code: 'validation_failed', errors: [{
			field: 'retention_days', code: 'range',
			message: 'must be a whole number from 1 to 3650' }] });
		return;
	}
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		fill(await api('PUT', '/recording/settings', {
			mode: ctl('mode').value, start_at: ctl('start_at').value,
			channels: ctl('channels').value, notice: ctl('notice').checked,
			retention_days: days,
			agent_playback: ctl('agent_playback').checked }));
		toast(t('recset.saved'));
	} catch (err) {
		showErrors(form, err);
	} finally {
		btn.disabled = false;
	}
}

/** Wire the recording settings tab. @return {reload, repaint}. */
export function initRecSettings(onErrorCb) {
	onError = onErrorCb;
	form = el('form', { id: 'recset-form', novalidate: true,
		onsubmit: save },
	formError(),
	tx('p', 'recset.override_hint', { class: 'hint' }),
	el('div', { class: 'form-grid' },
		field('recset.mode', select({ id: 'rs-mode', name: 'mode' },
			opts('mode', ['all', 'inbound', 'outbound', 'none']))),
		field('recset.start_at', select({ id: 'rs-start', name: 'start_at' },
			opts('start_at', ['answer', 'call']))),
		field('recset.channels', select({ id: 'rs-channels',
			name: 'channels' }, opts('channels', ['stereo', 'mono']))),
		field('recset.retention_days', el('input', { id: 'rs-days',
			name: 'retention_days', type: 'number', min: '1', max: '3650',
			step: '1', required: true }), 'recset.retention_hint')),
	check('notice', 'recset.notice'),
	check('agent_playback', 'recset.agent_playback'),
	el('div', { class: 'form-actions' }, tx('button', 'common.save',
		{ type: 'submit', class: 'primary', id: 'rs-save' })));
	tabPage('recsettings', { titleKey: 'recset.title', body: [form] });
	return { reload: load, repaint() {} };
}
