// Shared by the Docker fault tests (faults-docker*.test.ts): a cluster the containers reach, the
// real supervisor as a child process (RUNTIME=docker, WA_MODE=sim: the simulator stands in for
// WhatsApp's servers), one slice of the file's own linked (QR, scan, READY), and the probes the
// faults are judged by: the slice's API with its token, its rows in PostgreSQL, its container as
// Docker reports it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { SupervisorClient } from '../client.ts';
import { slicePort, type SliceStateChanged } from '../protocol.ts';
import { docker, sleep, sliceNetworkCluster, startDaemon, tempDir, waitForState, type DaemonChild } from './helpers.ts';

export const IMAGE = process.env.SLICE_IMAGE ?? 'queunir/slice:latest';

export interface ContainerState {
  id: string;
  running: boolean;
  startedAt: string;
  oomKilled: boolean;
  /** The pid of the slice's node process as the host sees it (the child of the container's init). */
  slicePid: number | null;
}

export interface FaultRig {
  id: number;
  token: string;
  env: Record<string, string>;
  client: SupervisorClient;
  daemon: DaemonChild;
  events: SliceStateChanged[];
  /** Stops the current supervisor child (signal) without touching the slices. */
  stopDaemon(signal: NodeJS.Signals): Promise<number | null>;
  /** A new supervisor child on the same state directory (adopts what runs). */
  restartDaemon(): Promise<void>;
  api(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
  waState(): Promise<string | null>;
  /** The WhatsApp states seen until pred holds (polled every 200 ms). */
  untilWa(what: string, pred: (s: string) => boolean, ms: number): Promise<string[]>;
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<R[]>;
  container(): ContainerState | null;
  schema: string;
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms: number, every = 250): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Leftovers of an earlier run of this file: our own labels and names only. */
function removeOwnContainer(id: number): void {
  const quiet = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    if (quiet('inspect', '-f', '{{index .Config.Labels "com.queunir.managed"}}', `wank-slice-${id}`) === 'true') quiet('rm', '-f', `wank-slice-${id}`);
  } catch {}
  try {
    if (quiet('volume', 'inspect', '-f', '{{index .Labels "com.queunir.managed"}}', `wank-slice-${id}-auth`) === 'true') quiet('volume', 'rm', '-f', `wank-slice-${id}-auth`);
  } catch {}
}

export async function faultRig(t: Test, name: string, id: number, extraEnv: Record<string, string> = {}): Promise<FaultRig> {
  const { cluster } = await sliceNetworkCluster(name, IMAGE);
  t.teardown(() => cluster.stop());
  const dir = tempDir(name);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  removeOwnContainer(id);
  t.teardown(() => removeOwnContainer(id));

  const socketPath = path.join(dir, 'run', 'supervisor.sock');
  const env: Record<string, string> = {
    SUPERVISOR_SOCKET: socketPath,
    STATE_DIR: path.join(dir, 'state'),
    DATABASE_URL: cluster.adminUrl,
    RUNTIME: 'docker',
    WA_MODE: 'sim',
    STARTSECS: '1',
    STARTRETRIES: '3',
    STOPWAITSECS: '5',
    STARTTIMEOUTSECS: '120',
    HEALTH_INTERVAL_MS: '200',
    MAX_SLICES: '50',
    SLICE_IMAGE: IMAGE,
    SLICE_MEMORY_MB: '1024',
    ...extraEnv,
  };
  const pool = new pg.Pool({ connectionString: cluster.adminUrl, max: 2 });
  t.teardown(() => pool.end());
  const events: SliceStateChanged[] = [];
  let sub: { close(): void } | null = null;
  const rig: FaultRig = {
    id,
    token: '',
    env,
    schema: `slice_${id}`,
    events,
    daemon: await startDaemon(env),
    client: new SupervisorClient({ socketPath, timeoutMs: 120_000 }),
    async stopDaemon(signal) {
      sub?.close();
      await rig.client.close();
      return rig.daemon.stop(signal);
    },
    async restartDaemon() {
      rig.daemon = await startDaemon(env);
      rig.client = new SupervisorClient({ socketPath, timeoutMs: 120_000 });
      sub = await rig.client.subscribe((e) => events.push(e));
    },
    async api(method, url, body) {
      const res = await fetch(`http://127.0.0.1:${slicePort(id)}${url}`, {
        method,
        headers: { authorization: `Bearer ${rig.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async waState() {
      const r = await rig.api('GET', '/api/wa').catch(() => null);
      return r?.status === 200 ? (r.body.state as string) : null;
    },
    async untilWa(what, pred, ms) {
      const seen: string[] = [];
      const until = Date.now() + ms;
      for (;;) {
        const s = await rig.waState();
        if (s && seen.at(-1) !== s) seen.push(s);
        if (s && pred(s)) return seen;
        if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what} (states seen: ${seen.join(' → ') || 'none'})`);
        await sleep(200);
      }
    },
    async query(text, values) {
      return (await pool.query(text, values)).rows;
    },
    container() {
      let out: string;
      try {
        out = docker('inspect', '-f', '{{.Id}} {{.State.Running}} {{.State.StartedAt}} {{.State.OOMKilled}}', `wank-slice-${id}`);
      } catch {
        return null;
      }
      const [cid, running, startedAt, oom] = out.split(' ');
      let slicePid: number | null = null;
      if (running === 'true') {
        const rows = docker('top', `wank-slice-${id}`, '-eo', 'pid,args').split('\n').slice(1);
        const node = rows.map((l) => l.trim().split(/\s+/)).find((cols) => /(^|\/)node$/.test(cols[1] ?? '') && cols.some((c) => c.includes('slice/main') || c.includes('slice.mjs') || c.includes('main.ts')));
        slicePid = node ? Number(node[0]) : null;
      }
      return { id: cid!, running: running === 'true', startedAt: startedAt!, oomKilled: oom === 'true', slicePid };
    },
  };
  sub = await rig.client.subscribe((e) => events.push(e));
  t.teardown(async () => {
    sub?.close();
    await rig.client.close();
    await rig.daemon.stop('SIGTERM');
  });

  const created = await rig.client.call('slice.create', { id });
  rig.token = created.token!;
  await rig.client.call('slice.start', { id });
  await waitForState(rig.client, id, 'RUNNING', 180_000);
  await rig.untilWa('a QR', (s) => s === 'QR', 180_000);
  const scan = await rig.api('POST', '/sim/scan');
  if (scan.status !== 200) throw new Error(`the simulated phone could not scan: ${JSON.stringify(scan.body)}`);
  await rig.untilWa('READY', (s) => s === 'READY', 120_000);
  // The simulated login lives in the profile's localStorage, which Chromium writes to disk up to
  // 5 s after a change; the faults kill without warning and expect the login kept.
  await sleep(6000);
  return rig;
}

/** A one-to-one chat of the simulated account, as the slice stored it. */
export async function someChat(rig: FaultRig): Promise<{ id: string; wa_id: string }> {
  let rows: { id: string; wa_id: string }[] = [];
  await waitFor('the chats in PostgreSQL', async () => {
    rows = await rig.query(`select id::text, wa_id from ${rig.schema}.chats where not is_group order by id limit 1`);
    return rows.length > 0;
  }, 60_000);
  return rows[0]!;
}

/** The phone delivers `n` numbered messages to one chat, one after the other; resolves with the
 * ids the phone acknowledged (a delivery the slice did not answer is retried after its restart). */
export async function deliverStream(rig: FaultRig, chatWaId: string, tag: string, n: number, onEach?: (i: number) => void): Promise<string[]> {
  const acked: string[] = [];
  for (let i = 0; i < n; i++) {
    for (;;) {
      const r = await rig.api('POST', '/sim/incoming', { chatWaId, body: `${tag} ${i}` }).catch(() => null);
      if (r?.status === 200) {
        acked.push(r.body.waId);
        break;
      }
      await sleep(250); // the slice is down: the phone tries again (what WhatsApp does)
    }
    onEach?.(i);
  }
  return acked;
}
