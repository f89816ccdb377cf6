// The call's events placed on the recording: offset = event time −
// recording start; which events become markers on the waveform.
import { formatTime, hasKey, t } from '../i18n.js';

/* Marked on the waveform, with a colour per kind of moment. */
const MARKED = {
	'ivr.entered': '#7a5af8',
	'queue.joined': '#f79009',
	'agent.offered': '#0ba5ec',
	'call.answered': '#12b76a',
	'call.connected': '#12b76a',
	'call.held': '#667085',
	'call.resumed': '#667085',
	'call.transferred': '#d92d20',
	'call.consult': '#d92d20',
	'call.taken_over': '#d92d20',
	'recording.started': '#344054',
	'recording.paused': '#344054',
	'recording.resumed': '#344054',
};

/* Events this close outside the recording are drawn at its edge. */
const SLACK_S = 1;

/** Seconds into the recording of an ISO time (negative: before it). */
export function offsetOf(iso, rec) {
	const a = Date.parse(iso);
	const b = Date.parse(rec.started_at);
	return Number.isNaN(a) || Number.isNaN(b) ? null : (a - b) / 1000;
}

/** "1:05" from seconds; "-0:03" before the recording. */
export function clock(s) {
	if (s === null || s === undefined || Number.isNaN(s))
		return '—';
	const neg = s < 0;
	const v = Math.floor(Math.abs(s));
	const h = Math.floor(v / 3600);
	const m = Math.floor((v % 3600) / 60);
	const sec = String(v % 60).padStart(2, '0');
	const body = h ? `${h}:${String(m).padStart(2, '0')}:${sec}` :
		`${m}:${sec}`;
	return neg ? `-${body}` : body;
}

/** A translated name of an event type (the type itself when unknown). */
export function eventLabel(type) {
	return hasKey(`rec.ev.${type}`) ? t(`rec.ev.${type}`) : type;
}

/**
 * The call's events as timeline entries, in order:
 * {type, label, at (s into the recording or null), when, color, marked}.
 * Only events within the recording are marked on the waveform.
 */
export function timelineOf(events, rec, durationS) {
	const list = [...(events || [])].sort((x, y) =>
		(x.seq ?? 0) - (y.seq ?? 0));
	return list.map((e) => {
		/* the recorder's own steps are one event type with an action */
		const type = e.type === 'call.recording' && e.data?.action ?
			`recording.${e.data.action}` : e.type;
		let at = offsetOf(e.created_at, rec);
		/* the answer that started the recording comes a moment before */
		if (at !== null && at < 0 && at > -SLACK_S)
			at = 0;
		const inside = at !== null && at >= 0 &&
			(!durationS || at <= durationS + SLACK_S);
		return { type, label: eventLabel(type), at,
			when: formatTime(e.created_at), color: MARKED[type] || '',
			marked: inside && type in MARKED, data: e.data };
	});
}

/** The recording's pauses as [{start, end}] seconds. */
export function pausesOf(rec) {
	const p = Array.isArray(rec.pauses) ? rec.pauses : [];
	return p.filter((x) => Number.isFinite(x?.at_ms) &&
		Number.isFinite(x?.ms)).map((x) => ({ start: x.at_ms / 1000,
		end: (x.at_ms + x.ms) / 1000 }));
}
