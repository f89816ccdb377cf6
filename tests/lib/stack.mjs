// The shared test harness: a throwaway PostgreSQL, the real openseat
// process against it, and small HTTP/WebSocket clients.
import { spawn, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
	'../..');
const PG_LOCAL = path.join(ROOT, 'tools/pg-local');
export const JWT_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
/** The master key that wraps the tenants' recording keys in tests. */
export const RECORDING_KEY =
	'5eed5eed00112233445566778899aabbccddeeff00112233445566778899aabb';

export const DEMO = {
	admin: { tenant: 'demo', username: 'admin', password: 'Admin@2026' },
	supervisor: { tenant: 'demo', username: 'supervisor',
		password: 'Super@2026' },
	agent: { tenant: 'demo', username: 'agent1', password: 'Agent@2026' },
	operator: { username: 'operator', password: 'Operator@2026' },
};

function bin() {
	return path.resolve(ROOT, process.env.OPENSEAT_BIN ||
		'build/release/openseat');
}

export function udpFree(port) {
	return new Promise((resolve) => {
		const u = dgram.createSocket('udp4');
		u.once('error', () => resolve(false));
		u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
	});
}

export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

function pgLocal(cmd, dir, port) {
	return execFileSync(PG_LOCAL, [cmd, dir, String(port)],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Run an openseat CLI command; returns {status, stdout, stderr}. */
export function cli(args, env) {
	return new Promise((resolve) => {
		const p = spawn(bin(), args, { env: { ...process.env, ...env } });
		let stdout = '';
		let stderr = '';
		p.stdout.on('data', (d) => { stdout += d; });
		p.stderr.on('data', (d) => { stderr += d; });
		p.on('close', (status) => resolve({ status, stdout, stderr }));
	});
}

/** A throwaway PostgreSQL cluster with the schema migrated. */
export async function startDb() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-it-'));
	fs.chmodSync(dir, 0o755);
	const pgDir = path.join(dir, 'pg');
	const pgPort = 5400 + Math.floor(Math.random() * 500);
	pgLocal('start', pgDir, pgPort);
	const db = {
		dir, pgDir, pgPort,
		url: pgLocal('url', pgDir, pgPort),
		adminUrl: pgLocal('admin-url', pgDir, pgPort),
		stop: () => pgLocal('stop', pgDir, pgPort),
		start: () => pgLocal('start', pgDir, pgPort),
		/** psql as the runtime role (-A -t), returns trimmed output */
		psql(sql, admin = false) {
			return execFileSync('psql', ['-X', '-A', '-t', '-v',
				'ON_ERROR_STOP=1', '-d', admin ? db.adminUrl : db.url,
				'-c', sql], { encoding: 'utf8' }).trim();
		},
		destroy() {
			try { db.stop(); } catch { /* already stopped */ }
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
	return db;
}

function waitReady(proc, logs, timeoutMs) {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			reject(new Error('openseat not ready in time:\n' + logs()));
		}, timeoutMs);
		const onData = () => {
			if (/"msg":"ready: serving|ready: serving/.test(logs())) {
				clearTimeout(timer);
				proc.stderr.off('data', onData);
				resolve();
			}
		};
		proc.stderr.on('data', onData);
		proc.on('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`openseat exited (${code}):\n` + logs()));
		});
	});
}

/**
 * Start openseat on a free port against db; resolves once it is ready.
 * A port found free may be taken before openseat binds it (another
 * process's outgoing connection, a peer's socket; seen with "SIP on
 * 127.0.0.1:N: Address already in use"): such a start is tried again on
 * new ports (those opts.env does not fix), three times at most.
 */
export async function startServer(db, opts = {}) {
	for (let attempt = 1; ; attempt++) {
		try {
			return await startOnce(db, opts);
		} catch (e) {
			if (attempt >= 3 || !e.addrInUse)
				throw e;
		}
	}
}

async function startOnce(db, opts) {
	const port = await freePort();
	/* SIP listens on UDP and TCP: the port must be free for both */
	let sipPort = await freePort();
	while (!await udpFree(sipPort))
		sipPort = await freePort();
	const rtpBase = 20000 + 2 * Math.floor(Math.random() * 20000);
	const tls = path.join(db.dir, 'tls');
	execFileSync(path.join(ROOT, 'tools/gen-cert'), [tls]);
	const env = {
		...process.env,
		OPENSEAT_HTTP_ADDR: '127.0.0.1',
		OPENSEAT_HTTP_PORT: String(port),
		OPENSEAT_DATABASE_URL: db.url,
		OPENSEAT_DATABASE_ADMIN_URL: db.adminUrl,
		OPENSEAT_JWT_SECRET: JWT_SECRET,
		OPENSEAT_TLS_CERT: path.join(tls, 'cert.pem'),
		OPENSEAT_TLS_KEY: path.join(tls, 'key.pem'),
		OPENSEAT_WEB_ROOT: path.join(ROOT, 'web'),
		OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
		OPENSEAT_VAR_DIR: db.dir,
		OPENSEAT_LOG_FORMAT: 'json',
		OPENSEAT_SIP_ADDR: '127.0.0.1',
		OPENSEAT_SIP_PORT: String(sipPort),
		OPENSEAT_RTP_PORT_MIN: String(rtpBase),
		OPENSEAT_RTP_PORT_MAX: String(rtpBase + 4000),
		OPENSEAT_PROMPTS_DIR: path.join(ROOT, 'build/prompts'),
		OPENSEAT_ACD_CHECK: '1',
		OPENSEAT_RECORDING_MASTER_KEY: RECORDING_KEY,
		...opts.env,
	};
	const proc = spawn(bin(), ['serve'], { env,
		stdio: ['ignore', 'ignore', 'pipe'] });
	let buf = '';
	proc.stderr.on('data', (d) => { buf += d; });
	const logs = () => buf;
	const exited = new Promise((resolve) => {
		proc.on('exit', (code, signal) => resolve({ code, signal }));
	});
	try {
		await waitReady(proc, logs, opts.readyTimeoutMs || 20000);
	} catch (e) {
		/* SIP's bind error, or the HTTP listener's */
		e.addrInUse = proc.exitCode !== null &&
			/Address already in use|cannot listen on/.test(logs());
		throw e;
	}
	return {
		proc, pid: proc.pid, port, sipPort, logs, exited,
		baseUrl: `http://127.0.0.1:${port}`,
		httpsUrl: `https://127.0.0.1:${port}`,
		wsUrl: `ws://127.0.0.1:${port}/ws`,
		/** SIGTERM, wait; returns {code, signal} */
		async stop() {
			if (proc.exitCode === null && proc.signalCode === null)
				proc.kill('SIGTERM');
			return exited;
		},
	};
}

/**
 * A whole stack: database, migrations, demo tenant and the server.
 * stop() asserts a clean exit (code 0, no sanitizer report).
 */
export async function startStack(opts = {}) {
	const db = await startDb();
	const env = { OPENSEAT_DATABASE_URL: db.url,
		OPENSEAT_DATABASE_ADMIN_URL: db.adminUrl,
		OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
		OPENSEAT_JWT_SECRET: JWT_SECRET };
	for (const cmd of [['migrate'], ['seed-demo']]) {
		const r = await cli(cmd, env);
		if (r.status !== 0) {
			db.destroy();
			throw new Error(`openseat ${cmd[0]} failed:\n${r.stderr}`);
		}
	}
	let srv;
	try {
		srv = await startServer(db, opts);
	} catch (e) {
		db.destroy();
		throw e;
	}
	const stack = {
		...srv, db, pgDir: db.pgDir, jwtSecret: JWT_SECRET,
		admin: DEMO.admin, supervisor: DEMO.supervisor,
		agent: DEMO.agent, operator: DEMO.operator,
		pgStop: () => db.stop(),
		pgStart: () => db.start(),
		api: (method, p, body, token, headers) =>
			request(srv.baseUrl, method, p, body, token, headers),
		async login(tenant, username, password) {
			const body = { username, password };
			if (tenant)
				body.tenant = tenant;
			const r = await request(srv.baseUrl, 'POST',
				'/api/v1/auth/login', body);
			if (r.status !== 200)
				throw new Error(`login ${username}: ${r.status} ${r.text}`);
			return r.json;
		},
		async token(who) {
			return (await stack.login(who.tenant, who.username,
				who.password)).access_token;
		},
		async stop() {
			const { code, signal } = await srv.stop();
			db.destroy();
			const log = srv.logs();
			if (code !== 0 || /ERROR: (Address|Leak)Sanitizer|runtime error:/
				.test(log) || /ACD invariant broken/.test(log)) {
				throw new Error(`openseat exit ${code}/${signal}:\n` +
					log.slice(-6000));
			}
		},
	};
	return stack;
}

/** One HTTP request; JSON bodies are serialized unless already a string. */
export async function request(baseUrl, method, p, body, token, headers = {}) {
	const h = { ...headers };
	if (token)
		h.authorization = `Bearer ${token}`;
	let payload;
	if (body !== undefined && body !== null) {
		payload = typeof body === 'string' ? body : JSON.stringify(body);
		if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
			h['content-type'] = 'application/json';
	}
	const res = await fetch(baseUrl + p, { method, headers: h,
		body: payload });
	const text = await res.text();
	let json = null;
	try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
	return { status: res.status, headers: res.headers, json, text };
}

/**
 * A WebSocket client: send(obj), next(predicate, timeoutMs) resolves with
 * the next message matching (messages are queued until asked for),
 * closed() resolves with {code, reason}.
 */
export function wsConnect(url, options = {}) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, options);
		const queue = [];
		const waiters = [];
		let closeInfo = null;
		const closeWaiters = [];
		const deliver = () => {
			for (let i = 0; i < waiters.length; i++) {
				const w = waiters[i];
				const k = queue.findIndex(w.pred);
				if (k >= 0) {
					const [m] = queue.splice(k, 1);
					waiters.splice(i--, 1);
					clearTimeout(w.timer);
					w.resolve(m);
				}
			}
		};
		ws.on('message', (data) => {
			let m;
			try { m = JSON.parse(data.toString()); } catch { m = { raw:
				data.toString() }; }
			queue.push(m);
			deliver();
		});
		ws.on('close', (code, reason) => {
			closeInfo = { code, reason: reason.toString() };
			for (const w of closeWaiters)
				w(closeInfo);
			for (const w of waiters.splice(0)) {
				clearTimeout(w.timer);
				w.reject(new Error(`ws closed ${code} ${reason}`));
			}
		});
		ws.on('error', (e) => { if (!closeInfo) reject(e); });
		ws.on('open', () => resolve({
			ws,
			send: (obj) => ws.send(typeof obj === 'string' ? obj :
				JSON.stringify(obj)),
			next(pred = () => true, timeoutMs = 5000) {
				const f = typeof pred === 'string' ?
					(m) => m.type === pred : pred;
				return new Promise((res, rej) => {
					if (closeInfo && !queue.some(f))
						return rej(new Error('ws closed'));
					const w = { pred: f, resolve: res, reject: rej };
					w.timer = setTimeout(() => {
						waiters.splice(waiters.indexOf(w), 1);
						rej(new Error('ws: no matching message in ' +
							`${timeoutMs} ms`));
					}, timeoutMs);
					waiters.push(w);
					deliver();
				});
			},
			closed() {
				return closeInfo ? Promise.resolve(closeInfo) :
					new Promise((res) => closeWaiters.push(res));
			},
			close: () => ws.close(),
		}));
	});
}

/** Log in over WebSocket and subscribe; returns the client. */
export async function wsAuthed(stack, token, topics = []) {
	const c = await wsConnect(stack.wsUrl);
	c.send({ type: 'auth', token });
	await c.next('auth.ok');
	if (topics.length) {
		c.send({ type: 'subscribe', topics });
		await c.next('subscribed');
	}
	return c;
}
