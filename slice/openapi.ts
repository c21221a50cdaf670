// node --import tsx slice/openapi.ts: prints the slice's OpenAPI document (JSON, one line) and
// exits. The gateway runs it once and caches what it prints (gateway/plugins/openapi.ts), so the
// public document needs no running slice and the gateway imports no slice code. The app is built
// as a slice builds it, with nothing behind it: no database (Kysely's DummyDriver answers every
// query with no rows, so the outbox's start-up finds no pending sends), no browser (the session is
// never called: no request is answered). It reads no environment: nothing secret reaches it.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { SliceDatabase } from '../sql/slice/schema.ts';
import { buildSliceApp } from './app.ts';
import type { SliceSession } from './plugins/session-types.ts';
import { SliceStore } from './store/store.ts';

export async function sliceOpenapiDocument(): Promise<Record<string, unknown>> {
  const db = new Kysely<SliceDatabase>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const log = pino({ level: 'silent' });
  // The media folder is only named, never created: open() is not called.
  const store = new SliceStore(db.withSchema('slice_0'), { schema: 'slice_0', sliceId: 0, log, media: { dir: path.join(os.tmpdir(), 'queunir-openapi-unused') } });
  const idle = new Proxy({} as SliceSession, {
    get: (_t, name) =>
      typeof name === 'symbol' || name === 'then' || name === 'sim'
        ? undefined
        : () => {
            throw new Error(`the OpenAPI build has no WhatsApp session (${name} called)`);
          },
  });
  const app = await buildSliceApp({ store, session: idle, token: 'openapi-document-only', waMode: 'wwebjs', openapi: true, fastify: { logger: false } });
  await app.ready();
  const document = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  await db.destroy();
  return document;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const document = await sliceOpenapiDocument();
  // Exits once written: nothing of the idle store may keep the process (and the gateway's wait) alive.
  process.stdout.write(`${JSON.stringify(document)}\n`, () => process.exit(0));
}
