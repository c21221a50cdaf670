// One way to run a fast-check property for both callers: the tests (a bounded run count, failing
// with fast-check's report, which names the seed and the path to replay it) and bench/fuzz.bench.ts
// (FUZZ_RUNS cases, reporting runs, failures and time instead of throwing).
import fc from 'fast-check';

export interface FuzzResult {
  name: string;
  runs: number;
  failures: number;
  ms: number;
  /** fast-check's report of the first failure (seed, path, counterexample), or null. */
  report: string | null;
}

export async function runProperty<T>(name: string, property: fc.IAsyncPropertyWithHooks<T> | fc.IAsyncProperty<T>, runs: number, seed?: number): Promise<FuzzResult> {
  const started = Date.now();
  const details = await fc.check(property, { numRuns: runs, ...(seed === undefined ? {} : { seed }) });
  return {
    name,
    runs: details.numRuns,
    failures: details.failed ? 1 : 0,
    ms: Date.now() - started,
    report: details.failed ? fc.defaultReportMessage(details) ?? 'failed' : null,
  };
}

/** The run count a test uses: FUZZ_RUNS when set (to replay more cases locally), else its own. */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
