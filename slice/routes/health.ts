// GET /health: what the supervisor and an operator need to judge the slice at a glance. Always
// 200 when the process answers; `ok` says whether it is healthy (database reachable, browser
// running, no selector missing).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { WaHealth } from '../wa/types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const HealthShape = Type.Object({
  ok: Type.Boolean(),
  wa: Type.Object({
    state: Type.String(),
    since: Type.String(),
    detail: Nullable(Type.String()),
    cause: Nullable(Type.String()),
    lastLogout: Nullable(Type.Object({ at: Type.String(), by: Type.String() })),
  }),
  browser: Type.Object({ pid: Nullable(Type.Integer()), memoryBytes: Nullable(Type.Number()) }),
  db: Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) }),
  lastMessageAt: Nullable(Type.String()),
  missingSelectors: Type.Array(Type.String()),
  selectorsVersion: Type.String(),
  restarts: Type.Integer(),
});

const DB_CHECK_TIMEOUT_MS = 2_000;

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { config: { minRole: 'agent', scope: 'public' }, schema: { response: { 200: HealthShape } } }, async () => {
    const status = app.session.status();
    const [db, wa] = await Promise.all([
      Promise.race([
        sql`select 1`.execute(app.store.db).then(() => ({ ok: true as const })),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), DB_CHECK_TIMEOUT_MS).unref()),
      ]).catch((err: unknown) => ({ ok: false as const, detail: `database unreachable: ${(err as Error).message ?? String(err)}` })),
      app.session.health().catch(
        (): WaHealth => ({
          state: status.state,
          browserPid: null,
          browserMemoryBytes: null,
          lastMessageSeenAt: null,
          missingSelectors: [],
          selectorsVersion: 'unknown',
          restarts: 0,
        }),
      ),
    ]);
    // A browser is expected only while WhatsApp Web is shown. Before the launch, after a logout, and
    // while a reconnect waits out its backoff (DISCONNECTED) the slice is doing its job: a monitor
    // that restarted it then would only lose the backoff and end the slice FATAL.
    const browserExpected = ['QR', 'AUTHENTICATING', 'READY', 'FAILED'].includes(status.state);
    const browserGone = browserExpected && wa.browserPid === null;
    const seen = [wa.lastMessageSeenAt, app.store.lastMessageAt].filter((t): t is string => !!t).sort();
    return {
      ok: db.ok && wa.missingSelectors.length === 0 && !browserGone,
      wa: { state: status.state, since: status.since, detail: status.detail, cause: status.cause, lastLogout: status.lastLogout },
      browser: { pid: wa.browserPid, memoryBytes: wa.browserMemoryBytes },
      db,
      lastMessageAt: seen.at(-1) ?? null,
      missingSelectors: wa.missingSelectors,
      selectorsVersion: wa.selectorsVersion,
      restarts: wa.restarts,
    };
  });
};

export default health;
