// What the benchmarks measure with: percentiles of sorted samples and a process's memory.
import fs from 'node:fs';

/** The p-th percentile (0–100) of samples sorted ascending; NaN when there are none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Resident and proportional set size of one process, in bytes (PSS 0 where the kernel has no smaps_rollup). */
export function memoryOf(pid: number): { rss: number; pss: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  let pss = 0;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    /* older kernels */
  }
  return { rss, pss };
}

/** Bytes as MiB with one decimal. */
export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
