// docs/openapi.yaml and docs/openapi/*.yaml (the sources) → docs/openapi.json
// (served by openseat). A part under docs/openapi/ holds one area's `paths`
// and `components` (schemas, parameters, responses …) and may add `tags`;
// a name (or a path's method) defined twice is an error.
// usage: node tools/openapi-json.mjs [--check]   (--check: exit 1 if stale)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'tests/package.json'));
const YAML = require('yaml');

const src = path.join(root, 'docs/openapi.yaml');
const partsDir = path.join(root, 'docs/openapi');
const dst = path.join(root, 'docs/openapi.json');

function mergeInto(into, from, where) {
	for (const [k, v] of Object.entries(from ?? {})) {
		if (k in into)
			throw new Error(`${where}: ${k} is defined twice`);
		into[k] = v;
	}
}

/* A part may add methods to a path defined elsewhere (POST /api/v1/calls
 * beside the call log's GET); a method defined twice is an error. */
function mergePaths(into, from, where) {
	for (const [p, item] of Object.entries(from ?? {})) {
		if (p in into)
			mergeInto(into[p], item, `${where} ${p}`);
		else
			into[p] = item;
	}
}

function merge(doc, part, file) {
	mergePaths(doc.paths, part.paths, `${file} paths`);
	for (const [kind, defs] of Object.entries(part.components ?? {})) {
		doc.components[kind] ??= {};
		mergeInto(doc.components[kind], defs, `${file} ${kind}`);
	}
	for (const tag of part.tags ?? []) {
		if ((doc.tags ?? []).some((t) => t.name === tag.name))
			throw new Error(`${file}: tag ${tag.name} is defined twice`);
		(doc.tags ??= []).push(tag);
	}
}

const doc = YAML.parse(fs.readFileSync(src, 'utf8'));
const parts = fs.existsSync(partsDir) ? fs.readdirSync(partsDir)
	.filter((f) => f.endsWith('.yaml')).sort() : [];
for (const f of parts)
	merge(doc, YAML.parse(fs.readFileSync(path.join(partsDir, f), 'utf8')),
		`docs/openapi/${f}`);
const json = JSON.stringify(doc, null, 2) + '\n';

if (process.argv.includes('--check')) {
	const cur = fs.existsSync(dst) ? fs.readFileSync(dst, 'utf8') : '';
	if (cur !== json) {
		console.error('docs/openapi.json is out of date: run ' +
			'node tools/openapi-json.mjs');
		process.exit(1);
	}
} else {
	fs.writeFileSync(dst, json);
}
