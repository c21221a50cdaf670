// The mails of self-service (verify an email, reset a password), each with its one link under
// PUBLIC_URL carrying ?token=. Sent after the answer, so that whether a mail goes out (does the
// email exist?) and how long the mail server takes never show in the response time.
import type { FastifyInstance } from 'fastify';
import type { UserTokenPurpose } from '../../sql/gateway/user-tokens.table.ts';
import type { GatewayConfig } from '../config.ts';
import { composeMail, type MailContent } from './mailer.ts';
import { linkWithToken } from './tokens.ts';
import { issueUserToken } from './user-tokens.ts';

interface LinkMail {
  pathname: string;
  ttl(config: GatewayConfig): { ms: number; words: string };
  content(url: string, ttlWords: string): MailContent;
}

const MAILS: Record<UserTokenPurpose, LinkMail> = {
  email_verify: {
    pathname: '/verify-email',
    ttl: (c) => ({ ms: c.EMAIL_VERIFY_TTL_HOURS * 3_600_000, words: `${c.EMAIL_VERIFY_TTL_HOURS} hours` }),
    content: (url, ttl) => ({
      subject: 'Confirm your email',
      intro: ['Confirm that this address is yours: you need it to invite your team and to reset your password.'],
      action: { label: 'Confirm my email', url },
      outro: [`The link works for ${ttl}, once.`, 'If you did not sign up, ignore this mail.'],
    }),
  },
  password_reset: {
    pathname: '/reset-password',
    ttl: (c) => ({ ms: c.PASSWORD_RESET_TTL_MINUTES * 60_000, words: `${c.PASSWORD_RESET_TTL_MINUTES} minutes` }),
    content: (url, ttl) => ({
      subject: 'Reset your password',
      intro: ['Someone (we hope you) asked to reset the password of this account.'],
      action: { label: 'Choose a new password', url },
      outro: [`The link works for ${ttl}, once. Every device signed in to the account is signed out when you use it.`, 'If you did not ask, ignore this mail: your password stays as it is.'],
    }),
  },
};

async function sendLinkMail(app: FastifyInstance, purpose: UserTokenPurpose, user: { id: string; email: string }): Promise<void> {
  const mail = MAILS[purpose];
  const ttl = mail.ttl(app.config);
  const token = await issueUserToken(app.db, user.id, purpose, ttl.ms);
  await app.mailer.send(composeMail(user.email, mail.content(linkWithToken(app.config.PUBLIC_URL, mail.pathname, token), ttl.words)));
}

export const sendVerificationMail = (app: FastifyInstance, user: { id: string; email: string }) => sendLinkMail(app, 'email_verify', user);
export const sendPasswordResetMail = (app: FastifyInstance, user: { id: string; email: string }) => sendLinkMail(app, 'password_reset', user);

/** Runs a mail job after the answer; a failure is logged (without the link), never thrown at anyone. */
export function inBackground(app: FastifyInstance, what: string, job: () => Promise<void>): void {
  setImmediate(() => {
    job().catch((err) => app.log.warn({ err: (err as Error).message }, `${what}: failed`));
  });
}
