// The supervisor's recordings page: search, play with the timeline,
// score. The page itself is shared with the admin console.
import { initShell } from '../common/shell.js';
import { RecordingsPage, pageErrorText }
	from '../common/recordings/page.js';

function showError(err) {
	const box = document.getElementById('page-error');
	box.textContent = err ? pageErrorText(err) : '';
	box.hidden = !err;
}

async function main() {
	await initShell();
	const page = new RecordingsPage(document.getElementById('recordings'),
		{ onError: showError });
	await page.loadChoices();
	await page.reload();
	document.body.dataset.ready = '1';
}

main();
