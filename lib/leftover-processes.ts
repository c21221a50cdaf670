// Processes found by an exact command-line argument, and ended politely. Chromium puts itself in a
// process group of its own (puppeteer launches it detached), so a slice that dies hard leaves its
// browser running on the profile; the next one must end it before starting a browser there, or two
// browsers share one profile and the login in it is lost. Linux only (/proc).
import fs from 'node:fs';

/** Pids of processes (not this one) with `arg` as one whole argument of their command line. */
export function processesWithArg(arg: string): number[] {
  return processesWithAnyArg((a) => a === arg);
}

/** Pids of processes (not this one) with an argument that passes `test`. */
export function processesWithAnyArg(test: (arg: string) => boolean): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (cmdline.split('\0').some(test)) out.push(Number(name));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0 but holds nothing any more.
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGTERM (Chromium then writes what it holds to disk), SIGKILL after graceMs; resolves when all are gone. */
export async function endProcesses(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids) if (alive(pid)) signal(pid, 'SIGKILL');
  const hard = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < hard) await new Promise((r) => setTimeout(r, 20));
}
