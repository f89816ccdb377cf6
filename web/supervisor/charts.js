// The wallboard's two charts (uPlot): calls per five minutes over the
// last hour, and waiting callers over time. History comes once from
// GET /live/history; from then on the charts grow from the pushed queue
// tiles: counter increases go into the current bucket, and the waiting
// total is sampled here every 10 s.
import { t } from '../common/i18n.js';

/* Loaded when the charts are built: without web/vendor (make web) the
 * wallboard still works, with a note where the charts would be. */
let uPlot = null;

const BUCKET_MS = 300000;
const SAMPLE_MS = 10000;
const HOUR_MS = 3600000;
const COLORS = { offered: '#2563eb', answered: '#12b76a',
	abandoned: '#d92d20', waiting: '#f79009' };

function cssWidth(node) {
	return Math.max(280, Math.floor(node.clientWidth || 480));
}

const pad2 = (n) => String(n).padStart(2, '0');

function hhmm(sec) {
	const d = new Date(sec * 1000);
	return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/* Axis labels: with ticks under a minute apart (a short span), seconds
 * too, or every label would read the same minute. */
function timeLabels(u, splits, axis, space, incr) {
	return splits.map((sec) => incr < 60 ?
		`${hhmm(sec)}:${pad2(new Date(sec * 1000).getSeconds())}` :
		hhmm(sec));
}

export class Charts {
	/** board: the Board (its clock and filters); nodes: chart boxes. */
	constructor(board, callsNode, waitingNode) {
		this.board = board;
		this.callsNode = callsNode;
		this.waitingNode = waitingNode;
		this.buckets = new Map();    /* queue_id -> Map(at_ms -> counts) */
		this.waiting = new Map();    /* queue_id -> [[at_ms, n]] */
		this.last = new Map();       /* queue_id -> last counters */
		this.calls = null;
		this.wait = null;
		this.timer = null;
	}

	/** The history endpoint's answer. */
	load(hist) {
		this.board.stamp(hist.now_ms);
		/* the history has every call so far: counting starts again */
		this.last.clear();
		for (const q of hist.items) {
			const m = new Map();
			for (const b of q.calls)
				m.set(b.at_ms, { ...b });
			this.buckets.set(q.queue_id, m);
			this.waiting.set(q.queue_id, q.waiting.slice());
		}
	}

	/** A queue tile arrived: count what grew into the current bucket. */
	onQueue(q) {
		const prev = this.last.get(q.queue_id);
		this.last.set(q.queue_id, { offered: q.offered,
			answered: q.answered, abandoned: q.abandoned,
			overflowed: q.overflowed });
		if (!prev)
			return;
		const at = Math.floor(this.board.now() / BUCKET_MS) * BUCKET_MS;
		if (!this.buckets.has(q.queue_id))
			this.buckets.set(q.queue_id, new Map());
		const m = this.buckets.get(q.queue_id);
		const b = m.get(at) || { at_ms: at, offered: 0, answered: 0,
			abandoned: 0, overflowed: 0 };
		for (const k of ['offered', 'answered', 'abandoned', 'overflowed']) {
			/* a drop is midnight's reset, not negative calls */
			b[k] += Math.max(0, q[k] - prev[k]);
		}
		m.set(at, b);
	}

	sample() {
		const now = this.board.now();
		for (const q of this.board.queues.values()) {
			if (!this.waiting.has(q.queue_id))
				this.waiting.set(q.queue_id, []);
			const v = this.waiting.get(q.queue_id);
			v.push([now, q.waiting]);
			while (v.length && v[0][0] < now - HOUR_MS)
				v.shift();
		}
		this.draw();
	}

	callsData() {
		const now = this.board.now();
		const cur = Math.floor(now / BUCKET_MS) * BUCKET_MS;
		const xs = [];
		const ys = { offered: [], answered: [], abandoned: [] };
		const shown = this.board.visibleQueues().map((q) => q.queue_id);
		for (let at = cur - 11 * BUCKET_MS; at <= cur; at += BUCKET_MS) {
			xs.push(at / 1000);
			for (const k of Object.keys(ys)) {
				let n = 0;
				for (const id of shown)
					n += this.buckets.get(id)?.get(at)?.[k] || 0;
				ys[k].push(n);
			}
		}
		return [xs, ys.offered, ys.answered, ys.abandoned];
	}

	/* The waiting total over the queues shown, on a 10 s grid. */
	waitingData() {
		const now = this.board.now();
		const shown = this.board.visibleQueues().map((q) => q.queue_id);
		const start = Math.floor((now - HOUR_MS) / SAMPLE_MS) * SAMPLE_MS;
		const grid = new Map();
		for (const id of shown) {
			for (const [at, n] of this.waiting.get(id) || []) {
				if (at < start)
					continue;
				const g = Math.round(at / SAMPLE_MS) * SAMPLE_MS;
				grid.set(g, (grid.get(g) || 0) + n);
			}
		}
		const xs = [...grid.keys()].sort((a, b) => a - b);
		return [xs.map((x) => x / 1000), xs.map((x) => grid.get(x))];
	}

	opts(node, series, extra = {}) {
		return {
			width: cssWidth(node), height: 200,
			legend: { live: false },
			cursor: { drag: { x: false, y: false } },
			scales: { x: { time: true }, y: { range: (u, min, max) =>
				[0, Math.max(4, Math.ceil(max * 1.2))] } },
			axes: [{ values: timeLabels, stroke: '#667085',
				grid: { stroke: '#eef1f5' } },
			{ stroke: '#667085', grid: { stroke: '#eef1f5' },
				size: 36 }],
			series: [{}, ...series],
			...extra,
		};
	}

	async build() {
		if (!uPlot) {
			try {
				uPlot = (await import('/vendor/uplot/dist/uPlot.esm.js'))
					.default;
			} catch {
				for (const n of [this.callsNode, this.waitingNode])
					n.replaceChildren(t('sv.chart.unavailable'));
				return;
			}
		}
		const bars = uPlot.paths.bars({ size: [0.55, 48] });
		this.calls = new uPlot(this.opts(this.callsNode, [
			{ label: t('sv.chart.offered'), stroke: COLORS.offered,
				fill: 'rgba(37, 99, 235, .18)', paths: bars, width: 1 },
			{ label: t('sv.chart.answered'), stroke: COLORS.answered,
				width: 2, points: { size: 5 } },
			{ label: t('sv.chart.abandoned'), stroke: COLORS.abandoned,
				width: 2, points: { size: 5 } },
		]), this.callsData(), this.callsNode);
		this.wait = new uPlot(this.opts(this.waitingNode, [
			{ label: t('sv.chart.waiting_n'), stroke: COLORS.waiting,
				fill: 'rgba(247, 144, 9, .15)', width: 2,
				paths: uPlot.paths.stepped({ align: 1 }) },
		]), this.waitingData(), this.waitingNode);
		const ro = new ResizeObserver(() => {
			this.calls?.setSize({ width: cssWidth(this.callsNode),
				height: 200 });
			this.wait?.setSize({ width: cssWidth(this.waitingNode),
				height: 200 });
		});
		ro.observe(this.callsNode);
		ro.observe(this.waitingNode);
		this.sample();     /* now, so the chart ends at the present */
		this.timer = setInterval(() => this.sample(), SAMPLE_MS);
	}

	/** Redraw with the data and the filters as they are now. */
	draw() {
		if (!this.calls)
			return;
		this.calls.setData(this.callsData());
		this.wait.setData(this.waitingData());
	}

	/** Series names again after a language switch. */
	relabel() {
		if (!this.calls)
			return;
		this.calls.destroy();
		this.wait.destroy();
		clearInterval(this.timer);
		return this.build();
	}
}
