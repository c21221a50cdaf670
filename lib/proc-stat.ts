// The kernel's per-process status lines (/proc/<pid>/stat), parsed once for the places that sum
// them: a slice group's memory (supervisor) and CPU per process (benchmarks). Linux only.
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  /** the command name (field 2), which may contain spaces */
  comm: string;
  /** the fields after the command name: [0] is field 3 (state), [2] field 5 (pgrp), [11] utime, [12] stime, [21] rss pages */
  fields: string[];
}

/** Every process's stat line that could be read (processes may end while being read). */
export function readProcStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') });
  }
  return out;
}
