// A minute of the ACD soak (tests/lib/soak.mjs): random calls, agents
// answering, refusing, ignoring and changing state at random, with the
// server checking the routing core's invariants after every operation.
// `make soak` runs the same for SOAK_MINUTES (30).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { acdStack } from '../lib/acd.mjs';
import { runSoak } from '../lib/soak.mjs';

let x;

/* the soak's sessions (agents, supervisor, its WebSocket) outlive the
 * default 15-minute access token in a 30-minute run */
const SECS = Number(process.env.SOAK_SECONDS || 60);
before(async () => {
	x = await acdStack({ env: { OPENSEAT_ACCESS_TOKEN_TTL:
		String(Math.min(86400, Math.max(900, SECS + 1800))) } });
});
after(async () => { await x?.stop(); });

test('a minute of random calls and agent behaviour: no agent offered ' +
	'two calls, first offers in join order, every call recorded once',
async (t) => {
	const secs = SECS;
	const r = await runSoak(x, { seconds: secs,
		seed: Number(process.env.SOAK_SEED || 1) });
	assert.ok(r.calls >= secs / 2, `${r.calls} calls`);
	assert.ok(r.offered > 0, 'some calls were offered');
	t.diagnostic(`${r.calls} calls, ${r.offered} offered, checked in ` +
		`${r.check_ms} ms`);
});
