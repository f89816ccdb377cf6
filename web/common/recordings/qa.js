// The quality review panel beside the player: pick a form, score each
// criterion, comment, save; the recording's earlier reviews below.
import { api } from '../api.js';
import { errorText, fieldErrorText, formatTime, t } from '../i18n.js';
import { el } from '../shell.js';

const REVIEWABLE = ['ready', 'partial'];
const tx = (tag, key, props = {}, vars) => el(tag, props, t(key, vars));

/* The total the server will compute: Σ weight·score/max_score. */
function preview(form, scores) {
	let total = 0;
	for (const c of form.criteria) {
		const v = scores.get(c.name);
		if (v === undefined)
			return null;
		total += c.weight * v / c.max_score;
	}
	return Math.round(total * 100) / 100;
}

export class QaPanel {
	constructor(root) {
		this.root = root;
		this.rec = null;
		this.forms = [];
		this.form = null;
		this.reviews = [];
		this.error = null;
		this.gen = 0;
	}

	async open(rec) {
		const gen = ++this.gen;
		this.rec = rec;
		this.form = null;
		this.error = null;
		this.root.hidden = false;
		this.draw();
		try {
			const [forms, reviews] = await Promise.all([
				api('GET', '/qa/forms?active=true&limit=200'),
				api('GET', `/recordings/${encodeURIComponent(
					rec.recording_id)}/reviews`)]);
			if (gen !== this.gen)
				return;
			this.forms = forms.items || [];
			this.reviews = reviews.items || [];
			this.form = this.forms.length === 1 ? this.forms[0] : null;
		} catch (err) {
			if (gen !== this.gen)
				return;
			this.error = errorText(err);
		}
		this.draw();
	}

	close() {
		this.gen++;
		this.rec = null;
		this.root.hidden = true;
		this.root.replaceChildren();
	}

	/* a language switch keeps what the reviewer typed */
	repaint() {
		if (!this.rec)
			return;
		const typed = [...this.root.querySelectorAll('input, textarea')]
			.map((x) => [x.id, x.value]);
		this.draw();
		for (const [id, v] of typed) {
			const x = id && this.root.querySelector(`#${CSS.escape(id)}`);
			if (x)
				x.value = v;
		}
		const f = this.root.querySelector('#qa-score');
		if (f && this.form)
			this.updateTotal(f);
	}

	draw() {
		const ok = REVIEWABLE.includes(this.rec.status);
		/* replaceChildren would print a null as text */
		this.root.replaceChildren(...[tx('h3', 'qa.title'),
			this.error ? el('div', { class: 'alert', role: 'alert' },
				this.error) : null,
			ok ? this.scoreForm() : tx('p', 'qa.not_reviewable',
				{ class: 'hint' }),
			tx('h4', 'qa.previous'), this.previous()].filter(Boolean));
	}

	formPicker() {
		const s = el('select', { id: 'qa-form', name: 'form_id',
			onchange: (e) => {
				this.form = this.forms.find((f) => f.form_id ===
					e.target.value) || null;
				this.draw();
			} },
		tx('option', 'qa.pick_form', { value: '' }),
		...this.forms.map((f) => el('option', { value: f.form_id,
			selected: this.form?.form_id === f.form_id }, f.name)));
		return el('div', { class: 'field' },
			el('label', { for: 'qa-form' }, t('qa.form')), s);
	}

	scoreForm() {
		if (!this.forms.length)
			return tx('p', 'qa.no_forms', { class: 'hint', id: 'qa-empty' });
		const f = el('form', { id: 'qa-score', class: 'qa-score',
			novalidate: true, onsubmit: (e) => {
				e.preventDefault();
				this.save(f);
			} },
		el('div', { class: 'alert', 'data-form-error': true, role: 'alert',
			hidden: true }),
		this.formPicker());
		if (!this.form)
			return f;
		this.form.criteria.forEach((c, i) => f.append(this.criterion(c, i)));
		f.append(el('div', { class: 'field' },
			el('label', { for: 'qa-comment' }, t('qa.comment')),
			el('textarea', { id: 'qa-comment', name: 'comment', rows: 2,
				maxlength: 2000 }),
			el('div', { class: 'error', 'data-error-for': 'comment' })),
		el('div', { class: 'form-actions' },
			el('span', { class: 'qa-preview' }, `${t('qa.total')} `,
				el('strong', { id: 'qa-total' }, '—')),
			tx('button', 'qa.save', { type: 'submit', class: 'primary',
				id: 'qa-save' })));
		f.addEventListener('input', () => this.updateTotal(f));
		return f;
	}

	criterion(c, i) {
		return el('div', { class: 'field qa-criterion' },
			el('label', { for: `qa-c${i}` }, c.name,
				el('span', { class: 'hint' }, ` · ${t('qa.weight',
					{ w: c.weight })} · ${t('qa.of', { max: c.max_score })}`)),
			el('input', { id: `qa-c${i}`, type: 'number', min: 0,
				max: c.max_score, step: 1, required: true, inputmode: 'numeric',
				dataset: { criterion: c.name } }),
			el('div', { class: 'error', 'data-error-for': `scores[${i}]` }));
	}

	scoresOf(form) {
		const m = new Map();
		for (const inp of form.querySelectorAll('[data-criterion]')) {
			if (inp.value.trim() !== '')
				m.set(inp.dataset.criterion, Number(inp.value));
		}
		return m;
	}

	updateTotal(form) {
		const v = this.form ? preview(this.form, this.scoresOf(form)) : null;
		form.querySelector('#qa-total').textContent = v === null ? '—' :
			String(v);
	}

	showError(form, err) {
		const box = form.querySelector('[data-form-error]');
		const fe = err?.errors?.[0];
		box.textContent = errorText(err);
		box.hidden = false;
		if (!fe?.field)
			return;
		/* scores go in the form's order: scores[2].score is line 2 */
		const m = /^scores\[(\d+)\]/.exec(fe.field);
		const key = m ? `scores[${m[1]}]` : fe.field;
		const slot = form.querySelector(`[data-error-for="${key}"]`);
		if (slot)
			slot.textContent = fieldErrorText(fe);
		else
			box.textContent = `${errorText(err)}：${fieldErrorText(fe)}`;
	}

	async save(form) {
		const scores = this.scoresOf(form);
		for (const s of form.querySelectorAll('[data-error-for]'))
			s.textContent = '';
		form.querySelector('[data-form-error]').hidden = true;
		if (scores.size !== this.form.criteria.length) {
			const box = form.querySelector('[data-form-error]');
			box.textContent = t('qa.missing');
			box.hidden = false;
			return;
		}
		const btn = form.querySelector('#qa-save');
		btn.disabled = true;
		try {
			const r = await api('POST', `/recordings/${encodeURIComponent(
				this.rec.recording_id)}/reviews`, {
				form_id: this.form.form_id,
				scores: this.form.criteria.map((c) => ({ criterion: c.name,
					score: scores.get(c.name) })),
				comment: form.querySelector('#qa-comment').value });
			this.reviews.unshift(r);
			this.draw();
			const done = tx('div', 'qa.saved', { class: 'alert ok',
				id: 'qa-saved', role: 'status' }, { total: Number(r.total) });
			this.root.querySelector('#qa-score')?.prepend(done);
		} catch (err) {
			this.showError(form, err);
		} finally {
			btn.disabled = false;
		}
	}

	previous() {
		if (!this.reviews.length)
			return tx('p', 'qa.none', { class: 'hint', id: 'qa-reviews' });
		return el('ul', { id: 'qa-reviews', class: 'qa-reviews' },
			...this.reviews.map((r) => el('li', {
				dataset: { reviewId: r.review_id } },
			el('strong', { class: 'qa-total' }, String(Number(r.total))),
			el('span', {}, ` ${r.form_name || ''} · `),
			el('span', { class: 'hint' }, t('qa.by', {
				who: r.reviewer_name || '—', when: formatTime(r.created_at) })),
			r.comment ? el('div', { class: 'qa-comment' }, r.comment) : null,
			el('div', { class: 'hint' }, (r.scores || []).map((s) =>
				`${s.criterion} ${s.score}/${s.max_score}`).join(' · ')))));
	}
}
