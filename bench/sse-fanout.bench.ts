// Fan-out of one event to many SSE streams, two ways on the same loopback set-up: @fastify/sse
// (`reply.sse.send` per stream) and the gateway relay's own framing (the event framed once and
// written to each socket; gateway/support/sse.ts). It answers issue 13's question: may the relay
// use the plugin, and keep its figures (p99 latency, memory per stream)? The server runs in its
// own process (bench/support/sse-fanout-server.ts); a worker thread drains most streams unread
// and this thread times PROBES streams spread through the server's order.
//
// Env: STREAMS (2000), PROBES (50), EVENTS (100, one every GAP_MS), GAP_MS (50), ROUNDS (2 per way).
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProcStats } from '../lib/proc-stat.ts';
import { SseParser } from '../gateway/support/sse.ts';
import { mb, memoryOf, percentile } from './support/measure.ts';
import { holdStreams, openSpread } from './support/stream-holder.ts';

const STREAMS = Number(process.env.STREAMS ?? 2000);
const PROBES = Math.min(STREAMS, Number(process.env.PROBES ?? 50));
const EVENTS = Number(process.env.EVENTS ?? 100);
const GAP_MS = Number(process.env.GAP_MS ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const here = path.dirname(fileURLToPath(import.meta.url));
const note = (s: string) => process.stderr.write(`# ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

function cpuMs(pid: number): number {
  const stat = readProcStats().find((p) => p.pid === pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return (Number(stat.fields[11]) + Number(stat.fields[12])) * 10; // USER_HZ 100
}

async function startServer(mode: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(path.join(here, 'support', 'sse-fanout-server.ts'), [mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const address = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { address: string }) => resolve(m.address));
    child.once('exit', (code) => reject(new Error(`the ${mode} server exited (${code})`)));
  });
  return { child, url: `${address}/events` };
}

async function round(mode: 'relay' | 'plugin'): Promise<void> {
  const { child, url } = await startServer(mode);
  const pid = child.pid!;
  try {
    await sleep(500);
    const before = memoryOf(pid);
    const latencies: number[] = [];
    let probeEvents = 0;
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const probes: http.ClientRequest[] = [];
    const openProbe = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
          res.setEncoding('utf8');
          const parser = new SseParser((e) => {
            if (e.event === 'hello') return resolve();
            if (e.event !== 'message.created') return;
            const at = now();
            latencies.push(at - (JSON.parse(e.data) as { publishedAt: number }).publishedAt);
            probeEvents++;
          });
          res.on('data', (c: string) => parser.push(c));
        });
        req.on('error', reject);
        probes.push(req);
      });
    const holder = holdStreams(url, {});
    const held = await openSpread(holder, STREAMS, PROBES, openProbe);
    const open = held + probes.length;
    if (open !== STREAMS) throw new Error(`${open} of ${STREAMS} streams opened`);
    await sleep(2_000);
    const withStreams = memoryOf(pid);

    const cpuBefore = cpuMs(pid);
    for (let i = 0; i < EVENTS; i++) {
      child.send({ publish: 1 });
      await sleep(GAP_MS);
    }
    const deadline = Date.now() + 30_000;
    while (probeEvents < EVENTS * PROBES && Date.now() < deadline) await sleep(50);
    const cpu = cpuMs(pid) - cpuBefore;
    if (probeEvents < EVENTS * PROBES) throw new Error(`${mode}: ${probeEvents} of ${EVENTS * PROBES} probe deliveries arrived`);
    latencies.sort((a, b) => a - b);
    console.log(
      `sse fanout way=${mode} streams=${open} p50=${percentile(latencies, 50).toFixed(1)} ms p99=${percentile(latencies, 99).toFixed(1)} ms max=${percentile(latencies, 100).toFixed(1)} ms ` +
        `rss=${mb(withStreams.rss)} MB pss=${mb(withStreams.pss)} MB per stream≈${((withStreams.rss - before.rss) / open / 1024).toFixed(1)} KiB ` +
        `server cpu per event=${(cpu / EVENTS).toFixed(2)} ms`,
    );
    for (const r of probes) r.destroy();
    agent.destroy();
    await holder.terminate();
  } finally {
    child.kill();
  }
}

note(`${STREAMS} streams (${PROBES} timed), ${EVENTS} events ${GAP_MS} ms apart, ${ROUNDS} rounds each way, alternating`);
for (let r = 0; r < ROUNDS; r++) {
  await round('relay');
  await round('plugin');
}
process.exit(0);
