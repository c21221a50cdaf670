// The mails of self-service (verify an email, reset a password), each with its one link under
// PUBLIC_URL carrying ?token=. Sent after the answer, so that whether a mail goes out (does the
// email exist?) and how long the mail server takes never show in the response time.
import type { FastifyInstance } from 'fastify';
import { composeMail } from './mailer.ts';
import { linkWithToken } from './tokens.ts';
import { issueUserToken } from './user-tokens.ts';

export async function sendVerificationMail(app: FastifyInstance, user: { id: string; email: string }): Promise<void> {
  const hours = app.config.EMAIL_VERIFY_TTL_HOURS;
  const token = await issueUserToken(app.db, user.id, 'email_verify', hours * 3_600_000);
  const url = linkWithToken(app.config.PUBLIC_URL, '/verify-email', token);
  await app.mailer.send(
    composeMail(user.email, {
      subject: 'Confirm your email',
      intro: ['Confirm that this address is yours: you need it to invite your team and to reset your password.'],
      action: { label: 'Confirm my email', url },
      outro: [`The link works for ${hours} hours, once.`, 'If you did not sign up, ignore this mail.'],
    }),
  );
}

export async function sendPasswordResetMail(app: FastifyInstance, user: { id: string; email: string }): Promise<void> {
  const minutes = app.config.PASSWORD_RESET_TTL_MINUTES;
  const token = await issueUserToken(app.db, user.id, 'password_reset', minutes * 60_000);
  const url = linkWithToken(app.config.PUBLIC_URL, '/reset-password', token);
  await app.mailer.send(
    composeMail(user.email, {
      subject: 'Reset your password',
      intro: ['Someone (we hope you) asked to reset the password of this account.'],
      action: { label: 'Choose a new password', url },
      outro: [`The link works for ${minutes} minutes, once. Every device signed in to the account is signed out when you use it.`, 'If you did not ask, ignore this mail: your password stays as it is.'],
    }),
  );
}

/** Runs a mail job after the answer; a failure is logged (without the link), never thrown at anyone. */
export function inBackground(app: FastifyInstance, what: string, job: () => Promise<void>): void {
  setImmediate(() => {
    job().catch((err) => app.log.warn({ err: (err as Error).message }, `${what}: failed`));
  });
}
