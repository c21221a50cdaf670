// Where the gateway's proxy spends its time, in figures that do not depend on the machine's load:
// CPU µs per request (process.cpuUsage over a fixed request count) of the gateway process, for
//   - a request proxied to a trivial upstream (a plain node:http server standing for a slice; this
//     script only, the real benchmark bench/gateway.bench.ts uses a real slice),
//   - the same upstream hit directly (its own share, subtracted),
//   - a gateway 404 (Fastify plus our hooks, no proxying),
// and the number of connections the upstream saw (keep-alive check).
// Run: npx tsx bench/gateway-cpu.bench.ts   (N=… requests per phase, CONNECTIONS=…, PROFILE=1 to
// write a .cpuprofile of the proxied phase under .data/)
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startTestCluster } from '../test-support/pg.ts';
import { createDb } from '../sql/database.ts';
import { provisionGatewayUrl } from '../gateway/support/database-url.ts';
import { sessionCookieOf } from '../gateway/support/session-cookie.ts';
import { build } from '../gateway/app.ts';
import { loadGatewayConfig } from '../gateway/config.ts';

const N = Number(process.env.N ?? 20_000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
interface CannonResult {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  '2xx': number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<CannonResult>;

const cluster = await startTestCluster('bench-gateway-cpu');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-cpu-'));
let upstreamConnections = 0;
const body = JSON.stringify({ state: 'READY', since: '2026-11-25T00:00:00.000Z' });
const upstream = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
upstream.on('connection', () => upstreamConnections++);
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamPort = (upstream.address() as { port: number }).port;

try {
  const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dataDir);
  const config = loadGatewayConfig({ SUPERVISOR_SOCKET: path.join(dataDir, 'none.sock'), LOG_LEVEL: 'warn', PUBLIC_URL: 'http://localhost:3000', LOGIN_LIMIT_PER_ADDRESS: '1000' });
  const app = await build({ config, databaseUrl: gatewayUrl, sessionSecret: 'bench-session-secret-at-least-32-characters', webDir: null, monitor: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const reg = await fetch(`${base}/api/auth/register`, {
    method: 'POST',
    headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cpu@example.com', password: 'bench password 123' }),
  });
  const regBody = (await reg.json()) as { account: { id: string } };
  const cookie = sessionCookieOf(reg.headers)!;
  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  await admin.insertInto('gateway.slices').values({ id: 1, account_id: regBody.account.id, port: upstreamPort, token: 't'.repeat(40), observed_state: 'RUNNING' }).execute();
  await admin.destroy();
  app.slices.invalidate();
  const check = await fetch(`${base}/api/wa`, { headers: { cookie } });
  if (check.status !== 200) throw new Error(`proxied GET /api/wa answered ${check.status}: ${await check.text()}`);

  async function phase(label: string, url: string, headers: Record<string, string>, expect2xx: boolean, profile = false): Promise<number> {
    await autocannon({ url, headers, connections: CONNECTIONS, amount: Math.min(2000, N) }); // warm-up
    const connsBefore = upstreamConnections;
    const { Session } = await import('node:inspector/promises');
    const session = profile ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await autocannon({ url, headers, connections: CONNECTIONS, amount: N });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    if (session) {
      const { profile: p } = await session.post('Profiler.stop');
      const out = path.join(import.meta.dirname, '..', '.data', `gateway-${Date.now()}.cpuprofile`);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify(p));
      console.error(`# profile: ${out}`);
      session.disconnect();
    }
    const done = r['2xx'] + r.non2xx;
    if (expect2xx && (r.non2xx > 0 || r.errors > 0)) console.error(`# ${label}: non-2xx ${r.non2xx}, errors ${r.errors}`);
    const us = (cpu.user + cpu.system) / done;
    console.log(
      `${label}: ${done} requests, cpu ${us.toFixed(0)} µs/req (user ${(cpu.user / done).toFixed(0)}, sys ${(cpu.system / done).toFixed(0)}), ` +
        `${((done / wall) * 1000).toFixed(0)} rps wall, upstream connections opened ${upstreamConnections - connsBefore}`,
    );
    return us;
  }

  // The client is autocannon in this process too: its cost is in every phase alike (same N, same
  // connections), so the differences between phases are the gateway's.
  const direct = await phase('direct to upstream', `http://127.0.0.1:${upstreamPort}/api/wa`, { authorization: 'Bearer x' }, true);
  const notFound = await phase('gateway 404', `${base}/nope`, { cookie }, false);
  const proxied = await phase('gateway proxied /api/wa', `${base}/api/wa`, { cookie }, true, process.env.PROFILE === '1');
  console.log(`proxy cost ≈ ${(proxied - direct).toFixed(0)} µs/req over direct; 404 costs ${(notFound - direct).toFixed(0)} µs/req over direct (client+upstream share subtracted)`);
  console.error(`# load average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores`);
  await app.close();
} finally {
  upstream.close();
  upstream.closeAllConnections();
  await cluster.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
