// The admin console's recordings tab: the page shared with the
// supervisor console (search, player with timeline, quality review).
import { RecordingsPage } from '../common/recordings/page.js';
import { el, tabPage, tx } from './ui.js';

/** Wire the recordings tab. @return {reload, repaint} for admin.js. */
export function initRecordings(onError) {
	const box = el('div', { id: 'recordings' });
	tabPage('recordings', { titleKey: 'tab.recordings',
		tools: [tx('button', 'common.refresh', { type: 'button',
			id: 'recordings-refresh', onclick: () => page?.reload() })],
		body: [box] });
	let page = null;
	return {
		async reload() {
			if (!page) {
				page = new RecordingsPage(box, { onError });
				await page.loadChoices();
			}
			return page.reload();
		},
		/* the page follows the language by itself */
		repaint() {},
	};
}
