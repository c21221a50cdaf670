// The supervisor, over its Unix socket (supervisor/client.ts). The gateway never touches Docker or
// slice processes itself: it asks. A missing socket is an Unavailable error with a clear message.
import fp from 'fastify-plugin';
import { SupervisorClient } from '../../supervisor/client.ts';
import type { MethodName, ParamsOf, ResultOf, SliceStateChanged } from '../../supervisor/protocol.ts';

/** The part of SupervisorClient the gateway uses; tests and the bench may pass another. */
export interface SupervisorApi {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  subscribe(onEvent: (e: SliceStateChanged) => void, onError?: (err: Error) => void): Promise<{ close(): void }>;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    supervisor: SupervisorApi;
  }
}

export default fp(
  async (app, opts: { supervisor?: SupervisorApi }) => {
    const client: SupervisorApi =
      opts.supervisor ??
      (new SupervisorClient({ socketPath: app.config.SUPERVISOR_SOCKET, timeoutMs: app.config.SUPERVISOR_TIMEOUT_MS }) as unknown as SupervisorApi);
    app.decorate('supervisor', client);
    app.addHook('onClose', async () => {
      await client.close().catch(() => {});
    });
  },
  { name: 'supervisor' },
);
