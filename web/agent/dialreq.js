// A CRM's click-to-dial for this browser agent (POST /api/v1/calls): the
// server asks the console (call.dial_request) and the console dials as if
// the agent had typed the number — the browser's leg first, then the
// customer — so the CRM's call is the agent's own, with its microphone.
import { t } from '../common/i18n.js';
import { toast } from '../common/shell.js';

/** Dial what the server asks for, unless a call is already in hand. */
export function bindDialRequests(live, ctx) {
	live.on('call.dial_request', (m) => {
		if (!ctx.isWebrtc() || ctx.calls.call || ctx.calls.wrap) {
			toast(t('restapi.dial.busy', { number: m.number }));
			return;
		}
		toast(t('restapi.dial.request', { number: m.number }));
		const extra = { request_id: m.request_id };
		if (m.from)
			extra.from = m.from;
		ctx.dialer.dial(m.number, extra);
	});
}
