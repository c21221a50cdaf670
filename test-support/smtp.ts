// A real SMTP server on loopback (smtp-server) that keeps every mail it receives, parsed with
// mailparser: tests read the mail a product sent and follow its link, as a person would.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** the links of the plain-text body, in order */
  links: string[];
}

export class SmtpInbox {
  readonly mails: ReceivedMail[] = [];
  private server: SMTPServer;
  private waiters: (() => void)[] = [];
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            const text = parsed.text ?? '';
            this.mails.push({
              from: parsed.from?.text ?? '',
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              links: [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]),
            });
            for (const w of this.waiters.splice(0)) w();
            callback();
          },
          (err) => callback(err as Error),
        );
      },
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The first mail to this address (after `after` mails in all) whose subject matches, waiting for it. */
  async waitFor(to: string, subject: RegExp, timeoutMs = 20_000, after = 0): Promise<ReceivedMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.mails.slice(after).find((m) => m.to.includes(to.toLowerCase()) && subject.test(m.subject));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no mail to ${to} matching ${subject} within ${timeoutMs} ms (got: ${this.mails.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
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
