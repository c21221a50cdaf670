// The slice's HTTP app: plugins first (context, auth, errors), then routes. main.ts builds it with
// the real store and session; tests build it the same way and use app.inject() or listen(). The
// outbox (sends) sits between the two; closing the app waits for its sends in flight. With
// `openapi`, @fastify/swagger collects the routes as they are registered (slice/openapi.ts prints
// the document; a running slice does not carry it).
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import actingMemberPlugin from './plugins/acting-member.ts';
import authPlugin from './plugins/auth.ts';
import contextPlugin from './plugins/context.ts';
import errorsPlugin from './plugins/errors.ts';
import validationPlugin from './plugins/validation.ts';
import type { SliceSession } from './plugins/session-types.ts';
import chatsRoutes from './routes/chats.ts';
import contactsRoutes from './routes/contacts.ts';
import eventsRoutes from './routes/events.ts';
import healthRoutes from './routes/health.ts';
import internalTeamRoutes from './routes/internal-team.ts';
import internalEventsRoutes from './routes/internal-events.ts';
import labelsRoutes from './routes/labels.ts';
import mediaRoutes from './routes/media.ts';
import messagesRoutes from './routes/messages.ts';
import notesRoutes from './routes/notes.ts';
import searchRoutes from './routes/search.ts';
import simRoutes from './routes/sim.ts';
import stagesRoutes from './routes/stages.ts';
import waRoutes from './routes/wa.ts';
import webAppRoutes from './routes/web-app.ts';
import { Outbox } from './store/outbox.ts';
import type { SliceStore } from './store/store.ts';
import { frameworkErrors } from '../lib/errors.ts';
import { registerOpenapi } from './openapi-document.ts';

interface BuildSliceAppOptions {
  store: SliceStore;
  session: SliceSession;
  token: string;
  waMode: 'wwebjs' | 'sim';
  heartbeatMs?: number;
  /** A self-hosted web build (no VITE_SAAS) to serve at /, with the app's routes falling back to index.html. */
  webDir?: string;
  fastify?: FastifyServerOptions;
  /** Collect the routes' schemas for the OpenAPI document (app.swagger()). */
  openapi?: boolean;
}

export async function buildSliceApp(opts: BuildSliceAppOptions) {
  const app = Fastify({ ...opts.fastify, frameworkErrors }).withTypeProvider<TypeBoxTypeProvider>();
  // First: it sees only the routes registered after it.
  if (opts.openapi) await registerOpenapi(app);
  const outbox = new Outbox(opts.store, opts.session, opts.store.log);
  await outbox.open();
  app.addHook('onClose', () => outbox.flush());

  await app.register(contextPlugin, { store: opts.store, outbox, session: opts.session, waMode: opts.waMode });
  await app.register(validationPlugin);
  await app.register(errorsPlugin);
  await app.register(authPlugin, { token: opts.token, publicStatic: opts.webDir !== undefined });
  await app.register(actingMemberPlugin, { token: opts.token });

  await app.register(healthRoutes);
  await app.register(eventsRoutes, { heartbeatMs: opts.heartbeatMs ?? 15_000 });
  await app.register(internalTeamRoutes);
  await app.register(internalEventsRoutes);
  await app.register(
    async (api) => {
      await api.register(chatsRoutes);
      await api.register(notesRoutes);
      await api.register(contactsRoutes);
      await api.register(labelsRoutes);
      await api.register(stagesRoutes);
      await api.register(searchRoutes);
      await api.register(waRoutes);
      await api.register(mediaRoutes);
      await api.register(messagesRoutes);
    },
    { prefix: '/api' },
  );
  if (opts.waMode === 'sim') await app.register(simRoutes);
  if (opts.webDir) await app.register(webAppRoutes, { root: opts.webDir });
  return app;
}
