// The agent and supervisor shells: top bar, live connection, empty state.
import { initShell, bindLiveStatus } from './shell.js';
import { connectLive } from './ws.js';

async function main() {
	await initShell();
	const kind = document.body.dataset.console;
	const topics = kind === 'supervisor' ? ['user', 'tenant'] : ['user'];
	const live = connectLive(topics);
	bindLiveStatus(live);
	document.body.dataset.ready = '1';
}

main();
