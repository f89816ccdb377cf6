// docs/openapi.yaml (the source) → docs/openapi.json (served by openseat).
// usage: node tools/openapi-json.mjs [--check]   (--check: exit 1 if stale)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'tests/package.json'));
const YAML = require('yaml');

const src = path.join(root, 'docs/openapi.yaml');
const dst = path.join(root, 'docs/openapi.json');
const json = JSON.stringify(YAML.parse(fs.readFileSync(src, 'utf8')),
	null, 2) + '\n';

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
