// The recordings page of the supervisor and admin consoles: filters,
// a paged result table, and for the chosen recording the player with
// the call's timeline and the quality review panel.
import { api } from '../api.js';
import { errorText, formatTime, hasKey, onLocaleChange, t }
	from '../i18n.js';
import { el } from '../shell.js';
import { RecordingPlayer } from './player.js';
import { QaPanel } from './qa.js';
import { clock } from './timeline.js';

const DISPOSITIONS = ['completed', 'abandoned', 'voicemail', 'transferred',
	'failed', 'rejected'];
const STATUSES = ['ready', 'partial', 'recording', 'failed'];
const PAGE = 25;
const tx = (tag, key, props = {}, vars) => el(tag, props, t(key, vars));

/* datetime-local is local time; the API wants an instant. */
function instant(v) {
	const d = v ? new Date(v) : null;
	return d && !Number.isNaN(d.getTime()) ? d.toISOString() : '';
}

function field(key, control) {
	return el('div', { class: 'field' },
		el('label', { for: control.id }, t(key)), control);
}

function options(id, name, list) {
	return el('select', { id, name }, tx('option', 'rec.any', { value: '' }),
		...list.map(([v, label]) => el('option', { value: v }, label)));
}

const dispText = (d) => (d && hasKey(`disposition.${d}`) ?
	t(`disposition.${d}`) : (d || '—'));

export class RecordingsPage {
	/**
	 * @param root     element to fill
	 * @param onError  shows a failure of the list (errorText-able)
	 */
	constructor(root, { onError } = {}) {
		this.root = root;
		this.onError = onError || (() => {});
		this.items = [];
		this.cursor = null;
		this.gen = 0;
		this.agents = [];
		this.queues = [];
		this.build();
		onLocaleChange(() => this.repaint());
	}

	build() {
		this.filters = this.buildFilters();
		this.status = el('p', { class: 'hint', id: 'rec-count',
			'aria-live': 'polite' });
		this.tbody = el('tbody');
		this.more = tx('button', 'common.more', { type: 'button',
			id: 'rec-more', hidden: true, onclick: () => this.load() });
		this.playerBox = el('section', { id: 'rec-player',
			class: 'panel rec-player', hidden: true, 'aria-live': 'polite' });
		this.qaBox = el('section', { id: 'rec-qa', class: 'panel rec-qa',
			hidden: true });
		this.player = new RecordingPlayer(this.playerBox, {
			onClose: () => this.qa.close() });
		this.qa = new QaPanel(this.qaBox);
		this.thead = el('thead');
		this.root.replaceChildren(this.filters,
			el('div', { class: 'rec-detail' }, this.playerBox, this.qaBox),
			el('div', { class: 'table-wrap' }, el('table', { id: 'rec-table' },
				this.thead, this.tbody)),
			this.status, el('div', { class: 'more' }, this.more));
		this.drawHead();
	}

	buildFilters() {
		const f = el('form', { id: 'rec-filters', class: 'filters',
			novalidate: true, role: 'search' });
		f.addEventListener('submit', (e) => {
			e.preventDefault();
			this.reload();
		});
		f.addEventListener('reset', () => setTimeout(() => this.reload()));
		this.drawFilters(f);
		return f;
	}

	/* Filled again after a language switch; the values are kept. */
	drawFilters(f) {
		const keep = f.elements ? Object.fromEntries([...f.elements]
			.filter((x) => x.name).map((x) => [x.name, x.value])) : {};
		const input = (id, name, props = {}) => el('input', { id, name,
			autocomplete: 'off', ...props });
		f.replaceChildren(el('div', { class: 'form-grid' },
			field('rec.from', input('rf-from', 'from',
				{ type: 'datetime-local' })),
			field('rec.to', input('rf-to', 'to', { type: 'datetime-local' })),
			field('rec.agent', options('rf-agent', 'agent_id',
				this.agents.map((a) => [a.agent_id, [a.work_no,
					a.display_name || a.username].filter(Boolean)
					.join(' ')]))),
			field('rec.queue', options('rf-queue', 'queue_id',
				this.queues.map((q) => [q.queue_id, q.name]))),
			field('rec.number', input('rf-number', 'number',
				{ inputmode: 'tel' })),
			field('rec.caller', input('rf-caller', 'caller',
				{ inputmode: 'tel' })),
			field('rec.min_s', input('rf-min', 'min_duration_s',
				{ type: 'number', min: 0, step: 1 })),
			field('rec.max_s', input('rf-max', 'max_duration_s',
				{ type: 'number', min: 0, step: 1 })),
			field('rec.disposition', options('rf-disposition', 'disposition',
				DISPOSITIONS.map((d) => [d, dispText(d)]))),
			field('rec.survey', options('rf-survey', 'survey_score',
				[1, 2, 3, 4, 5].map((n) => [String(n), '★'.repeat(n)]))),
			field('rec.status', options('rf-status', 'status',
				STATUSES.map((s) => [s, t(`rec.status.${s}`)])))),
		el('div', { class: 'form-actions' },
			tx('button', 'rec.reset', { type: 'reset' }),
			tx('button', 'rec.search', { type: 'submit', class: 'primary',
				id: 'rf-search' })));
		for (const [k, v] of Object.entries(keep)) {
			const x = f.elements.namedItem(k);
			if (x)
				x.value = v;
		}
	}

	drawHead() {
		this.thead.replaceChildren(el('tr', {}, ...['rec.started',
			'rec.caller', 'rec.number', 'rec.agent', 'rec.queue',
			'rec.duration', 'rec.disposition', 'rec.survey', 'rec.qa_total',
			'rec.status', ''].map((k) => (k ? tx('th', k) : el('th')))));
	}

	/** Agents and queues for the filters; a role without them skips. */
	async loadChoices() {
		const all = async (path) => {
			try {
				return (await api('GET', `${path}?limit=200`)).items || [];
			} catch {
				return [];
			}
		};
		[this.agents, this.queues] = await Promise.all([all('/agents'),
			all('/queues')]);
		this.drawFilters(this.filters);
	}

	query() {
		const q = new URLSearchParams();
		const v = (n) => this.filters.elements.namedItem(n).value.trim();
		for (const n of ['agent_id', 'queue_id', 'number', 'caller',
			'min_duration_s', 'max_duration_s', 'disposition',
			'survey_score', 'status']) {
			if (v(n))
				q.set(n, v(n));
		}
		for (const n of ['from', 'to']) {
			if (instant(v(n)))
				q.set(n, instant(v(n)));
		}
		return q;
	}

	/** Start again from the first page with the filters as they are. */
	reload() {
		const lo = this.filters.elements.namedItem('min_duration_s').value;
		const hi = this.filters.elements.namedItem('max_duration_s').value;
		if (lo !== '' && hi !== '' && Number(lo) > Number(hi)) {
			this.onError({ message: t('rec.filter_invalid'),
				code: 'filter_invalid' });
			return Promise.resolve();
		}
		this.onError(null);
		this.gen++;
		this.items = [];
		this.cursor = null;
		this.tbody.replaceChildren();
		return this.load();
	}

	async load() {
		const gen = this.gen;
		const q = this.query();
		q.set('limit', String(PAGE));
		if (this.cursor)
			q.set('cursor', this.cursor);
		this.root.dataset.loading = '1';
		this.more.disabled = true;
		try {
			const page = await api('GET', `/recordings?${q}`);
			if (gen !== this.gen)
				return;
			for (const r of page.items || []) {
				this.items.push(r);
				this.tbody.append(this.row(r));
			}
			this.cursor = page.next_cursor || null;
		} catch (err) {
			if (gen === this.gen)
				this.onError(err);
		} finally {
			if (gen === this.gen) {
				delete this.root.dataset.loading;
				this.root.dataset.loaded = String(gen);
				this.more.disabled = false;
				this.more.hidden = !this.cursor;
				this.status.textContent = this.items.length ? '' :
					t('rec.none');
			}
		}
	}

	row(r) {
		const status = hasKey(`rec.status.${r.status}`) ?
			t(`rec.status.${r.status}`) : r.status;
		const td = (v, cls) => el('td', cls ? { class: cls } : {}, v ?? '—');
		return el('tr', { dataset: { recordingId: r.recording_id },
			'aria-selected': String(this.player.rec?.recording_id ===
				r.recording_id) },
		td(formatTime(r.started_at)), td(r.caller, 'mono'),
		td(r.number, 'mono'), td(r.agent_name), td(r.queue_name),
		td(clock((Number(r.duration_ms) || 0) / 1000)),
		td(dispText(r.disposition)),
		td(r.survey_score ? '★'.repeat(r.survey_score) : '—'),
		td(r.qa_total === null || r.qa_total === undefined ? '—' :
			String(Number(r.qa_total))),
		el('td', {}, el('span', { class: `badge ${r.status === 'failed' ?
			'bad' : (r.status === 'ready' ? '' : 'off')}` }, status)),
		el('td', { class: 'actions' }, tx('button', 'rec.open', {
			type: 'button', class: 'link rec-open',
			onclick: () => this.open(r) })));
	}

	/** Open a recording in the player and the review panel. */
	open(r) {
		for (const tr of this.tbody.children) {
			tr.setAttribute('aria-selected', String(tr.dataset.recordingId ===
				r.recording_id));
		}
		this.qa.open(r);
		const p = this.player.open(r);
		this.playerBox.scrollIntoView({ block: 'nearest' });
		return p;
	}

	repaint() {
		this.drawFilters(this.filters);
		this.drawHead();
		this.tbody.replaceChildren(...this.items.map((r) => this.row(r)));
		this.status.textContent = this.items.length ? '' : t('rec.none');
		this.player.repaint();
		this.qa.repaint();
	}
}

/** Describe an error for the page's alert box. */
export function pageErrorText(err) {
	return err?.code === 'filter_invalid' ? err.message : errorText(err);
}
