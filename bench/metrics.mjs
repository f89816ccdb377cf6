// Reading openseat's /metrics in benchmarks: a histogram's cumulative
// buckets, and a percentile of the difference of two readings.

/** [[le seconds, cumulative count], ...] of histogram name. */
export async function histogram(stack, name) {
	const r = await stack.api('GET', '/metrics');
	const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}\\s+(\\S+)`);
	const b = [];
	for (const line of r.text.split('\n')) {
		const x = re.exec(line);
		if (x)
			b.push([x[1] === '+Inf' ? Infinity : Number(x[1]), Number(x[2])]);
	}
	return b;
}

/** Cumulative buckets a minus b; the p-th percentile as "≤ le" in ms. */
export function bucketPct(a, b, p) {
	const d = a.map(([le, n], i) => [le, n - (b[i] ? b[i][1] : 0)]);
	const total = d.length ? d[d.length - 1][1] : 0;
	if (!total)
		return { total, le: NaN };
	for (const [le, n] of d) {
		if (n >= total * p / 100)
			return { total, le: le * 1000 };
	}
	return { total, le: Infinity };
}
