// Mail out of the gateway, through nodemailer. With SMTP_URL, to that server; without it (the
// embedded default, so `npm start` works offline) each mail is written as an .eml file under the
// outbox directory and its link is printed in the log, which is how a developer follows it.
// Mail bodies are plain text and HTML, name the product, and carry no tracking (no pixels, no
// rewritten links). Tokens in links are never logged when a real SMTP server carries them.
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../lib/errors.ts';

export const PRODUCT_NAME = 'Queunir';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** the one link the mail is about: printed in the log in outbox mode only */
  link?: string;
}

export interface MailerOptions {
  smtpUrl?: string;
  from: string;
  outboxDir: string;
  log: FastifyBaseLogger;
}

export class Mailer {
  private readonly transport: Transporter;
  readonly mode: 'smtp' | 'outbox';

  constructor(private readonly options: MailerOptions) {
    this.mode = options.smtpUrl ? 'smtp' : 'outbox';
    this.transport = options.smtpUrl
      ? nodemailer.createTransport(options.smtpUrl, { from: options.from })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from: options.from });
  }

  /** Sends one mail; MAIL_FAILED when the server refuses it or cannot be reached. */
  async send(mail: OutgoingMail): Promise<void> {
    let info;
    try {
      info = await this.transport.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, subject: mail.subject }, 'mail not sent');
      throw new AppError('MAIL_FAILED', 'the mail could not be sent: try again in a minute', { cause: err });
    }
    if (this.mode === 'outbox') {
      await fs.mkdir(this.options.outboxDir, { recursive: true, mode: 0o700 });
      const file = path.join(this.options.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}.eml`);
      await fs.writeFile(file, (info as unknown as { message: Buffer }).message, { mode: 0o600 });
      this.options.log.info({ to: mail.to, subject: mail.subject, file, link: mail.link }, 'mail written to the outbox (no SMTP_URL)');
    } else {
      this.options.log.info({ subject: mail.subject, messageId: info.messageId }, 'mail sent');
    }
  }

  close(): void {
    this.transport.close();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface MailContent {
  subject: string;
  /** paragraphs before the button */
  intro: string[];
  action?: { label: string; url: string };
  /** paragraphs after it (expiry, "if this was not you") */
  outro?: string[];
}

/** One look for every mail: the same words as plain text and as simple HTML, the link shown in full. */
export function composeMail(to: string, content: MailContent): OutgoingMail {
  const lines = [...content.intro];
  if (content.action) lines.push(`${content.action.label}: ${content.action.url}`);
  lines.push(...(content.outro ?? []), `— ${PRODUCT_NAME}`);
  const text = lines.join('\n\n') + '\n';
  const p = (t: string) => `<p style="margin:0 0 16px">${escapeHtml(t)}</p>`;
  const button = content.action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(content.action.url)}" style="background:#0f766e;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">${escapeHtml(content.action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555">Or open this address: ${escapeHtml(content.action.url)}</p>`
    : '';
  const html =
    `<!doctype html><html><body style="font-family:'IBM Plex Sans',Arial,sans-serif;font-size:15px;color:#111;max-width:560px;margin:0 auto;padding:24px">` +
    `<p style="font-weight:700;font-size:18px;margin:0 0 24px">${PRODUCT_NAME}</p>` +
    content.intro.map(p).join('') +
    button +
    (content.outro ?? []).map(p).join('') +
    `</body></html>`;
  return { to, subject: `${content.subject} · ${PRODUCT_NAME}`, text, html, link: content.action?.url };
}
