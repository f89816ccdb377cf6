// Listening in from the browser: the supervisor's softphone offers, the
// server answers (monitor.start -> rtc.answer) and mixes the call in;
// whisper and barge are a mode change on the same session.
import { Softphone } from '../common/rtc.js';

export class Monitor {
	/**
	 * request(msg): a WebSocket request resolving with its answer.
	 * onChange(current): current is null or {call_id, agent_id, mode,
	 * state} whenever it changes.
	 */
	constructor(request, onChange) {
		this.request = request;
		this.onChange = onChange;
		this.current = null;
		this.phone = null;
		this.busy = false;
	}

	changed() {
		this.onChange(this.current ? { ...this.current } : null);
	}

	softphone() {
		if (!this.phone) {
			this.phone = new Softphone({ onState: (s) => {
				if (!this.current)
					return;
				this.current.state = s;
				this.changed();
			} });
		}
		this.phone.unlock();
		return this.phone;
	}

	/**
	 * Listen, whisper or barge on the agent's call. On the call already
	 * monitored only the mode changes; another call is left first.
	 */
	async start(agent, mode) {
		if (this.busy)
			return;
		this.busy = true;
		try {
			if (this.current?.call_id === agent.call_id) {
				await this.request({ type: 'monitor.mode',
					call_id: agent.call_id, mode });
				this.current.mode = mode;
				this.changed();
				return;
			}
			if (this.current)
				await this.stopNow();
			const phone = this.softphone();
			/* listening sends nothing, but the server's mixer takes the
			 * supervisor's audio once whisper or barge is chosen */
			const sdp = await phone.offer();
			this.current = { call_id: agent.call_id,
				agent_id: agent.agent_id, mode, state: 'connecting' };
			this.changed();
			const ans = await this.request({ type: 'monitor.start',
				call_id: agent.call_id, mode, sdp });
			await phone.accept(ans.sdp);
		} catch (err) {
			this.phone?.close();
			this.current = null;
			this.changed();
			throw err;
		} finally {
			this.busy = false;
		}
	}

	async stopNow() {
		const cur = this.current;
		this.current = null;
		this.phone?.close();
		this.changed();
		if (cur) {
			await this.request({ type: 'monitor.stop',
				call_id: cur.call_id }).catch(() => {});
		}
	}

	/** Stop monitoring (the button, or the call is over). */
	async stop() {
		if (this.busy && !this.current)
			return;
		await this.stopNow();
	}

	/**
	 * A monitor.* event of this supervisor: the one monitor of a call
	 * may be steered from another tab or by REST too. A stop counts only
	 * once this session's start was seen, so the stop of a session left
	 * just before (the same call again) is not taken for this one's.
	 */
	mine(type, d) {
		const cur = this.current;
		if (!cur || cur.call_id !== d.call_id)
			return;
		if (type === 'monitor.started') {
			cur.seen = true;
		}
		else if (type === 'monitor.stopped') {
			if (cur.seen)
				this.callGone(d.call_id);
		}
		else if (cur.mode !== d.mode) {
			cur.mode = d.mode;
			this.changed();
		}
	}

	/** The monitored call ended or its agent left it: drop our side. */
	callGone(callId) {
		if (this.current && this.current.call_id === callId) {
			this.current = null;
			this.phone?.close();
			this.changed();
		}
	}
}
