// npm run slice: one customer's slice. Connects as its own role to its own schema, runs the
// WhatsApp session (real or simulated) into the store, serves the API, and shuts down cleanly.
import path from 'node:path';
import { sql } from 'kysely';
import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { runMain } from '../lib/run-main.ts';
import { checkConnection, createDb } from '../sql/database.ts';
import { sliceSchemaName, type SliceDatabase } from '../sql/slice/schema.ts';
import { buildSliceApp } from './app.ts';
import { loadSliceConfig } from './config.ts';
import { MB } from './media/limits.ts';
import { SliceStore } from './store/store.ts';
import { createWaSession } from './wa/index.ts';
import { describeEscaped, fromBrowserStack } from './wa/escaped.ts';

const SHUTDOWN_TIMEOUT_MS = 15_000;

runMain('slice', async () => {
  const config = loadSliceConfig();
  const log = createLogger(`slice-${config.SLICE_ID}`, config.LOG_LEVEL);
  const schema = sliceSchemaName(config.SLICE_ID);

  const db = createDb<SliceDatabase>(config.DATABASE_URL, { max: config.DB_POOL_MAX, applicationName: `queunir-slice-${config.SLICE_ID}` });
  try {
    // A role that cannot log in ends the process at once with one line (the supervisor's FATAL).
    await checkConnection(db, config.DATABASE_URL);
    const found = await sql<{ t: string | null }>`select to_regclass(${`${schema}.events`})::text as t`.execute(db);
    if (!found.rows[0]?.t) {
      throw new AppError('FAILED_PRECONDITION', `schema ${schema} is missing or not migrated: the supervisor creates it (slice.create ${config.SLICE_ID})`);
    }
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }

  const store = new SliceStore(db.withSchema(schema), {
    schema,
    sliceId: config.SLICE_ID,
    log: log.child({ component: 'store' }),
    retentionDays: config.EVENTS_RETENTION_DAYS,
    media: {
      dir: config.MEDIA_DIR ?? path.join(config.WA_AUTH_DIR, 'media'),
      quotaBytes: config.MEDIA_QUOTA_MB * MB,
      maxPhotoBytes: config.MEDIA_MAX_PHOTO_MB * MB,
      maxDocumentBytes: config.MEDIA_MAX_DOCUMENT_MB * MB,
    },
  });
  await store.open();

  const session = createWaSession({
    mode: config.WA_MODE,
    authDir: config.WA_AUTH_DIR,
    chromiumPath: config.CHROMIUM_PATH,
    chromiumSandbox: config.CHROMIUM_SANDBOX,
    ...(config.SIM_SCENARIO ? { simScenario: config.SIM_SCENARIO } : {}),
    simScanAfterMs: config.SIM_SCAN_AFTER_MS,
    sink: store.sink,
    log: log.child({ component: 'wa' }),
  });

  // Errors no one awaited (see wa/escaped.ts): the browser's restart it, ours end the process.
  const escaped = (kind: string) => (err: unknown) => {
    const detail = describeEscaped(err);
    if (fromBrowserStack(err)) {
      log.warn({ kind, err: detail }, 'an error from the browser escaped: starting the browser again, keeping the login');
      session.recover('escaped_error', `escaped error: ${detail}`);
      return;
    }
    log.fatal({ kind, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'an error escaped: exiting');
    process.exit(1);
  };
  process.on('unhandledRejection', escaped('unhandledRejection'));
  process.on('uncaughtException', escaped('uncaughtException'));

  const app = await buildSliceApp({
    store,
    session,
    token: config.SLICE_TOKEN,
    waMode: config.WA_MODE,
    heartbeatMs: config.SSE_HEARTBEAT_MS,
    ...(config.WEB_DIR ? { webDir: config.WEB_DIR } : {}),
    // Request lines are not logged: GET /events may carry the token in its query (EventSource).
    // The gateway's request id (nginx's, when behind nginx): one id in every log. Only the
    // gateway can call a slice (its token), so the header is believed.
    fastify: { loggerInstance: log.child({ component: 'http' }), disableRequestLogging: true, requestIdHeader: 'x-request-id' },
  });
  await app.listen({ host: config.SLICE_HOST, port: config.SLICE_PORT });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    const step = async (name: string, fn: () => Promise<unknown>) => {
      try {
        log.debug({ step: name }, 'shutdown step');
        await fn();
      } catch (err) {
        log.warn({ err }, `${name} failed during shutdown`);
      }
    };
    await step('closing the HTTP server', () => app.close());
    await step('stopping the WhatsApp session', () => session.stop());
    await step('flushing the store', () => store.close());
    await step('closing the database pool', () => db.destroy());
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  log.info({ port: config.SLICE_PORT, mode: config.WA_MODE }, 'slice listening');
  // The session runs in the background: its states reach the store (and /health) as it goes.
  session.start().catch((err: unknown) => log.error({ err }, 'the WhatsApp session failed to start'));
});
