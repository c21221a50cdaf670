// The gateway's costs, on loopback, in one run, against a real slice (sim mode: real Chromium on
// the simulator page, real PostgreSQL):
//   1. GET /api/chats through the gateway vs straight to the slice: requests/s, p50, p99
//      (autocannon, same connections and duration, the gateway in its own process);
//   2. 2,000 concurrent /api/events streams held by the gateway: its memory (RSS, PSS) and the
//      latency the relay adds, slice → client (each event's arrival on a direct slice stream vs on
//      every gateway stream, one clock).
// Run alone: npx tsx bench/gateway.bench.ts   (STREAMS=… CONNECTIONS=… DURATION=… ROUNDS=… to change)
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { startTestCluster } from '../test-support/pg.ts';
import { provisionGatewayUrl } from '../gateway/support/database-url.ts';
import { SseParser } from '../gateway/support/sse.ts';
import { readProcStats } from '../lib/proc-stat.ts';
import { startGateway, registerUser } from './support/gateway-process.ts';
import { mb, memoryOf, percentile } from './support/measure.ts';
import { holdStreams, openSpread } from './support/stream-holder.ts';
import { assertChromium, reserveSliceIds, sleep, sliceRow, Supervisor, tempDir, waitUntil } from '../gateway/test/system.ts';

// autocannon ships no types: the part used here.
interface CannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<CannonResult>;
const STREAMS = Number(process.env.STREAMS ?? 2000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const EVENTS = Number(process.env.EVENTS ?? 20);

function note(line: string): void {
  process.stderr.write(`# ${line}\n`);
}

async function cannon(url: string, headers: Record<string, string>, duration: number): Promise<CannonResult> {
  return autocannon({ url, headers, connections: CONNECTIONS, duration, pipelining: 1 });
}

/** CPU time (ms) every process has used so far, grouped by what it is. */
function cpuByGroup(groupOf: (pid: number, comm: string) => string): Map<string, number> {
  const tick = 1000 / 100; // USER_HZ
  const out = new Map<string, number>();
  for (const { pid, comm, fields } of readProcStats()) {
    const ms = (Number(fields[11]) + Number(fields[12])) * tick;
    const group = groupOf(pid, comm);
    out.set(group, (out.get(group) ?? 0) + ms);
  }
  return out;
}

assertChromium();
const dir = tempDir('bench');
const cluster = await startTestCluster('bench-gateway');
const cleanups: (() => Promise<void> | void)[] = [() => cluster.stop(), () => fs.rmSync(dir, { recursive: true, force: true })];
async function cleanup(): Promise<void> {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
}

try {
  const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dir);
  await reserveSliceIds(cluster.adminUrl, 81); // slice 81, port 5161: clear of the test files' slices
  const supervisor = new Supervisor(dir, cluster.adminUrl);
  await supervisor.start();
  cleanups.push(() => supervisor.stop());

  const gateway = await startGateway({
    dir,
    databaseUrl: gatewayUrl,
    supervisorSocket: supervisor.socket,
    nodeArgs: process.env.GATEWAY_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GATEWAY_PROFILE_DIR}`] : [],
    // All the bench's streams are one user's: above the per-user default of 20.
    env: { EVENTS_MAX_STREAMS_PER_USER: String(STREAMS + 10), EVENTS_MAX_STREAMS: String(Math.max(10_000, STREAMS + 10)) },
  });
  cleanups.push(() => gateway.stop());
  const gw = gateway.proc;
  const { base, origin } = gateway;

  // One user, connected, READY.
  const { cookie, csrfToken: csrf } = await registerUser(gateway);
  const conn = await fetch(`${base}/api/connect`, { method: 'POST', headers: { origin, cookie, 'x-csrf-token': csrf } });
  const sliceId = ((await conn.json()) as { slice: { id: number } }).slice.id;
  note(`slice ${sliceId} connecting (Chromium with the simulator)…`);
  await waitUntil('READY', 240_000, async () => {
    const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { slice?: { state: string }; wa?: { state: string } };
    return me.slice?.state === 'RUNNING' && me.wa?.state === 'READY';
  });
  await waitUntil('chats', 60_000, async () => {
    const r = await fetch(`${base}/api/chats`, { headers: { cookie } });
    return r.ok && ((await r.json()) as { items: unknown[] }).items.length === 3;
  });
  await sleep(3_000);
  const row = await sliceRow(cluster.adminUrl, sliceId);
  const direct = `http://127.0.0.1:${row.port}`;
  const bearer = { authorization: `Bearer ${row.token}` };

  // ---- 1. proxy throughput ---------------------------------------------------------------------
  note('warming up');
  await cannon(`${direct}/api/chats`, bearer, 2);
  await cannon(`${base}/api/chats`, { cookie }, 2);
  // Direct and through the gateway in alternating rounds (d g, g d, d g…): the machine's drift
  // between two long runs was larger than the difference measured.
  note(`GET /api/chats, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s each way, alternating`);
  const slicePid = supervisor.slicePid(sliceId);
  // PostgreSQL backends name their role in their process title: the gateway's own queries apart.
  const postgresGroup = (pid: number) => {
    try {
      return /wank_gateway/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ? 'postgres (gateway role)' : 'postgres';
    } catch {
      return 'postgres';
    }
  };
  const groupOf = (pid: number, comm: string) =>
    pid === gw.pid ? 'gateway' : pid === slicePid ? 'slice' : pid === process.pid ? 'client (autocannon)' : comm.startsWith('postgres') ? postgresGroup(pid) : /chrom/i.test(comm) ? 'chromium' : 'other';
  interface Way {
    label: string;
    url: string;
    headers: Record<string, string>;
    runs: CannonResult[];
    /** CPU ms by process group over this way's runs */
    cpu: Map<string, number>;
  }
  const ways: Way[] = [
    { label: 'direct', url: `${direct}/api/chats`, headers: bearer, runs: [], cpu: new Map() },
    { label: 'gateway', url: `${base}/api/chats`, headers: { cookie }, runs: [], cpu: new Map() },
  ];
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of round % 2 === 0 ? ways : [...ways].reverse()) {
      const before = cpuByGroup(groupOf);
      way.runs.push(await cannon(way.url, way.headers, DURATION));
      for (const [group, ms] of cpuByGroup(groupOf)) way.cpu.set(group, (way.cpu.get(group) ?? 0) + ms - (before.get(group) ?? 0));
    }
  }
  const mean = (runs: CannonResult[], pick: (r: CannonResult) => number) => runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  for (const way of ways) {
    const requests = way.runs.reduce((n, r) => n + r.requests.average * DURATION, 0);
    const parts = [...way.cpu].map(([group, ms]) => [group, (ms * 1000) / requests] as const).filter(([, us]) => us >= 1);
    note(`  ${way.label}: CPU µs per request: ${parts.sort((a, b) => b[1] - a[1]).map(([group, us]) => `${group} ${us.toFixed(0)}`).join(', ')}`);
  }
  const [d, g] = ways.map((way) => ({
    rps: mean(way.runs, (r) => r.requests.average),
    p50: mean(way.runs, (r) => r.latency.p50),
    p99: mean(way.runs, (r) => r.latency.p99),
    non2xx: mean(way.runs, (r) => r.non2xx + r.errors),
  })) as [{ rps: number; p50: number; p99: number; non2xx: number }, { rps: number; p50: number; p99: number; non2xx: number }];
  const counts = await (await fetch(`${base}/metrics`)).text();
  const count = (way: string) => /\d+/.exec(counts.split(`gateway_proxied_requests_total{way="${way}"} `)[1] ?? '')?.[0] ?? '?';
  note(`  proxied so far: ${count('fast')} answered from memory (fast path), ${count('fastify')} through Fastify`);
  if (d.non2xx > 0 || g.non2xx > 0) note(`non-2xx or errors per run: direct ${d.non2xx}, gateway ${g.non2xx}`);
  const perRound = ways[1]!.runs.map((r, i) => (r.requests.average / ways[0]!.runs[i]!.requests.average).toFixed(2));
  console.log(
    `gateway proxy rps=${g.rps.toFixed(0)} direct rps=${d.rps.toFixed(0)} ratio=${(g.rps / d.rps).toFixed(2)} (rounds: ${perRound.join(', ')}) ` +
      `p50 added=${(g.p50 - d.p50).toFixed(1)} ms`,
  );
  console.log(`gateway proxy p50=${g.p50.toFixed(1)} ms p99=${g.p99.toFixed(1)} ms; direct p50=${d.p50.toFixed(1)} ms p99=${d.p99.toFixed(1)} ms (means over the rounds)`);
  // The hop's own latency, unsaturated: one request at a time on a kept-alive connection (at 32
  // connections on two cores the added p50 above is queueing behind CPU, not the hop).
  const sequential = async (url: string, headers: Record<string, string>, n: number): Promise<number[]> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        http.get(url, { agent, headers }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`))));
        }).on('error', reject);
      });
      out.push(performance.now() - t0);
    }
    agent.destroy();
    return out.sort((a, b) => a - b);
  };
  await sequential(`${base}/api/chats`, { cookie }, 200);
  const sd = await sequential(`${direct}/api/chats`, bearer, 2000);
  const sg = await sequential(`${base}/api/chats`, { cookie }, 2000);
  console.log(
    `gateway proxy one-at-a-time GET /api/chats: p50 added=${(percentile(sg, 50) - percentile(sd, 50)).toFixed(2)} ms ` +
      `(gateway p50=${percentile(sg, 50).toFixed(2)} p99=${percentile(sg, 99).toFixed(2)} ms; direct p50=${percentile(sd, 50).toFixed(2)} p99=${percentile(sd, 99).toFixed(2)} ms)`,
  );
  // The same through a route the slice answers from memory (GET /api/wa): the proxy's own cost
  // shows when the slice is not the bottleneck.
  const dw = await cannon(`${direct}/api/wa`, bearer, DURATION);
  const gw2 = await cannon(`${base}/api/wa`, { cookie }, DURATION);
  console.log(
    `gateway proxy /api/wa rps=${gw2.requests.average.toFixed(0)} direct rps=${dw.requests.average.toFixed(0)} ratio=${(gw2.requests.average / dw.requests.average).toFixed(2)} ` +
      `p50 added=${(gw2.latency.p50 - dw.latency.p50).toFixed(1)} ms`,
  );
  note(`load average while measuring: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).cpus().length} cores`);

  // ---- 2. event streams -------------------------------------------------------------------------
  const before = memoryOf(gw.pid!);
  const arrivals = new Map<string, number[]>();
  const directArrival = new Map<string, number>();
  // The streams are held in two places so the client's own work does not count as the relay's: a
  // worker thread holds most of them and drains them unread (a browser's share of the work is its
  // own machine's), and this thread parses the PROBES streams, whose arrival times are measured.
  const PROBES = Math.min(STREAMS, Number(process.env.PROBES ?? 50));
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  let opened = 0;
  const requests: http.ClientRequest[] = [];
  const openProbe = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/api/events`, { agent, headers: { cookie, accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        opened++;
        res.setEncoding('utf8');
        const parser = new SseParser((e) => {
          if (e.event === 'message.created' && e.id) {
            const at = performance.now();
            let list = arrivals.get(e.id);
            if (!list) arrivals.set(e.id, (list = []));
            list.push(at);
          }
        });
        res.on('data', (c: string) => parser.push(c));
        resolve();
      });
      req.on('error', reject);
      requests.push(req);
    });
  note(`opening ${STREAMS} event streams (${STREAMS - PROBES} drained by a worker thread, ${PROBES} measured here, spread among them)`);
  // The relay writes to streams in the order they came: the probes are spread through that order.
  const holder = holdStreams(`${base}/api/events`, { cookie });
  const held0 = await openSpread(holder, STREAMS, PROBES, openProbe);
  const totalOpen = held0 + opened;
  await sleep(2_000);
  const held = memoryOf(gw.pid!);
  console.log(
    `gateway event streams=${totalOpen} rss=${mb(held.rss)} MB pss=${mb(held.pss)} MB (before streams rss=${mb(before.rss)} MB, per stream ≈ ${(((held.rss - before.rss) / totalOpen) / 1024).toFixed(1)} KiB)`,
  );

  // The slice's own stream, read directly, is the reference clock for "the slice sent it".
  const directReq = http.get(`${direct}/events`, { headers: { ...bearer, accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8');
    const parser = new SseParser((e) => {
      if (e.event === 'message.created' && e.id) directArrival.set(e.id, performance.now());
    });
    res.on('data', (c: string) => parser.push(c));
  });
  await sleep(500);
  note(`${EVENTS} incoming messages through the simulator`);
  for (let i = 0; i < EVENTS; i++) {
    await fetch(`${direct}/sim/incoming`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ chatWaId: '5511920000001@c.us', body: `bench message ${i} ${Date.now()}` }),
    });
    await sleep(300);
  }
  await waitUntil('events delivered', 60_000, () => directArrival.size >= EVENTS && [...directArrival.keys()].every((id) => (arrivals.get(id)?.length ?? 0) >= opened)).catch(
    (err: Error) => note(err.message),
  );
  const added: number[] = [];
  for (const [id, t0] of directArrival) for (const t of arrivals.get(id) ?? []) added.push(t - t0);
  added.sort((a, b) => a - b);
  const delivered = [...directArrival.keys()].reduce((n, id) => n + (arrivals.get(id)?.length ?? 0), 0);
  console.log(
    `gateway event latency streams=${totalOpen} (measured on ${opened}) events=${directArrival.size} deliveries=${delivered}/${directArrival.size * opened} ` +
      `p50=${percentile(added, 50).toFixed(1)} ms p99=${percentile(added, 99).toFixed(1)} ms max=${percentile(added, 100).toFixed(1)} ms (added by the relay, slice → client)`,
  );
  directReq.destroy();
  for (const r of requests) r.destroy();
  agent.destroy();
  await holder.terminate();
} finally {
  await cleanup();
}
process.exit(0);
