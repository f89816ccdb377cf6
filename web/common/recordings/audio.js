// A recording's audio with the bearer token: fetched whole into a Blob
// (the waveform needs every sample anyway, and a plain <audio src> could
// not carry the Authorization header), and saved as a download.
import { ApiError, api, getSession } from '../api.js';

async function problem(res) {
	let p = {};
	try {
		p = await res.json();
	} catch {
		p = {};
	}
	return new ApiError({ status: res.status, code: p.code ||
		(res.status >= 500 ? 'internal_error' : `http_${res.status}`),
	title: p.title, detail: p.detail, errors: p.errors });
}

/*
 * GET path below /api/v1 as {blob, name}; name from Content-Disposition.
 * A 401 goes through api('/me') once, which refreshes the session.
 */
export async function fetchAudio(path, signal) {
	for (let attempt = 0; ; attempt++) {
		const token = getSession()?.accessToken;
		let res;
		try {
			res = await fetch(`/api/v1${path}`, { cache: 'no-store', signal,
				headers: token ? { Authorization: `Bearer ${token}` } : {} });
		} catch (e) {
			if (e?.name === 'AbortError')
				throw e;
			throw new ApiError({ code: 'network_error',
				detail: String(e?.message || e) });
		}
		if (res.ok) {
			return { blob: await res.blob(),
				name: fileName(res.headers.get('content-disposition')) };
		}
		if (res.status === 401 && attempt === 0) {
			await api('GET', '/me');
			continue;
		}
		throw await problem(res);
	}
}

/* filename*=UTF-8''… wins over filename="…" (RFC 6266). */
function fileName(cd) {
	if (!cd)
		return '';
	const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
	if (star) {
		try {
			return decodeURIComponent(star[1].trim());
		} catch {
			/* fall through to the plain name */
		}
	}
	const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
	return plain ? plain[1].trim() : '';
}

/** Save a Blob under a file name (a download link clicked once). */
export function saveBlob(blob, name) {
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The name a download falls back to: <started_at>_<caller>.<ext> */
export function fallbackName(rec, ext) {
	const when = String(rec.started_at || '').replace(/[:.]/g, '-');
	const who = String(rec.caller || 'unknown').replace(/[^\w+-]/g, '_');
	return `${when}_${who}.${ext}`;
}

/** Download a recording as mp3 or wav. */
export async function downloadRecording(rec, format) {
	const q = format === 'wav' ? '?format=wav&download=1' : '?download=1';
	const { blob, name } = await fetchAudio(`/recordings/${
		encodeURIComponent(rec.recording_id)}/audio${q}`);
	saveBlob(blob, name || fallbackName(rec, format));
}
