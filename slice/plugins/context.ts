// What every route of a slice reaches through the Fastify instance: the store, the outbox and the
// WhatsApp session. Decorated once, typed here.
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import type { Outbox } from '../store/outbox.ts';
import type { SliceStore } from '../store/store.ts';
import type { SliceSession } from './session-types.ts';

interface SliceContextOptions {
  store: SliceStore;
  outbox: Outbox;
  session: SliceSession;
  waMode: 'wwebjs' | 'sim';
}

declare module 'fastify' {
  interface FastifyInstance {
    store: SliceStore;
    outbox: Outbox;
    session: SliceSession;
    waMode: 'wwebjs' | 'sim';
  }
}

const context: FastifyPluginAsync<SliceContextOptions> = async (app, opts) => {
  app.decorate('store', opts.store);
  app.decorate('outbox', opts.outbox);
  app.decorate('session', opts.session);
  app.decorate('waMode', opts.waMode);
};

export default fp(context, { name: 'slice-context', fastify: '5.x' });
