// app.mailer: the one way the gateway sends mail (support/mailer.ts).
import path from 'node:path';
import fp from 'fastify-plugin';
import { Mailer } from '../support/mailer.ts';
import { repoRootFrom } from '../../lib/repo-root.ts';

const ROOT = repoRootFrom(import.meta.url);

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const outboxDir = config.MAIL_OUTBOX_DIR ?? path.join(config.DATA_DIR ?? path.join(ROOT, '.data'), 'outbox');
    const mailer = new Mailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, outboxDir, log: app.log.child({ component: 'mail' }) });
    app.decorate('mailer', mailer);
    app.addHook('onClose', async () => mailer.close());
  },
  { name: 'mailer' },
);
