// The OpenAPI document: in sync with its YAML source, served by openseat,
// and naming every route the server registers (read from the C tables).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

function serverRoutes() {
	const out = [];
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory())
				walk(p);
			else if (p.endsWith('.c'))
				for (const m of fs.readFileSync(p, 'utf8').matchAll(
					/\{"(GET|POST|PATCH|PUT|DELETE)", "(\/[^"]*)"/g))
					out.push([m[1].toLowerCase(), m[2]]);
		}
	};
	walk(path.join(ROOT, 'server'));
	return out;
}

test('docs/openapi.json is generated from docs/openapi.yaml', () => {
	execFileSync('node', [path.join(ROOT, 'tools/openapi-json.mjs'),
		'--check']);
});

test('served at /api/v1/openapi.json without authentication', async () => {
	const r = await s.api('GET', '/api/v1/openapi.json');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /application\/json/);
	assert.equal(r.json.openapi, '3.1.0');
	assert.deepEqual(r.json, JSON.parse(fs.readFileSync(
		path.join(ROOT, 'docs/openapi.json'), 'utf8')));
});

test('every route the server registers is documented', async () => {
	const doc = (await s.api('GET', '/api/v1/openapi.json')).json;
	const routes = serverRoutes();
	assert.ok(routes.length >= 20, `found ${routes.length} routes`);
	for (const [method, p] of routes) {
		assert.ok(doc.paths[p], `path ${p} missing`);
		assert.ok(doc.paths[p][method], `${method} ${p} missing`);
	}
});

test('every documented $ref resolves', async () => {
	const doc = (await s.api('GET', '/api/v1/openapi.json')).json;
	const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g);
	for (const r of new Set(refs)) {
		const parts = r.slice(8, -1).replace(/^#\//, '').split('/');
		let node = doc;
		for (const k of parts)
			node = node?.[k];
		assert.ok(node, `${r} does not resolve`);
	}
});
