// Property-based bad input for the supervisor's socket (issue 17): frames built by fast-check from
// garbage, invalid UTF-8 and JSON-RPC requests with wrong types, joined into one stream and cut at
// arbitrary points, and lines over the 1 MiB cap. Each answer is predicted by a small model of the
// JSON-RPC 2.0 rules (not by the server's code) and compared as a multiset; a valid call on the
// same connection and on a new one must answer afterwards. Shared by supervisor/test/rpc-fuzz.test.ts
// (a few hundred cases) and bench/fuzz.bench.ts (thousands): the caller owns the daemon, which
// must know no slice (slice.getInfo of a valid id is then NotFound).
import net from 'node:net';
import fc from 'fast-check';
import { MAX_LINE_BYTES } from '../protocol.ts';
import { RawConn } from './helpers.ts';

/** The daemon's MAX_SLICES, which bounds a valid slice id. */
export interface FrameTarget {
  socketPath: string;
  maxSlices: number;
}

type Expected = { id: unknown; code: number; data?: { kind: string; code: string; field?: string } };
/** One line's predicted answer: nothing, one answer, or a batch of answers. */
type Prediction = null | Expected | Expected[];

const INVALID_PARAMS_DATA = { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT' };

function validId(id: unknown): boolean {
  return id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The model: what JSON-RPC 2.0 (as DESIGN.md narrows it: by-name params only) answers one request. */
function predictRequest(msg: unknown, maxSlices: number): Expected | null {
  if (!isPlainObject(msg)) return { id: null, code: -32600 };
  const id = validId(msg.id) && msg.id !== undefined ? msg.id : null;
  if (msg.jsonrpc !== '2.0') return { id, code: -32600 };
  if (!validId(msg.id)) return { id: null, code: -32600 };
  if (typeof msg.method !== 'string') return { id, code: -32600 };
  const notification = msg.id === undefined;
  const known = msg.method === 'system.version' || msg.method === 'slice.getInfo';
  if (notification) return null;
  if (!known) return { id, code: -32601 };
  const params = msg.params === undefined ? {} : msg.params;
  if (!isPlainObject(params)) return { id, code: -32602, data: { ...INVALID_PARAMS_DATA, field: 'params' } };
  if (msg.method === 'system.version') {
    const extra = Object.keys(params)[0];
    return extra === undefined ? { id, code: 0 } : { id, code: -32602, data: { ...INVALID_PARAMS_DATA, field: extra } };
  }
  const keys = Object.keys(params);
  const sid = params.id;
  const idGood = Number.isInteger(sid) && (sid as number) >= 1 && (sid as number) <= maxSlices;
  if (keys.length === 1 && keys[0] === 'id' && idGood) return { id, code: -32001, data: { kind: 'NotFound', code: 'SLICE_NOT_FOUND' } };
  // Which field is named first is the schema library's order: only its kind is predicted.
  return { id, code: -32602, data: INVALID_PARAMS_DATA };
}

/** A line as the server reads it (UTF-8 decoded, a CR before the newline dropped) → its prediction. */
function predictLine(bytes: Buffer, maxSlices: number): Prediction {
  let line = bytes.toString('utf8');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.trim() === '') return null;
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return { id: null, code: -32700 };
  }
  if (Array.isArray(msg)) {
    if (msg.length === 0) return { id: null, code: -32600 };
    const answers = msg.map((m) => predictRequest(m, maxSlices)).filter((a): a is Expected => a !== null);
    return answers.length > 0 ? answers : null;
  }
  return predictRequest(msg, maxSlices);
}

const oddJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
const absent = fc.constant(undefined);

/** A request-shaped object whose every field may be missing, right or of a wrong type. */
const request = fc
  .record({
    jsonrpc: fc.oneof({ weight: 4, arbitrary: fc.constant('2.0') }, absent, oddJson, fc.constant('1.0')),
    id: fc.oneof({ weight: 2, arbitrary: fc.integer() }, absent, fc.string({ maxLength: 8 }), oddJson),
    method: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('system.version', 'slice.getInfo') },
      fc.constantFrom('slice.explode', 'system.', '', 'SYSTEM.VERSION', '__proto__', 'constructor'),
      absent,
      oddJson,
    ),
    params: fc.oneof(
      absent,
      fc.record({ id: fc.oneof(fc.integer({ min: -5, max: 80 }), oddJson) }),
      fc.record({ id: fc.integer({ min: 1, max: 50 }), extra: oddJson }),
      oddJson,
    ),
  })
  .map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
    return out;
  });

const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** One line's bytes, never containing a newline (the frame boundary is added when joining). */
const lineBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: request.map((r) => utf8(JSON.stringify(r))) },
  { weight: 1, arbitrary: fc.array(request, { maxLength: 4 }).map((b) => utf8(JSON.stringify(b))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => utf8(JSON.stringify(v))) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map(utf8) },
  // Invalid UTF-8: lone continuation bytes, truncated sequences, overlongs, inside and outside JSON.
  {
    weight: 1,
    arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.boolean()).map(([raw, wrap]) => {
      const bytes = Buffer.from(raw.map((b) => (b === 0x0a ? 0xc0 : b | 0x80)));
      return wrap ? Buffer.concat([utf8('{"jsonrpc":"2.0","id":1,"method":"'), bytes, utf8('"}')]) : bytes;
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '\r', '{"jsonrpc":"2.0","id":1,"method":"system.version"}\r').map(utf8) },
).map((b) => Buffer.from(b.map((x) => (x === 0x0a ? 0x20 : x))));

function shape(a: any): string {
  const one = (x: any) => {
    const code = x?.error ? x.error.code : x && 'result' in x ? 0 : 'none';
    const data = x?.error?.data ? `${x.error.data.kind}/${x.error.data.code}` : '';
    return `${JSON.stringify(x?.id ?? null)}:${code}:${data}`;
  };
  return Array.isArray(a) ? `[${a.map(one).join(',')}]` : one(a);
}

function shapeExpected(p: Expected | Expected[]): string {
  const one = (x: Expected) => `${JSON.stringify(x.id)}:${x.code}:${x.data ? `${x.data.kind}/${x.data.code}` : ''}`;
  return Array.isArray(p) ? `[${p.map(one).join(',')}]` : one(p);
}

/** A new connection is served after whatever the last one did. */
async function freshConnectionAnswers(target: FrameTarget): Promise<void> {
  const fresh = await connect(target.socketPath);
  try {
    await answersVersion(fresh, `fresh-${++sentinel}`);
  } finally {
    fresh.close();
  }
}

/** A second, plain call on a connection: the daemon still serves it. */
async function answersVersion(c: RawConn, id: string): Promise<void> {
  c.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'system.version' }) + '\n');
  for (;;) {
    const a = await c.line();
    if (a?.id === id) {
      if (!a.result?.version) throw new Error(`system.version after the frames answered ${JSON.stringify(a)}`);
      return;
    }
  }
}

async function connect(socketPath: string): Promise<RawConn> {
  const c = new RawConn(socketPath);
  await c.ready();
  return c;
}

let sentinel = 0;

/** Many frames in one stream, cut into writes at arbitrary points: each gets its predicted answer,
 * field names in -32602 data included, and nothing else arrives. */
export function framesProperty(target: FrameTarget) {
  return fc.asyncProperty(
    fc.array(lineBytes, { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 8 }),
    async (lines, cuts) => {
      const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
      const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const want = lines.map((l) => predictLine(l, target.maxSlices)).filter((p): p is Expected | Expected[] => p !== null);
      const c = await connect(target.socketPath);
      try {
        let from = 0;
        for (const cut of [...at, stream.length]) {
          if (cut > from) c.send(stream.subarray(from, cut));
          from = cut;
          await new Promise((r) => setImmediate(r));
        }
        const got: string[] = [];
        for (let i = 0; i < want.length; i++) got.push(shape(await c.line()));
        const expected = want.map(shapeExpected).sort();
        got.sort();
        if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`answers ${JSON.stringify(got)}, predicted ${JSON.stringify(expected)}`);
        // Nothing more than predicted: the next line is the answer to the valid call.
        const id = `after-${++sentinel}`;
        c.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'system.version' }) + '\n');
        const next = await c.line();
        if (next?.id !== id || !next.result) throw new Error(`an extra answer before the valid call's: ${JSON.stringify(next)}`);
      } finally {
        c.close();
      }
      await freshConnectionAnswers(target);
    },
  );
}

/** A line over the cap, sent in pieces (maybe after good frames): the good ones are answered, then
 * one -32600 naming the cap, the connection closes, and a new connection is served. */
export function hugeLineProperty(target: FrameTarget) {
  return fc.asyncProperty(
    fc.integer({ min: 1, max: 256 * 1024 }),
    fc.integer({ min: 1, max: 8 }),
    fc.boolean(),
    fc.constantFrom(0x61, 0x20, 0xff, 0x7b),
    async (over, pieces, goodFirst, fill) => {
      const c = await connect(target.socketPath);
      try {
        if (goodFirst) await answersVersion(c, `before-${++sentinel}`);
        const big = Buffer.alloc(MAX_LINE_BYTES + over, fill);
        const size = Math.ceil(big.length / pieces);
        for (let i = 0; i < big.length; i += size) {
          c.send(big.subarray(i, i + size));
          await new Promise((r) => setImmediate(r));
        }
        const a = await c.line();
        if (a?.error?.code !== -32600 || !/longer than/.test(a.error.message)) throw new Error(`a line of ${big.length} bytes answered ${JSON.stringify(a)}`);
        if (!(await c.waitClosed())) throw new Error('the connection stayed open after an over-long line');
      } finally {
        c.close();
      }
      await freshConnectionAnswers(target);
    },
  );
}

/** Connections that hang up mid-frame in any state leave the daemon serving. */
export function hangUpProperty(target: FrameTarget) {
  return fc.asyncProperty(fc.array(lineBytes, { minLength: 1, maxLength: 4 }), fc.nat(), async (lines, cut) => {
    const stream = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
    const s = net.createConnection(target.socketPath);
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.end(stream.subarray(0, cut % (stream.length + 1)));
    s.destroy();
    await freshConnectionAnswers(target);
  });
}
