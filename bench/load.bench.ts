// Load (issue 17, deliverable 3): N tenants in the DOCKER runtime at once, each a real account
// (signed up through the gateway, connected, its QR scanned by the simulated phone: WA_MODE=sim,
// the simulator standing in for WhatsApp's servers), each receiving R messages/s through its
// slice's /sim/incoming (the phone's side) while S browser event streams per tenant are open
// (GET /api/events through the gateway with the user's cookie), for D minutes.
//
// Figures: messages lost and duplicated (on every stream and in the store), latency from the
// phone's send to the browser stream's reader (p50/p95/p99: the send time is stamped in the body),
// the gateway's and every slice container's memory at start and end with a slope over the run,
// CPU per tenant (container CPU seconds / duration), setup time, the rate actually achieved, and
// the machine.
//
// Env: LOAD_TENANTS (20), LOAD_RATE (5 messages/s per tenant), LOAD_STREAMS (2 per tenant),
// LOAD_MINUTES (10), LOAD_BATCH (tenants started at once during setup, 2), LOAD_SAMPLE_SECONDS (30).
// Run alone: LOAD_TENANTS=2 LOAD_MINUTES=1 npx tsx bench/load.bench.ts
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../sql/database.ts';
import { provisionGatewayUrl } from '../gateway/support/database-url.ts';
import { SseParser } from '../gateway/support/sse.ts';
import { readProcStats } from '../lib/proc-stat.ts';
import { reserveSliceIds, sleep, sliceRow, waitUntil } from '../gateway/test/system.ts';
import { sliceNetworkCluster, startDaemon, tempDir } from '../supervisor/test/helpers.ts';
import { registerUser, startGateway } from './support/gateway-process.ts';
import { mb, memoryOf, percentile } from './support/measure.ts';

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return n;
}
const TENANTS = Math.floor(positive('LOAD_TENANTS', 20));
const RATE = positive('LOAD_RATE', 5);
const STREAMS = Math.floor(positive('LOAD_STREAMS', 2));
const MINUTES = positive('LOAD_MINUTES', 10);
const BATCH = Math.floor(positive('LOAD_BATCH', 2));
const SAMPLE_MS = positive('LOAD_SAMPLE_SECONDS', 30) * 1000;
const IMAGE = process.env.SLICE_IMAGE ?? 'queunir/slice:latest';
// Slices 101…(100+N), ports 5201…: clear of the test files' and the other benches' slice ids.
const FIRST = 101;
const ids = Array.from({ length: TENANTS }, (_, i) => FIRST + i);
const CHAT = '5511910000000@c.us'; // the first chat of the slice image's default scenario
const note = (s: string) => process.stderr.write(`# ${s}\n`);
const BODY = /^load t(\d+) n(\d+) at(\d+)$/;

/** One GET on the Docker engine's API (the socket the runtime also uses): the stats the CLI shows, raw. */
function dockerApi<T>(p: string): Promise<T> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: '/var/run/docker.sock', path: p }, (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (s += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`docker ${p}: ${res.statusCode} ${s.slice(0, 200)}`));
          // A container being restarted answers an empty body: a missed sample, not the end of the run.
          try {
            resolve(JSON.parse(s) as T);
          } catch {
            reject(new Error(`docker ${p}: not JSON (${s.length} bytes)`));
          }
        });
      })
      .on('error', reject);
  });
}
interface DockerStats {
  memory_stats: { usage?: number; stats?: Record<string, number> };
  cpu_stats: { cpu_usage: { total_usage: number } };
}
/** A container's memory as `docker stats` reports it (usage less the inactive file cache) and its CPU ns so far. */
async function containerStats(id: number): Promise<{ mem: number; cpuNs: number }> {
  const s = await dockerApi<DockerStats>(`/containers/wank-slice-${id}/stats?stream=false&one-shot=true`);
  const st = s.memory_stats.stats ?? {};
  const inactive = st.total_inactive_file ?? st.inactive_file ?? 0;
  return { mem: (s.memory_stats.usage ?? 0) - inactive, cpuNs: s.cpu_stats.cpu_usage.total_usage };
}
function cpuMsOf(pid: number): number {
  const stat = readProcStats().find((p) => p.pid === pid);
  return stat ? (Number(stat.fields[11]) + Number(stat.fields[12])) * 10 : NaN; // USER_HZ 100
}
/** Least-squares slope of (t ms, bytes) samples, in MiB per minute. */
function slopeMbPerMin(samples: { t: number; v: number }[]): number {
  if (samples.length < 2) return NaN;
  const n = samples.length;
  const mt = samples.reduce((s, x) => s + x.t, 0) / n;
  const mv = samples.reduce((s, x) => s + x.v, 0) / n;
  const num = samples.reduce((s, x) => s + (x.t - mt) * (x.v - mv), 0);
  const den = samples.reduce((s, x) => s + (x.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000 / 2 ** 20;
}
function removeOwn(): void {
  // Only this bench's own names: its slice containers and their session volumes.
  for (const id of ids) {
    for (const args of [['rm', '-f', `wank-slice-${id}`], ['volume', 'rm', '-f', `wank-slice-${id}-auth`]]) {
      try {
        execFileSync('docker', args, { stdio: 'ignore' });
      } catch {
        // not there
      }
    }
  }
}

interface Stream {
  /** seq → times received */
  got: Map<number, number>;
  ended: number;
  req: http.ClientRequest | null;
}
interface Tenant {
  index: number;
  id: number;
  cookie: string;
  direct: string;
  token: string;
  streams: Stream[];
  /** seq → send time (ms since epoch) of sends the slice accepted */
  sent: Map<number, number>;
  failed: number;
  failures: Map<string, number>;
}

const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`;
note(`${TENANTS} tenants × ${RATE} msg/s × ${STREAMS} streams × ${MINUTES} min, docker runtime (${IMAGE}), on ${machine}`);
const dir = tempDir('bench-load');
removeOwn();
const { cluster } = await sliceNetworkCluster('bench-load', IMAGE);
const cleanups: (() => Promise<unknown> | unknown)[] = [() => cluster.stop(), () => fs.rmSync(dir, { recursive: true, force: true })];
let stopping = false;
async function cleanup(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch((err: Error) => note(`cleanup: ${err.message}`));
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

try {
  const gatewayUrl = await provisionGatewayUrl(cluster.adminUrl, dir);
  await reserveSliceIds(cluster.adminUrl, FIRST);
  const last = FIRST + TENANTS - 1;
  const socket = path.join(dir, 'run', 'supervisor.sock');
  execFileSync('bash', ['scripts/build-server.sh'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const daemon = await startDaemon(
    {
      SUPERVISOR_SOCKET: socket,
      STATE_DIR: path.join(dir, 'state'),
      DATABASE_URL: cluster.adminUrl,
      RUNTIME: 'docker',
      SLICE_IMAGE: IMAGE,
      SLICE_MEMORY_MB: '1024',
      WA_MODE: 'sim',
      SIM_SCAN_AFTER_MS: '300',
      STARTSECS: '1',
      STARTTIMEOUTSECS: '300',
      MAX_SLICES: String(last),
      LOG_LEVEL: 'warn',
    },
    60_000,
    ['dist/server/supervisor.mjs'],
  );
  // The supervisor leaves its containers running when it stops (they are adopted next time): this
  // bench's own are removed after it.
  cleanups.push(removeOwn, () => daemon.stop('SIGTERM'));
  const gateway = await startGateway({
    dir,
    databaseUrl: gatewayUrl,
    supervisorSocket: socket,
    env: { MAX_SLICES: String(last), MONITOR_INTERVAL_MS: '10000', CONNECT_LIMIT_PER_MINUTE: '1000' },
  });
  cleanups.push(() => gateway.stop());
  const { base, origin } = gateway;
  const gwPid = gateway.proc.pid!;

  // ---- setup: a few tenants at a time, each to READY ----------------------------------------------
  const setupStart = Date.now();
  const tenants: Tenant[] = [];
  const readyMs: number[] = [];
  async function bringUp(index: number): Promise<Tenant> {
    const t0 = Date.now();
    const { cookie, csrfToken } = await registerUser(gateway, `load-${index}@bench.example`);
    const conn = await fetch(`${base}/api/connect`, { method: 'POST', headers: { origin, cookie, 'x-csrf-token': csrfToken } });
    if (conn.status !== 202) throw new Error(`tenant ${index}: POST /api/connect answered ${conn.status} ${await conn.text()}`);
    const id = ((await conn.json()) as { slice: { id: number } }).slice.id;
    await waitUntil(`tenant ${index} (slice ${id}) READY`, 600_000, async () => {
      const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { slice?: { state: string }; wa?: { state: string } };
      return me.slice?.state === 'RUNNING' && me.wa?.state === 'READY';
    });
    readyMs.push(Date.now() - t0);
    const row = await sliceRow(cluster.adminUrl, id);
    note(`tenant ${index}: slice ${id} READY in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return { index, id, cookie, direct: `http://127.0.0.1:${row.port}`, token: row.token, streams: [], sent: new Map(), failed: 0, failures: new Map() };
  }
  for (let i = 0; i < TENANTS; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, TENANTS - i) }, (_, k) => bringUp(i + k));
    tenants.push(...(await Promise.all(batch)));
  }
  const setupS = (Date.now() - setupStart) / 1000;

  // ---- the browser streams ---------------------------------------------------------------------------
  const latencies: number[] = [];
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  function openStream(t: Tenant, s: Stream, lastId: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      let lastSeen = lastId;
      const headers: Record<string, string> = { cookie: t.cookie, accept: 'text/event-stream' };
      if (lastSeen) headers['last-event-id'] = lastSeen;
      const req = http.get(`${base}/api/events`, { agent, headers }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`tenant ${t.index}: /api/events answered ${res.statusCode}`));
        res.setEncoding('utf8');
        const parser = new SseParser((e) => {
          if (e.id) lastSeen = e.id;
          if (e.event !== 'message.created') return;
          const m = BODY.exec((JSON.parse(e.data) as { body?: string }).body ?? '');
          if (!m || Number(m[1]) !== t.index) return;
          const seq = Number(m[2]);
          s.got.set(seq, (s.got.get(seq) ?? 0) + 1);
          if (s.got.get(seq) === 1) latencies.push(Date.now() - Number(m[3]));
        });
        res.on('data', (c: string) => parser.push(c));
        res.on('end', () => {
          // A browser's EventSource reconnects with the last id it saw: so does this reader.
          if (stopping || s.req !== req) return;
          s.ended++;
          setTimeout(() => void openStream(t, s, lastSeen).catch((err: Error) => note(err.message)), 500);
        });
        resolve();
      });
      s.req = req;
      req.on('error', (err) => (s.req === req && !stopping ? note(`tenant ${t.index} stream: ${err.message}`) : undefined));
    });
  }
  for (const t of tenants) {
    for (let k = 0; k < STREAMS; k++) {
      const s: Stream = { got: new Map(), ended: 0, req: null };
      t.streams.push(s);
      await openStream(t, s, null);
    }
  }
  cleanups.push(() => {
    for (const t of tenants) for (const s of t.streams) (s.req?.destroy(), (s.req = null));
    agent.destroy();
  });
  await sleep(2_000);

  // ---- memory and CPU sampling -------------------------------------------------------------------
  const gwSamples: { t: number; v: number; pss: number }[] = [];
  const sliceSamples = new Map<number, { t: number; v: number }[]>(ids.map((id) => [id, []]));
  async function sample(): Promise<void> {
    const t = Date.now();
    const g = memoryOf(gwPid);
    gwSamples.push({ t, v: g.rss, pss: g.pss });
    for (const tn of tenants) {
      const s = await containerStats(tn.id).catch(() => null);
      if (s) sliceSamples.get(tn.id)!.push({ t, v: s.mem });
    }
  }
  const cpu0 = new Map<number, number>();
  for (const t of tenants) cpu0.set(t.id, (await containerStats(t.id)).cpuNs);
  const gwCpu0 = cpuMsOf(gwPid);
  await sample();

  // ---- the load ----------------------------------------------------------------------------------------
  const durationMs = MINUTES * 60_000;
  note(`load: ${TENANTS} × ${RATE}/s for ${MINUTES} min`);
  const loadStart = Date.now();
  const sampler = setInterval(() => void sample().catch((err: Error) => note(`sample: ${err.message}`)), SAMPLE_MS);
  const sendAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  async function send(t: Tenant, seq: number): Promise<void> {
    const at = Date.now();
    const body = JSON.stringify({ chatWaId: CHAT, body: `load t${t.index} n${seq} at${at}` });
    try {
      const code = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${t.direct}/sim/incoming`, { method: 'POST', agent: sendAgent, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      if (code === 200) t.sent.set(seq, at);
      else throw new Error(`HTTP ${code}`);
    } catch (err) {
      t.failed++;
      const why = (err as Error).message;
      t.failures.set(why, (t.failures.get(why) ?? 0) + 1);
    }
  }
  // Each tenant's phone sends on a fixed schedule; a send never waits for the one before (up to 8
  // in flight), so a slow answer shows as a lower achieved rate or later arrivals, not fewer sends.
  const MAX_IN_FLIGHT = 8;
  let skipped = 0;
  await Promise.all(
    tenants.map(async (t) => {
      await sleep((t.index / TENANTS) * (1000 / RATE)); // spread the tenants' ticks
      const inFlight = new Set<Promise<void>>();
      const begin = Date.now();
      for (let seq = 0; Date.now() - loadStart < durationMs; seq++) {
        const due = begin + (seq * 1000) / RATE;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        if (inFlight.size >= MAX_IN_FLIGHT) {
          skipped++;
          continue;
        }
        const p = send(t, seq).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    }),
  );
  const sendEnd = Date.now();
  const runS = (sendEnd - loadStart) / 1000;
  // Arrival after the last send: the pipeline drains before anything is counted missing.
  const allIn = () => tenants.every((t) => t.streams.every((s) => [...t.sent.keys()].every((seq) => s.got.has(seq))));
  await waitUntil('every accepted message on every stream', 60_000, allIn).catch((err: Error) => note(err.message));
  const drainS = (Date.now() - sendEnd) / 1000;
  clearInterval(sampler);
  await sample();
  const gwCpuS = (cpuMsOf(gwPid) - gwCpu0) / 1000;
  const cpuPerTenant: number[] = [];
  // A container restarted during the run starts its count again: that tenant's figure is left out.
  for (const t of tenants) {
    const now = await containerStats(t.id).catch(() => null);
    const used = now ? (now.cpuNs - cpu0.get(t.id)!) / 1e9 / runS : NaN;
    if (Number.isFinite(used) && used >= 0) cpuPerTenant.push(used);
    else note(`tenant ${t.index}: no CPU figure (its container was restarted during the run)`);
  }

  // ---- the store -------------------------------------------------------------------------------------
  const admin = createDb<any>(cluster.adminUrl, { max: 1 });
  let storedLost = 0;
  let storedDup = 0;
  try {
    for (const t of tenants) {
      const rows = await admin.selectFrom(`slice_${t.id}.messages`).select('body').where('body', 'like', `load t${t.index} n%`).execute();
      const seen = new Map<number, number>();
      for (const r of rows as { body: string }[]) {
        const seq = Number(BODY.exec(r.body)?.[2]);
        seen.set(seq, (seen.get(seq) ?? 0) + 1);
      }
      const missing = [...t.sent.keys()].filter((seq) => !seen.has(seq));
      storedLost += missing.length;
      // Which ones: at the start of the run (during the initial sync) or spread through it.
      if (missing.length > 0) note(`tenant ${t.index}: ${missing.length} accepted sends never stored, seq ${missing.slice(0, 20).join(' ')}${missing.length > 20 ? ' …' : ''} (of 0…${t.sent.size - 1})`);
      for (const n of seen.values()) if (n > 1) storedDup += n - 1;
    }
  } finally {
    await admin.destroy();
  }

  // ---- figures -------------------------------------------------------------------------------------
  const accepted = tenants.reduce((n, t) => n + t.sent.size, 0);
  const failed = tenants.reduce((n, t) => n + t.failed, 0);
  let streamLost = 0;
  let streamDup = 0;
  let ended = 0;
  for (const t of tenants)
    for (const s of t.streams) {
      ended += s.ended;
      for (const seq of t.sent.keys()) if (!s.got.has(seq)) streamLost++;
      for (const n of s.got.values()) if (n > 1) streamDup += n - 1;
    }
  for (const t of tenants) for (const [why, n] of t.failures) note(`tenant ${t.index}: ${n} sends failed: ${why}`);
  latencies.sort((a, b) => a - b);
  const sorted = [...readyMs].sort((a, b) => a - b);
  console.log(`load machine=${machine.replace(/ /g, '_')} tenants=${TENANTS} streams/tenant=${STREAMS} duration=${runS.toFixed(0)} s`);
  console.log(`load setup=${setupS.toFixed(0)} s (sign-up → READY per tenant p50=${(percentile(sorted, 50) / 1000).toFixed(0)} s max=${(percentile(sorted, 100) / 1000).toFixed(0)} s, ${BATCH} at a time)`);
  console.log(
    `load rate asked=${RATE}/s per tenant achieved=${(accepted / runS / TENANTS).toFixed(2)}/s per tenant (${accepted} accepted by the phone's side, ${failed} failed, ${skipped} not sent: ${MAX_IN_FLIGHT} already in flight)`,
  );
  console.log(`load lost=${streamLost} duplicated=${streamDup} (over ${accepted * STREAMS} stream deliveries; ${ended} streams ended and resumed) stored lost=${storedLost} duplicated=${storedDup} (drained ${drainS.toFixed(1)} s after the last send)`);
  console.log(
    `load latency phone→browser p50=${percentile(latencies, 50).toFixed(0)} ms p95=${percentile(latencies, 95).toFixed(0)} ms p99=${percentile(latencies, 99).toFixed(0)} ms max=${percentile(latencies, 100).toFixed(0)} ms (${latencies.length} first arrivals)`,
  );
  const g0 = gwSamples[0]!;
  const g1 = gwSamples[gwSamples.length - 1]!;
  console.log(
    `load gateway rss start=${mb(g0.v)} MB end=${mb(g1.v)} MB slope=${slopeMbPerMin(gwSamples).toFixed(2)} MB/min pss start=${mb(g0.pss)} MB end=${mb(g1.pss)} MB cpu=${(gwCpuS / runS).toFixed(3)} cores (${gwSamples.length} samples)`,
  );
  const starts: number[] = [];
  const ends: number[] = [];
  const slopes: number[] = [];
  for (const t of tenants) {
    const s = sliceSamples.get(t.id)!;
    if (s.length === 0) continue;
    starts.push(s[0]!.v);
    ends.push(s[s.length - 1]!.v);
    slopes.push(slopeMbPerMin(s));
    note(`slice ${t.id}: memory ${mb(s[0]!.v)} → ${mb(s[s.length - 1]!.v)} MB, slope ${slopeMbPerMin(s).toFixed(2)} MB/min`);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `load slice memory start mean=${mb(avg(starts))} MB end mean=${mb(avg(ends))} MB max end=${mb(Math.max(...ends))} MB slope mean=${avg(slopes).toFixed(2)} MB/min max=${Math.max(...slopes).toFixed(2)} MB/min (container, docker stats' figure)`,
  );
  console.log(`load cpu per tenant mean=${avg(cpuPerTenant).toFixed(3)} cores max=${Math.max(...cpuPerTenant).toFixed(3)} cores (container CPU seconds / run seconds)`);
  sendAgent.destroy();
} finally {
  await cleanup();
}
process.exit(0);
