// Finding processes by an exact argument and ending them: SIGTERM first, SIGKILL after the grace
// time. Real child processes.
import t from 'tap';
import { spawn } from 'node:child_process';
import { endProcesses, processesWithAnyArg, processesWithArg } from '../leftover-processes.ts';

function child(marker: string, ignoreTerm: boolean) {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); process.stdout.write('up');`;
  const p = spawn(process.execPath, ['-e', code, '--', marker], { stdio: ['ignore', 'pipe', 'ignore'] });
  const up = new Promise<void>((r) => p.stdout!.once('data', () => r()));
  const exited = new Promise<NodeJS.Signals | null>((r) => p.once('exit', (_c, s) => r(s)));
  return { p, up, exited };
}

t.test('a process is found by a whole argument only, and ends on SIGTERM', async (t) => {
  const marker = `--user-data-dir=/tmp/queunir-test-${process.pid}/session`;
  const a = child(marker, false);
  t.teardown(() => void a.p.kill('SIGKILL'));
  await a.up;
  t.same(processesWithArg(marker), [a.p.pid], 'found by the exact argument');
  t.same(processesWithArg(marker.slice(0, -1)), [], 'a prefix is not the argument');
  t.same(processesWithAnyArg((x) => x.startsWith(`--user-data-dir=/tmp/queunir-test-${process.pid}/`)), [a.p.pid], 'found by a predicate');
  await endProcesses([a.p.pid!], 3000);
  t.equal(await a.exited, 'SIGTERM', 'ended by SIGTERM');
  t.same(processesWithArg(marker), [], 'gone');
});

t.test('a process that ignores SIGTERM is killed after the grace time', async (t) => {
  const marker = `--queunir-stubborn-${process.pid}`;
  const a = child(marker, true);
  t.teardown(() => void a.p.kill('SIGKILL'));
  await a.up;
  const t0 = Date.now();
  await endProcesses(processesWithArg(marker), 300);
  t.equal(await a.exited, 'SIGKILL', 'ended by SIGKILL');
  t.ok(Date.now() - t0 >= 300, 'only after the grace time');
});
