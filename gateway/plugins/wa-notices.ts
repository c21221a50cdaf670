// Telling an account's owners that their number was unlinked from the phone (WhatsApp's "Linked
// devices" → log out): until it is linked again no message comes in, and nobody may be looking at
// the CRM. The web app shows a banner from the slice's own status; this sends the mail and writes
// the audit row, once per logout (slice-lifecycle's onUnlinked fires once per logout it sees).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { writeAudit } from '../support/audit.ts';
import { composeMail } from '../support/mailer.ts';
import { inBackground } from '../support/self-mails.ts';
import type { SliceAssignment, WaLogoutSeen } from './slice-lifecycle.ts';

/** The owners of an account that is not being deleted, with its name: who is mailed about it. */
export async function ownersOf(app: FastifyInstance, accountId: string): Promise<{ email: string; accountName: string }[]> {
  return app.db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .innerJoin('accounts', 'accounts.id', 'members.account_id')
    .select(['users.email as email', 'accounts.name as accountName'])
    .where('members.account_id', '=', accountId)
    .where('members.role', '=', 'owner')
    .where('accounts.deleting_since', 'is', null)
    .execute();
}

function when(iso: string): string {
  return `${new Date(iso).toLocaleString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' })} UTC`;
}

async function tellOwners(app: FastifyInstance, slice: SliceAssignment, logout: WaLogoutSeen): Promise<void> {
  await writeAudit(app.db, { actor: 'monitor', accountId: slice.accountId, action: 'wa.unlinked', details: { sliceId: slice.id, at: logout.at, by: logout.by } });
  // A member who logged out from the CRM knows; the others see the banner. The phone is news.
  if (logout.by !== 'phone') return;
  const owners = await ownersOf(app, slice.accountId);
  const link = new URL('/link', app.config.PUBLIC_URL).toString();
  for (const owner of owners) {
    await app.mailer.send(
      composeMail(owner.email, {
        subject: 'Your WhatsApp number was unlinked',
        intro: [
          `On ${when(logout.at)} the WhatsApp number of ${owner.accountName} was unlinked from Queunir on the phone (WhatsApp → Linked devices).`,
          'Until it is linked again, no new message reaches your team in Queunir and none can be sent from it. Your chats, contacts and notes are kept.',
        ],
        action: { label: 'Link WhatsApp again', url: link },
        outro: ['If you unlinked it on purpose, there is nothing to do.'],
      }),
    );
  }
  app.log.info({ slice: slice.id, owners: owners.length }, 'owners told that WhatsApp was unlinked from the phone');
}

export default fp(
  async (app) => {
    app.slices.onUnlinked((slice, logout) => inBackground(app, 'telling the owners about an unlinked number', () => tellOwners(app, slice, logout)));
  },
  { name: 'wa-notices', dependencies: ['slice-lifecycle', 'mailer'] },
);
