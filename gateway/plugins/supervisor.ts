// The supervisor, over its Unix socket (supervisor/client.ts). The gateway never touches Docker or
// slice processes itself: it asks. A missing socket is an Unavailable error with a clear message.
// app.supervisor reads (health, info, logs, state changes); the methods that change a slice are
// reached through lifecycleCalls(), which only plugins/slice-lifecycle.ts imports.
import fp from 'fastify-plugin';
import { SupervisorClient } from '../../supervisor/client.ts';
import type { MethodName, ParamsOf, ResultOf, SliceStateChanged } from '../../supervisor/protocol.ts';

/** The part of SupervisorClient the gateway uses; tests and the bench may pass another. */
export interface SupervisorApi {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  subscribe(onEvent: (e: SliceStateChanged) => void, onError?: (err: Error) => void): Promise<{ close(): void }>;
  close(): Promise<void>;
}

/** The methods that change a slice: the lifecycle owner's alone. */
export type LifecycleMethod = 'slice.create' | 'slice.start' | 'slice.stop' | 'slice.restart' | 'slice.remove';

/** What every module of the gateway may ask the supervisor: everything but the lifecycle. */
export interface SupervisorReads {
  call<M extends Exclude<MethodName, LifecycleMethod>>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  subscribe: SupervisorApi['subscribe'];
}

declare module 'fastify' {
  interface FastifyInstance {
    supervisor: SupervisorReads;
  }
}

const FULL = Symbol('the supervisor client with its lifecycle methods');

/** The full client, lifecycle methods included: for plugins/slice-lifecycle.ts only. */
export function lifecycleCalls(app: { supervisor: SupervisorReads }): SupervisorApi {
  return (app.supervisor as SupervisorReads & { [FULL]: SupervisorApi })[FULL];
}

export default fp(
  async (app, opts: { supervisor?: SupervisorApi }) => {
    const client: SupervisorApi =
      opts.supervisor ??
      (new SupervisorClient({ socketPath: app.config.SUPERVISOR_SOCKET, timeoutMs: app.config.SUPERVISOR_TIMEOUT_MS }) as unknown as SupervisorApi);
    const reads: SupervisorReads & { [FULL]: SupervisorApi } = {
      call: (method, params) => client.call(method, params),
      subscribe: (onEvent, onError) => client.subscribe(onEvent, onError),
      [FULL]: client,
    };
    app.decorate('supervisor', reads);
    app.addHook('onClose', async () => {
      await client.close().catch(() => {});
    });
  },
  { name: 'supervisor' },
);
