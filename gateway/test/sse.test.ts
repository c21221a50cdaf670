// SseUpstream against a stand-in slice (stand-in-slice.ts) that refuses: a refused resume id is
// dropped (asked for once, then the stream goes on live), and refusals back off, bounded and
// jittered, instead of a retry every few seconds for ever.
import t from 'tap';
import { SseUpstream } from '../support/sse.ts';
import { sleep } from './system.ts';
import { StandInSlice } from './stand-in-slice.ts';

t.test('a refused resume id is asked for once, then the stream is live (stand-in slice)', async (t) => {
  const standIn = new StandInSlice((id) => id === '1');
  const port = await standIn.listen();
  t.teardown(() => standIn.close());
  let refusedCalls = 0;
  const upstream = new SseUpstream({
    target: async () => ({ url: `http://127.0.0.1:${port}/events`, headers: {} }),
    lastEventId: '1',
    onEvent: () => {},
    onResumeRefused: () => (refusedCalls += 1),
    minDelayMs: 20,
    maxDelayMs: 40,
  });
  t.teardown(() => upstream.close());
  await sleep(1_000);
  t.same(standIn.requests, ['1', ''], 'once with the id, then without it');
  t.equal(refusedCalls, 1, 'the owner is told once');
  t.equal(standIn.open.size, 1, 'and the live stream is open');
});

t.test('a slice that keeps refusing: bounded, jittered backoff (stand-in slice)', async (t) => {
  const standIn = new StandInSlice(() => true);
  const port = await standIn.listen();
  t.teardown(() => standIn.close());
  const at: number[] = [];
  const upstream = new SseUpstream({
    target: async () => {
      at.push(Date.now());
      return { url: `http://127.0.0.1:${port}/events`, headers: { 'last-event-id': '5' } };
    },
    onEvent: () => {},
    minDelayMs: 20,
    maxDelayMs: 40,
    maxRefusedDelayMs: 800,
  });
  t.teardown(() => upstream.close());
  await sleep(3_000);
  upstream.close();
  // 20, 40, 80, …, 800 with jitter ≈ 7–9 attempts in 3 s; a 40 ms cap would be ~70.
  t.ok(at.length >= 3 && at.length <= 14, `attempts in 3 s: ${at.length}`);
  const gaps = at.slice(1).map((v, i) => v - at[i]!);
  t.ok(Math.max(...gaps) <= 800 + 150, `no gap beyond the bound: ${gaps.join(',')}`);
  t.ok(gaps.at(-1)! >= 200, `the later gaps have grown: ${gaps.join(',')}`);
});
