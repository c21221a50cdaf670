// One change applied to many records through the per-record routes: one request at a time (the
// slice serialises writes anyway), every outcome reported, a failure never stopping the rest.

export interface BulkFailure<T> {
  item: T;
  error: unknown;
}

export interface BulkProgress<T> {
  total: number;
  done: number;
  failures: BulkFailure<T>[];
}

export async function runBulk<T, R>(
  items: readonly T[],
  each: (item: T) => Promise<R>,
  onProgress: (p: BulkProgress<T>, last?: { item: T; result: R }) => void,
): Promise<BulkProgress<T>> {
  const progress: BulkProgress<T> = { total: items.length, done: 0, failures: [] };
  onProgress({ ...progress });
  for (const item of items) {
    let last: { item: T; result: R } | undefined;
    try {
      last = { item, result: await each(item) };
    } catch (error) {
      progress.failures = [...progress.failures, { item, error }];
    }
    progress.done += 1;
    onProgress({ ...progress, failures: progress.failures }, last);
  }
  return progress;
}
