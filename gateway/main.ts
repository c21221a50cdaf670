// The gateway program: configuration, database, then the app on HOST:PORT until a signal.
import path from 'node:path';
import { AppError } from '../lib/errors.ts';
import { runMain } from '../lib/run-main.ts';
import { build, ROOT } from './app.ts';
import { loadGatewayConfig } from './config.ts';
import { readOrCreateSecret, resolveGatewayDatabaseUrl } from './support/database-url.ts';

runMain('gateway', async () => {
  const config = loadGatewayConfig();
  const dataDir = config.DATA_DIR ?? path.join(ROOT, '.data');
  // Development only: a secret generated once and kept (0600) so sessions survive restarts.
  const sessionSecret = config.SESSION_SECRET ?? readOrCreateSecret(path.join(dataDir, 'session-secret'), 48);
  const db = await resolveGatewayDatabaseUrl({ databaseUrl: config.DATABASE_URL, root: ROOT, dataDir, embeddedPort: config.PG_EMBEDDED_PORT });
  const app = await build({ config, databaseUrl: db.url, sessionSecret });
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    await app.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new AppError('UNAVAILABLE', `port ${config.PORT} on ${config.HOST} is already in use: stop the program using it or set PORT`);
    }
    throw err;
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping');
    await app.close();
    await db.embedded?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
});
