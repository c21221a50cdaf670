// A real SMTP server on loopback (smtp-server) that keeps every mail it receives, parsed
// (mailparser), for the self-service tests to read and follow the links of. SMTP_URL points the
// gateway's nodemailer at it.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

export class MailCatcher {
  readonly mails: CaughtMail[] = [];
  private readonly waiters: (() => void)[] = [];
  private server: SMTPServer | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail: ParsedMail) => {
            const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
            this.mails.push({ to, from: mail.from?.text ?? '', subject: mail.subject ?? '', text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '' });
            for (const w of this.waiters.splice(0)) w();
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.server.address() as AddressInfo;
    this.url = `smtp://127.0.0.1:${port}`;
  }

  /** The next mail to this address matching the subject (waits for it; fails after ms). */
  async next(to: string, subject: RegExp, after = 0, ms = 15_000): Promise<CaughtMail> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.mails.slice(after).find((m) => m.to.toLowerCase().includes(to.toLowerCase()) && subject.test(m.subject));
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no mail to ${to} matching ${subject} within ${ms} ms (got: ${this.mails.map((m) => `${m.to}: ${m.subject}`).join('; ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  count(to: string): number {
    return this.mails.filter((m) => m.to.toLowerCase().includes(to.toLowerCase())).length;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The one link in a mail's text under this path, and its token. */
export function linkIn(mail: CaughtMail, pathname: string): { url: URL; token: string } {
  const match = mail.text.match(/https?:\/\/\S+/g)?.map((u) => new URL(u)).find((u) => u.pathname === pathname);
  if (!match) throw new Error(`no ${pathname} link in the mail: ${mail.text}`);
  return { url: match, token: match.searchParams.get('token') ?? '' };
}
