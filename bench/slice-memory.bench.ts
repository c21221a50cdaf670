// The memory of a slice's WhatsApp side idle at READY in sim mode: PSS (from /proc/<pid>/smaps_rollup)
// summed over the Node process and all its Chromium processes; once with one session alone, then
// with 10 running, giving the memory each added session costs. Target: ≤ 250 MB added per slice.
// (The Node process here runs the WhatsApp side only: a full slice adds Fastify and pg.)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants, processPss } from '../slice/wa/browser.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runner = path.join(root, 'bench', 'run-session.ts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-mem-'));
const N = Number(process.env.SLICES ?? 10);
const IDLE_MS = Number(process.env.IDLE_MS ?? 8000);
const children: ChildProcess[] = [];

function startSession(i: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', runner, path.join(work, `auth-${i}`)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`session ${i} not synced within 180 s`)), 180_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (/SYNCED/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`session ${i} exited with ${code}`)));
  });
}

function treePss(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + (processPss(p) ?? 0), 0);
}
const total = () => children.reduce((s, c) => s + (c.pid ? treePss(c.pid) : 0), 0);
const mb = (b: number) => (b / 1048576).toFixed(0);
const idle = () => new Promise((r) => setTimeout(r, IDLE_MS));

try {
  await startSession(0);
  await idle();
  const alone = total();
  const nodeOnly = processPss(children[0]!.pid!) ?? 0;
  for (let i = 1; i < N; i += 2) await Promise.all([startSession(i), i + 1 < N ? startSession(i + 1) : Promise.resolve(null)]);
  await idle();
  const all = total();
  const added = (all - alone) / (N - 1);
  console.log(`# one session: ${mb(alone)} MB (node ${mb(nodeOnly)} MB, chromium ${mb(alone - nodeOnly)} MB); ${N} sessions: ${mb(all)} MB`);
  console.log(`slice memory idle=${mb(alone)} MB per-slice-added=${mb(added)} MB (target <= 250 MB)`);
} finally {
  for (const c of children) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(0);
