// What every route of a slice reaches through the Fastify instance: the store and the WhatsApp
// session. Decorated once, typed here.
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import type { SliceStore } from '../store/store.ts';
import type { SliceSession } from './session-types.ts';

export interface SliceContextOptions {
  store: SliceStore;
  session: SliceSession;
  waMode: 'wwebjs' | 'sim';
}

declare module 'fastify' {
  interface FastifyInstance {
    store: SliceStore;
    session: SliceSession;
    waMode: 'wwebjs' | 'sim';
  }
}

const context: FastifyPluginAsync<SliceContextOptions> = async (app, opts) => {
  app.decorate('store', opts.store);
  app.decorate('session', opts.session);
  app.decorate('waMode', opts.waMode);
};

export default fp(context, { name: 'slice-context', fastify: '5.x' });
