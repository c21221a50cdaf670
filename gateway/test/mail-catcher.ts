// A real SMTP server on loopback (smtp-server) that keeps every mail it receives, parsed
// (mailparser), so tests read what the gateway sent and follow its links.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export class MailCatcher {
  readonly mails: ParsedMail[] = [];
  private readonly server: SMTPServer;
  private waiters: (() => void)[] = [];

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          (mail) => {
            this.mails.push(mail);
            for (const w of this.waiters.splice(0)) w();
            callback();
          },
          (err) => callback(err as Error),
        );
      },
    });
  }

  /** smtp://127.0.0.1:port, for SMTP_URL */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  /**
   * The first mail to this address (beyond `skip` earlier ones), waiting up to `ms`; with `about`,
   * only mails linking to that path count (a sign-up's verification mail is not an invitation).
   */
  async mailTo(address: string, ms = 10_000, skip = 0, about?: string): Promise<ParsedMail> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.mails.filter(
        (m) => (m.to && !Array.isArray(m.to) ? m.to.value : []).some((v) => v.address?.toLowerCase() === address.toLowerCase()) && (about === undefined || linkOf(m, about) !== undefined),
      )[skip];
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no mail to ${address} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The one link of an invitation or reset mail, from its plain-text body. */
function linkOf(mail: ParsedMail, pathname: string): URL | undefined {
  return (mail.text ?? '').match(/https?:\/\/\S+/g)?.map((u) => new URL(u)).find((u) => u.pathname === pathname);
}

export function linkIn(mail: ParsedMail, pathname: string): URL {
  const found = linkOf(mail, pathname);
  if (!found) throw new Error(`no ${pathname} link in the mail: ${mail.text}`);
  return found;
}
