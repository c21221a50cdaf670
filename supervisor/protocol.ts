// The supervisor's JSON-RPC contract, shared by the daemon, its client (the gateway, slicectl) and
// system.describe: one table of methods, each with TypeBox schemas for params and result and a
// docstring. Params objects refuse unknown fields: the socket accepts ids and nothing else (no
// image names, mounts, env or commands ever come over it).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const PROTOCOL_VERSION = '1.0.0';
/** One JSON-RPC object per line; longer lines are refused and their connection closed. */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Where the daemon listens and its clients connect unless SUPERVISOR_SOCKET says otherwise. */
export const DEFAULT_SOCKET = '/run/wank/supervisor.sock';
/** The socket under `npm start`, relative to the checkout (no root needed for /run). */
export const DEVELOPMENT_SOCKET = '.run/supervisor.sock';

export const SLICE_STATES = ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'UNKNOWN'] as const;
export type SliceState = (typeof SLICE_STATES)[number];
/** supervisord's STOPPED_STATES: nothing runs (slicectl status exits 3 when any slice is in one). */
export const STOPPED_STATES: readonly SliceState[] = ['STOPPED', 'EXITED', 'FATAL', 'UNKNOWN'];
/** supervisord's SIGNALLABLE_STATES: an instance may be there to signal (a stop waits for none). */
export const SIGNALLABLE_STATES: readonly SliceState[] = ['RUNNING', 'STARTING', 'STOPPING'];
/** On the way between two states, driven by the supervisor itself (start retries, backoff, the stop's wait): others wait. */
export const TRANSITIONAL_STATES: readonly SliceState[] = ['STARTING', 'BACKOFF', 'STOPPING'];

/** Ids are checked again against the daemon's MAX_SLICES (at most this). */
export const SLICE_ID_LIMIT = 30000;

export const SliceStateSchema = Type.Union(SLICE_STATES.map((s) => Type.Literal(s)), { description: 'a supervisord state' });
const SliceId = Type.Integer({ minimum: 1, maximum: SLICE_ID_LIMIT, description: 'the slice number N (1..MAX_SLICES)' });
const IsoTime = Type.String({ description: 'an ISO 8601 time' });

export const SliceInfoSchema = Type.Object({
  id: SliceId,
  name: Type.String({ description: 'wank-slice-{N}' }),
  port: Type.Integer({ description: '5000 + 2N - 1 on 127.0.0.1' }),
  state: SliceStateSchema,
  since: IsoTime,
  restarts: Type.Integer({ minimum: 0, description: 'unplanned restarts since the last explicit start' }),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export type SliceInfo = Static<typeof SliceInfoSchema>;

export const SliceCreatedSchema = Type.Intersect([
  SliceInfoSchema,
  Type.Object({
    token: Type.Optional(Type.String({ description: 'the slice bearer token; returned by the first create only' })),
    created: Type.Boolean({ description: 'true when this call created the slice' }),
  }),
]);
export type SliceCreated = Static<typeof SliceCreatedSchema>;

export const SliceHealthSchema = Type.Object({
  ok: Type.Boolean({ description: 'RUNNING and the slice answered /health with ok' }),
  state: SliceStateSchema,
  wa: Type.Union([Type.Object({ state: Type.String() }, { additionalProperties: true }), Type.Null()], {
    description: "the slice's WhatsApp state as its /health reported it; null when it did not answer",
  }),
  rssBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'memory of the slice (container or process tree)' }),
  checkedAt: IsoTime,
  detail: Type.String({ description: 'one line saying why ok is what it is' }),
  slow: Type.Optional(Type.Boolean({ description: 'its process runs but /health did not answer in time: slow (a loaded host) or hung, not dead' })),
  slice: Type.Union([Type.Unknown(), Type.Null()], { description: "the slice's own /health body, or null" }),
});
export type SliceHealth = Static<typeof SliceHealthSchema>;

export const SliceStateChangedSchema = Type.Object({
  id: SliceId,
  from: SliceStateSchema,
  to: SliceStateSchema,
  at: IsoTime,
  reason: Type.String(),
});
export type SliceStateChanged = Static<typeof SliceStateChangedSchema>;

const IdParams = Type.Object({ id: SliceId }, { additionalProperties: false });
const NoParams = Type.Object({}, { additionalProperties: false });

function method<P extends TSchema, R extends TSchema>(params: P, result: R, doc: string) {
  return { params, result, doc };
}

export const METHODS = {
  'system.listMethods': method(NoParams, Type.Array(Type.String()), 'The names of every method.'),
  'system.describe': method(
    NoParams,
    Type.Record(Type.String(), Type.Object({ params: Type.Unknown(), result: Type.Unknown(), doc: Type.String() })),
    'For each method: its params and result as JSON Schema and its docstring.',
  ),
  'system.version': method(
    NoParams,
    Type.Object({ version: Type.String(), protocol: Type.String(), runtime: Type.Union([Type.Literal('docker'), Type.Literal('process')]) }),
    'The daemon version, the protocol version and the runtime in use.',
  ),
  'slice.create': method(
    IdParams,
    SliceCreatedSchema,
    'Provision slice N: database role, schema and migrations, the WhatsApp session volume and the bearer token. Idempotent; the token is returned the first time only. Does not start it.',
  ),
  'slice.start': method(IdParams, SliceInfoSchema, 'Start slice N (also the only way out of FATAL). RUNNING follows once its /health has answered ok for startsecs.'),
  'slice.stop': method(IdParams, SliceInfoSchema, 'Stop slice N: SIGTERM, then a kill after stopwaitsecs. Resolves once it is STOPPED.'),
  'slice.restart': method(IdParams, SliceInfoSchema, 'Stop then start slice N; the restart counter is reset as for an explicit start.'),
  'slice.remove': method(
    Type.Object({ id: SliceId, purgeData: Type.Optional(Type.Boolean({ description: 'also drop the schema, the role and the session volume' })) }, { additionalProperties: false }),
    Type.Object({}),
    'Stop and forget slice N. With purgeData its schema, role and session volume are dropped too.',
  ),
  'slice.findRemnants': method(
    IdParams,
    Type.Object({ remnants: Type.Array(Type.String(), { description: 'one line per thing found, naming it (schema slice_N, role slice_N, container, volume, directory, record)' }) }),
    "What of slice N still exists anywhere the supervisor looks: its schema and role (through the admin connection), the runtime's container and session volume (docker: by the project's labels and names) or data directory (process), and the daemon's record of it. Empty after slice.remove with purgeData. Known slice or not: it only looks.",
  ),
  'slice.getInfo': method(IdParams, SliceInfoSchema, 'The state of slice N.'),
  'slice.list': method(NoParams, Type.Array(SliceInfoSchema), 'Every known slice, by id.'),
  'slice.health': method(IdParams, SliceHealthSchema, "Ask slice N's GET /health (with its token) and join it with the runtime's state and memory use."),
  'slice.tailLog': method(
    Type.Object({ id: SliceId, lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'how many lines (default 100)' })) }, { additionalProperties: false }),
    Type.Object({ lines: Type.Array(Type.String()) }),
    'The last lines the slice wrote to stdout and stderr.',
  ),
  'events.subscribe': method(
    NoParams,
    Type.Object({ subscribed: Type.Boolean() }),
    'From now on this connection receives notifications slice.stateChanged {id, from, to, at, reason}.',
  ),
} as const;

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Static<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = Static<Methods[M]['result']>;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export const STATE_CHANGED_NOTIFICATION = 'slice.stateChanged';

/** Names and ports are contracts: containers wank-slice-{N} on 127.0.0.1:(5000 + 2N - 1). */
export function sliceName(id: number): string {
  return `wank-slice-${id}`;
}
export function slicePort(id: number): number {
  return 5000 + 2 * id - 1;
}

// ---- JSON-RPC 2.0 envelopes --------------------------------------------------------------------

export type JsonRpcId = string | number | null;
interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: unknown;
}
interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: JsonRpcId;
  error: { code: number; message: string; data?: unknown };
}
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
