// The recording player: waveform (wavesurfer.js, one lane per channel),
// play/pause, speed, the call's events as markers and as a list beside,
// pauses shaded, flags, and the MP3/WAV downloads.
import WaveSurfer from '/vendor/wavesurfer.js/dist/wavesurfer.esm.js';
import RegionsPlugin
	from '/vendor/wavesurfer.js/dist/plugins/regions.esm.js';
import { api } from '../api.js';
import { errorText, t } from '../i18n.js';
import { el } from '../shell.js';
import { downloadRecording, fetchAudio } from './audio.js';
import { clock, pausesOf, timelineOf } from './timeline.js';

const PLAYABLE = ['ready', 'partial'];
const LANES = [
	{ waveColor: '#93b4ff', progressColor: '#2563eb' },
	{ waveColor: '#8ee0b5', progressColor: '#039855' },
];

const tx = (tag, key, props = {}, vars) => el(tag, props, t(key, vars));

/*
 * One player per page. open() supersedes whatever was loading: every
 * async step checks that its generation is still the current one.
 * root.dataset.state: loading | ready | playing | paused | error, and
 * data-time the playing position (for tests and screen readers).
 */
export class RecordingPlayer {
	constructor(root, { onClose } = {}) {
		this.root = root;
		this.onClose = onClose;
		this.ws = null;
		this.regions = null;
		this.rec = null;
		this.events = [];
		this.gen = 0;
		this.abort = null;
	}

	/** Show rec (a search item); fetch its audio and the call's events. */
	async open(rec) {
		const gen = ++this.gen;
		this.teardown();
		this.rec = rec;
		this.events = [];
		this.draw();
		this.setState('loading');
		const audio = PLAYABLE.includes(rec.status) ? this.loadAudio(gen) :
			Promise.resolve(this.fail(t('rec.unplayable', {
				status: t(`rec.status.${rec.status}`) })));
		const events = api('GET', `/calls/${encodeURIComponent(
			rec.call_id)}`).then((c) => {
			if (gen === this.gen) {
				this.events = c?.events || [];
				this.drawTimeline();
			}
		}, () => { /* the audio still plays without the timeline */ });
		await Promise.all([audio, events]);
	}

	async loadAudio(gen) {
		this.abort = new AbortController();
		try {
			const { blob } = await fetchAudio(`/recordings/${
				encodeURIComponent(this.rec.recording_id)}/audio`,
			this.abort.signal);
			if (gen !== this.gen)
				return;
			this.ws = this.makeWave();
			await this.ws.loadBlob(blob);
		} catch (err) {
			if (gen === this.gen && err?.name !== 'AbortError')
				this.fail(err?.code ? errorText(err) : t('rec.decode_failed'));
		}
	}

	makeWave() {
		const stereo = Number(this.rec.channels) === 2;
		this.regions = RegionsPlugin.create();
		const ws = WaveSurfer.create({ container: this.q('#rec-wave'),
			height: stereo ? 56 : 96, splitChannels: stereo ? LANES :
				undefined, waveColor: LANES[0].waveColor,
			progressColor: LANES[0].progressColor, cursorColor: '#d92d20',
			normalize: true, dragToSeek: true,
			plugins: [this.regions] });
		ws.on('ready', () => {
			this.setState('ready');
			this.drawMarks();
			this.tick(0);
		});
		ws.on('play', () => this.setState('playing'));
		ws.on('pause', () => this.setState('paused'));
		ws.on('finish', () => this.setState('paused'));
		ws.on('timeupdate', (s) => this.tick(s));
		ws.on('error', () => this.fail(t('rec.decode_failed')));
		return ws;
	}

	/** Stop and forget the audio (another recording, or closing). */
	teardown() {
		this.abort?.abort();
		this.abort = null;
		this.ws?.destroy();
		this.ws = null;
		this.regions = null;
	}

	close() {
		this.gen++;
		this.teardown();
		this.rec = null;
		this.root.hidden = true;
		this.root.replaceChildren();
		this.onClose?.();
	}

	q(sel) {
		return this.root.querySelector(sel);
	}

	setState(s) {
		this.root.dataset.state = s;
		const b = this.q('#rec-play');
		if (b) {
			b.disabled = !this.ws || s === 'loading' || s === 'error';
			b.textContent = s === 'playing' ? t('rec.pause') : t('rec.play');
		}
	}

	fail(text) {
		this.setState('error');
		const box = this.q('#rec-error');
		if (box) {
			box.textContent = text;
			box.hidden = false;
		}
	}

	tick(s) {
		this.root.dataset.time = s.toFixed(2);
		const d = this.ws?.getDuration() || 0;
		const out = this.q('#rec-time');
		if (out)
			out.textContent = `${clock(s)} / ${clock(d)}`;
	}

	seek(s) {
		if (!this.ws)
			return;
		const d = this.ws.getDuration();
		if (d > 0)
			this.ws.seekTo(Math.min(1, Math.max(0, s / d)));
	}

	/** Redraw the texts (after a language switch); the audio stays. */
	repaint() {
		if (!this.rec)
			return;
		const state = this.root.dataset.state;
		const time = Number(this.root.dataset.time || 0);
		const wave = this.q('#rec-wave');
		const speed = this.q('#rec-speed')?.value;
		this.draw(wave);
		if (speed)
			this.q('#rec-speed').value = speed;
		this.setState(state);
		this.tick(time);
		this.drawTimeline();
	}

	draw(wave) {
		const r = this.rec;
		const stereo = Number(r.channels) === 2;
		this.root.hidden = false;
		this.root.replaceChildren(
			el('div', { class: 'panel-head' },
				el('h3', {}, [r.caller, r.callee || r.number]
					.filter(Boolean).join(' → ')),
				el('span', { class: 'hint' }, [r.agent_name, r.queue_name]
					.filter(Boolean).join(' · ')),
				tx('button', 'rec.close', { type: 'button', class: 'link',
					id: 'rec-close', onclick: () => this.close() })),
			el('div', { class: 'alert', id: 'rec-error', role: 'alert',
				hidden: true }),
			el('div', { class: 'rec-flags' }, ...this.flags()),
			el('div', { class: 'rec-main' },
				el('div', { class: 'rec-wave-box' },
					stereo ? el('div', { class: 'rec-lanes' },
						tx('span', 'rec.left'), tx('span', 'rec.right')) :
						null,
					wave || el('div', { id: 'rec-wave', class: 'rec-wave' }),
					this.controls()),
				el('div', { class: 'rec-side' },
					tx('h4', 'rec.timeline'),
					el('ol', { id: 'rec-timeline', class: 'rec-timeline' }))));
	}

	controls() {
		const speed = el('select', { id: 'rec-speed',
			'aria-label': t('rec.speed'),
			onchange: (e) => this.ws?.setPlaybackRate(Number(e.target.value)) },
		...['1', '1.25', '1.5', '2'].map((v) => el('option', { value: v },
			`${v}×`)));
		const dl = (fmt, id, key) => tx('button', key, { type: 'button', id,
			onclick: async (e) => {
				const b = e.currentTarget;
				b.disabled = true;
				try {
					await downloadRecording(this.rec, fmt);
				} catch (err) {
					this.fail(errorText(err));
				} finally {
					b.disabled = false;
				}
			} });
		return el('div', { class: 'rec-controls' },
			tx('button', 'rec.play', { type: 'button', class: 'primary',
				id: 'rec-play', disabled: true,
				onclick: () => this.ws?.playPause() }),
			el('span', { id: 'rec-time', class: 'mono' }, '0:00 / 0:00'),
			speed, el('span', { class: 'spacer' }),
			dl('mp3', 'rec-dl-mp3', 'rec.download_mp3'),
			dl('wav', 'rec-dl-wav', 'rec.download_wav'));
	}

	flags() {
		const f = this.rec.flags || {};
		const out = [];
		const secs = (ms) => Math.round(Number(ms) / 100) / 10;
		if (this.rec.status === 'partial')
			out.push(tx('span', 'rec.flag.partial', { class: 'badge bad' }));
		if (f.overflow)
			out.push(tx('span', 'rec.flag.overflow', { class: 'badge bad' }));
		if (Number(f.longest_silence_ms) > 0) {
			out.push(tx('span', 'rec.flag.silence', { class: 'badge' },
				{ s: secs(f.longest_silence_ms) }));
		}
		if (Number(f.talkover_ms) > 0) {
			out.push(tx('span', 'rec.flag.talkover', { class: 'badge' },
				{ s: secs(f.talkover_ms) }));
		}
		for (const p of pausesOf(this.rec)) {
			out.push(tx('span', 'rec.paused_span', { class: 'badge off' },
				{ s: Math.round(p.end - p.start) }));
		}
		return out;
	}

	duration() {
		return this.ws?.getDuration() ||
			(Number(this.rec.duration_ms) || 0) / 1000;
	}

	drawTimeline() {
		const list = this.q('#rec-timeline');
		if (!list)
			return;
		const items = timelineOf(this.events, this.rec, this.duration());
		list.replaceChildren(...items.map((e) => el('li', {
			dataset: { type: e.type, marked: e.marked ? '1' : '0' } },
		el('button', { type: 'button', class: 'link mono',
			disabled: !e.marked, onclick: () => this.seek(e.at) },
		e.at === null || e.at < 0 ? t('rec.before_start') : clock(e.at)),
		this.dot(e.color),
		el('span', { title: e.when }, e.label))));
		if (!items.length)
			list.append(tx('li', 'rec.no_events', { class: 'hint' }));
		this.drawMarks();
	}

	/* through the CSSOM: a style attribute is inline CSS to the CSP */
	dot(color) {
		const d = el('span', { class: 'dot' });
		if (color)
			d.style.background = color;
		return d;
	}

	/* Markers need the decoded duration: drawn on ready and on events. */
	drawMarks() {
		if (!this.regions || !this.ws?.getDuration())
			return;
		this.regions.clearRegions();
		for (const p of pausesOf(this.rec)) {
			this.regions.addRegion({ start: p.start, end: p.end,
				color: 'rgba(52, 64, 84, .22)', drag: false, resize: false,
				content: t('rec.ev.recording.paused') });
		}
		const items = timelineOf(this.events, this.rec, this.duration());
		/* lines only: several steps often share a second, and their
		 * names would pile up; the list beside names them */
		items.filter((e) => e.marked).forEach((e, i) => {
			const m = this.regions.addRegion({ id: `ev${i}`, start: e.at,
				color: e.color, drag: false, resize: false });
			if (m.element) {
				m.element.title = `${clock(e.at)} ${e.label}`;
				m.element.dataset.type = e.type;
			}
		});
		this.root.dataset.markers = String(items.filter((e) =>
			e.marked).length);
	}
}
