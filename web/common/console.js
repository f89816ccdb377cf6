// The agent and supervisor shells: top bar, live connection, empty state.
import { initShell, bindLiveStatus } from './shell.js';
import { connectLive } from './ws.js';

async function main() {
	await initShell();
	const kind = document.body.dataset.console;
	/* topics each role may read (server/event/event.c); agents get
	 * theirs with the call and agent events of later releases */
	const topics = kind === 'supervisor' ? ['user'] : [];
	const live = connectLive(topics);
	bindLiveStatus(live);
	document.body.dataset.ready = '1';
}

main();
