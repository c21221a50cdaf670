// Event streams held open and drained unread by a worker thread, so that a benchmark's own thread
// only parses the streams it times: a browser's share of the work is its own machine's.
import { Worker } from 'node:worker_threads';

export interface StreamHolder {
  /** Open n more streams; resolves with how many the worker holds in all. */
  holdMore(n: number): Promise<number>;
  terminate(): Promise<number>;
}

export function holdStreams(url: string, headers: Record<string, string>): StreamHolder {
  const worker = new Worker(
    `const http = require('node:http');
     const { parentPort, workerData } = require('node:worker_threads');
     const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
     let open = 0;
     const one = () => new Promise((resolve, reject) => {
       const req = http.get(workerData.url, { agent, headers: workerData.headers }, (res) => {
         if (res.statusCode !== 200) return reject(new Error('stream answered ' + res.statusCode));
         open++; res.resume(); resolve();
       });
       req.on('error', reject);
     });
     parentPort.on('message', async (n) => {
       try {
         for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, one));
         parentPort.postMessage(open);
       } catch (err) { parentPort.postMessage('error: ' + err.message); }
     });`,
    { eval: true, workerData: { url, headers: { accept: 'text/event-stream', ...headers } } },
  );
  return {
    holdMore: (n) =>
      new Promise<number>((resolve, reject) => {
        worker.once('message', (m: number | string) => (typeof m === 'number' ? resolve(m) : reject(new Error(`the worker could not open its streams: ${m}`))));
        worker.postMessage(n);
      }),
    terminate: () => worker.terminate(),
  };
}

/**
 * Opens `total` streams: `probes` of them with openProbe, one after every (total / probes − 1)
 * held ones, so the probes sample every position of the server's write order alike. Resolves with
 * how many the holder holds.
 */
export async function openSpread(holder: StreamHolder, total: number, probes: number, openProbe: () => Promise<void>): Promise<number> {
  let held = 0;
  const per = Math.floor((total - probes) / probes);
  for (let i = 0; i < probes; i++) {
    held = await holder.holdMore(i === probes - 1 ? total - probes - held : per);
    await openProbe();
  }
  return held;
}
