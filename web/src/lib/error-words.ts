// The one place where an error becomes words for a person: a capitalised sentence, never a schema
// path, a route or a state name, and, where there is something to do about it, the action as a link.
// Codes first (lib/errors.ts on the server), then the kind, then a plain fallback.
import { ApiError } from '../api/http.ts';

export interface ErrorAction {
  label: string;
  to: string;
}

export interface ErrorWords {
  text: string;
  action?: ErrorAction;
}

const LINK_WHATSAPP: ErrorAction = { label: 'Link WhatsApp', to: '/link' };
const LOG_IN: ErrorAction = { label: 'Log in', to: '/login' };
const BILLING: ErrorAction = { label: 'Choose a plan', to: '/billing' };

const BY_CODE: Record<string, ErrorWords> = {
  NETWORK: { text: 'Cannot reach Queunir. Check your internet connection and try again.' },
  EMAIL_TAKEN: { text: 'This email already has an account.', action: LOG_IN },
  BAD_CREDENTIALS: { text: 'The email or the password is wrong.' },
  UNAUTHENTICATED: { text: 'You are logged out.', action: LOG_IN },
  CSRF_REJECTED: { text: 'This page is out of date (you may have logged in again in another tab). Reload the page and try again.' },
  PLAN_REQUIRED: { text: 'Your plan does not include a WhatsApp session.', action: BILLING },
  SLICE_NOT_CONNECTED: { text: 'WhatsApp is not connected, so this could not be done.', action: LINK_WHATSAPP },
  WA_NOT_READY: { text: 'WhatsApp is not linked yet, so this cannot be done now.', action: LINK_WHATSAPP },
  CONTACT_HAS_NO_CHAT: { text: 'This contact has no chat yet, so it cannot go in the pipeline.' },
  NO_BILLING_ACCOUNT: { text: 'You have no billing account yet. Choose a plan first.', action: BILLING },
  SUBSCRIPTION_EXISTS: { text: 'You already have a subscription. Change or cancel it in Manage billing.', action: BILLING },
  WA_ALREADY_LINKED: { text: 'WhatsApp is already linked: there is no QR code to reload.' },
  WA_QR_NOT_SHOWN: { text: 'There is no QR code on screen right now. Wait for it, then try again.' },
  WA_NUMBER_NOT_FOUND: { text: 'This number is not on WhatsApp.' },
  WA_ACTION_NOT_CONFIRMED: { text: 'WhatsApp did not confirm this change, so nothing was changed. Try again in a moment.' },
  WA_CHAT_NOT_CONFIRMED: { text: 'WhatsApp did not open this chat, so nothing was sent. Try again.' },
  SLICE_UNAVAILABLE: { text: 'Your WhatsApp workspace is not answering right now. It restarts by itself; try again in a moment.' },
  SUPERVISOR_UNAVAILABLE: { text: 'Queunir is restarting part of itself. Try again in a moment.' },
  DB_UNREACHABLE: { text: 'Queunir cannot reach its database right now. Try again in a moment.' },
  TOO_MANY_STREAMS: { text: 'Queunir is open in too many tabs. Close a few and reload this one.' },
  STRIPE_UNAVAILABLE: { text: 'The payment service is not answering. Try again in a minute.' },
  BILLING_DISABLED: { text: 'Billing is not enabled on this server: your account is active without a plan.' },
  PAYMENT_REQUIRED: { text: 'This needs a paid plan.', action: BILLING },
  NOT_FOUND: { text: 'This is no longer here. It may have been deleted.' },
  ALREADY_EXISTS: { text: 'One with this name already exists. Choose another name.' },
  CONFLICT: { text: 'This was changed somewhere else at the same moment. Try again.' },
  FAILED_PRECONDITION: { text: 'This cannot be done right now. Try again in a moment.' },
  PERMISSION_DENIED: { text: 'Your account is not allowed to do this.' },
  RESOURCE_EXHAUSTED: { text: 'Queunir has no room for this right now. Try again later.' },
  INTERNAL: { text: 'Something went wrong on our side. Try again; if it keeps happening, tell us.' },
  UNAVAILABLE: { text: 'Queunir is busy or restarting. Try again in a moment.' },
  MEDIA_TOO_LARGE: { text: 'That file is too big: photos and videos up to 16 MB, documents up to 100 MB.' },
  MEDIA_QUOTA_EXCEEDED: { text: 'Your media storage is full, so this file was not sent. Old media must go before new can come.' },
  MEDIA_TYPE_REFUSED: { text: "This kind of file can't be sent." },
  MEDIA_NOT_STORED: { text: 'Only the preview of this file is here: WhatsApp has not downloaded it yet.' },
  MEDIA_DOWNLOAD_FAILED: { text: 'This file could not be downloaded from WhatsApp. Open it on the phone.' },
  ROLE_REQUIRED: { text: 'Your role in this account does not allow this. Ask an owner or an admin.' },
  MEMBER_NOT_FOUND: { text: 'This person is no longer in the team.' },
  CHAT_NOT_VISIBLE: { text: 'This chat is assigned to someone else, so it is not shown to you.' },
  ACTING_MEMBER_INVALID: { text: 'Your workspace did not recognise you. Reload the page and try again.' },
  INVITATION_INVALID: { text: 'This invitation link is not valid any more: it was used, revoked or has expired. Ask for a new one.' },
  INVITATION_EMAIL_MEMBER: { text: 'This person is already in the team.' },
  LAST_OWNER: { text: 'The account needs at least one owner. Make someone else an owner first, or delete the account.' },
  EMAIL_NOT_VERIFIED: { text: 'Confirm your email address first: open the link we sent you.' },
  TOKEN_INVALID: { text: 'This link is not valid any more: it was used or has expired. Ask for a new one.' },
  WRONG_PASSWORD: { text: 'That password is not right.' },
  TOTP_REQUIRED: { text: 'Enter the code from your authenticator app.' },
  TOTP_INVALID: { text: 'That code is not right. Codes change every 30 seconds: try the current one.' },
  ACCOUNT_DELETING: { text: 'This account is being deleted.' },
  MAIL_FAILED: { text: 'The email could not be sent right now. Try again in a minute.' },
  WA_MESSAGE_NOT_SHOWN: { text: 'WhatsApp did not show this message as sent. Check the phone before trying again.' },
  API_KEY_NOT_FOUND: { text: 'This API key is no longer here: someone may have deleted it. Reload the page.' },
  API_KEY_INVALID: { text: 'This API key is not valid: it is mistyped or was revoked.' },
  SESSION_REQUIRED: { text: 'This can only be done signed in to Queunir, not with an API key.' },
  WEBHOOK_NOT_FOUND: { text: 'This webhook is no longer here: someone may have deleted it. Reload the page.' },
  DELIVERY_NOT_FOUND: { text: 'This delivery is no longer in the log. Reload the page.' },
};

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/;
const IPV6 = /(?:^|[\s(\[])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})(?=$|[\s)\],;]|\.(?:\s|$))/i;

/** A webhook URL the gateway will not call, in words: the address it refused when it names one. */
function refusedUrlWords(message: string): ErrorWords {
  const address = IPV4.exec(message)?.[0] ?? IPV6.exec(message)?.[1];
  if (address) {
    const kind = /,\s+(an?\s+[\w -]+?)\s+address/i.exec(message)?.[1] ?? 'a private, local or reserved';
    return { text: `Queunir does not send webhooks to ${address}: it is ${kind} address. Use a public URL, or ask your Queunir operator to allow this address.` };
  }
  if (/credential|password|user ?name|userinfo/i.test(message)) return { text: 'Take the user name and password out of the URL: the signature on every delivery proves it comes from Queunir.' };
  if (/not a valid|absolute/i.test(message)) return { text: 'Enter the whole URL, starting with https://.' };
  if (/http: or https:|scheme|protocol/i.test(message)) return { text: 'Use a URL that starts with https:// (or http://).' };
  if (/resolv|ENOTFOUND|EAI_AGAIN|dns/i.test(message)) return { text: 'The host name of this URL was not found. Check the URL.' };
  return { text: 'Queunir cannot send webhooks to this URL. Use a public https:// address.' };
}

/** An API key without the scope a route needs: the gateway's message names the scope ("… the send scope (this key has read)"). */
function scopeWords(message: string): ErrorWords {
  const scope = /\b(read|send|manage)\W+scope\b/i.exec(message)?.[1] ?? /\bscope\W+(read|send|manage)\b/i.exec(message)?.[1];
  return scope
    ? { text: `This API key does not have the “${scope.toLowerCase()}” scope this needs. Create a key that has it: a key’s scopes cannot be changed.` }
    : { text: 'This API key’s scopes do not allow this. Create a key with the scope it needs.' };
}

/** Why a received file is not here, in words: its state and the server's reason code. */
export function mediaStateWords(state: string, error: { code: string; message: string } | null | undefined): string {
  const code = error?.code?.toUpperCase();
  if (code === 'MEDIA_QUOTA_EXCEEDED') return 'Not downloaded: your media storage is full.';
  if (state === 'too_large' || code === 'MEDIA_TOO_LARGE') return 'Not downloaded: this file is larger than your workspace accepts.';
  if (code && BY_CODE[code]) return BY_CODE[code]!.text;
  return 'This file could not be downloaded. Open it on the phone.';
}

/** The kind's sentence, for codes this page does not know yet (the server only adds codes). */
const BY_KIND: Record<string, string> = {
  NotFound: 'NOT_FOUND',
  AlreadyExists: 'ALREADY_EXISTS',
  Conflict: 'CONFLICT',
  FailedPrecondition: 'FAILED_PRECONDITION',
  PermissionDenied: 'PERMISSION_DENIED',
  Unauthenticated: 'UNAUTHENTICATED',
  PaymentRequired: 'PAYMENT_REQUIRED',
  ResourceExhausted: 'RESOURCE_EXHAUSTED',
  Unavailable: 'UNAVAILABLE',
  Internal: 'INTERNAL',
};

/** What each field is called in a sentence. */
const FIELD_NAMES: Record<string, string> = {
  email: 'email address',
  password: 'password',
  phoneNumber: 'phone number',
  phone: 'phone number',
  name: 'name',
  body: 'message',
  color: 'colour',
  company: 'company',
  q: 'search',
  url: 'URL',
  events: 'event types',
  scopes: 'scopes',
};

/** The field a schema error names: "invalid body: body/password must …", "body/email expected …". */
export function fieldOf(message: string): string | null {
  const m = /(?:^|[\s:])(?:body|querystring|params|headers)\/([A-Za-z_][\w]*)/.exec(message);
  if (m) return m[1]!;
  const req = /required property '([^']+)'/.exec(message);
  return req ? req[1]! : null;
}

/** A schema failure ("body/password must NOT have fewer than 10 characters") in words. */
function invalidWords(message: string): ErrorWords {
  const field = fieldOf(message);
  const name = field ? (FIELD_NAMES[field] ?? field.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()) : null;
  const min = /fewer than (\d+) characters|at least (\d+) characters|length >= (\d+)/i.exec(message);
  if (field === 'email') return { text: 'Enter a valid email address, like name@company.com.' };
  if (field === 'phoneNumber' || field === 'phone') return { text: 'Enter the full phone number with the country code, digits only, like 4915123456789.' };
  if (name && min) return { text: `Use at least ${min[1] ?? min[2] ?? min[3]} characters for the ${name}.` };
  const max = /more than (\d+) characters|length <= (\d+)/i.exec(message);
  if (name && max) return { text: `The ${name} is too long: use at most ${max[1] ?? max[2]} characters.` };
  if (name && /required/i.test(message)) return { text: `Enter the ${name}.` };
  if (/cursor/i.test(message)) return { text: 'This list changed while it was loading. Reload the page.' };
  if (name) return { text: `Check the ${name}: it is not valid.` };
  return { text: 'Something in this form is not valid. Check it and try again.' };
}

/** "try again in 42 s" → the wait in seconds, when the server says it. */
function waitOf(message: string): number | null {
  const m = /in (\d+) ?s\b/.exec(message);
  return m ? Number(m[1]) : null;
}

/** A mistake in what the person typed, found before asking the server: its message is the sentence. */
export class InputError extends Error {}

/** A link opened without its token (cut short when copied). */
export const NO_TOKEN = new InputError('This link is incomplete. Open it again from the email, or copy all of it.');

export function errorWords(err: unknown): ErrorWords {
  if (err instanceof InputError) return { text: err.message };
  if (!(err instanceof ApiError)) return { text: 'Something went wrong. Try again.' };
  const code = err.code.toUpperCase();
  if (code === 'RATE_LIMITED') {
    const wait = err.retryAfter ?? waitOf(err.message);
    return { text: wait ? `Too many attempts. Try again in ${wait} ${wait === 1 ? 'second' : 'seconds'}.` : 'Too many attempts. Wait a minute and try again.' };
  }
  if (code === 'WEBHOOK_URL_REFUSED') return refusedUrlWords(err.message);
  if (code === 'SCOPE_REQUIRED') return scopeWords(err.message);
  if (code === 'INVALID_ARGUMENT' || code === 'CONFIG_INVALID' || (!BY_CODE[code] && err.kind === 'InvalidArgument')) return invalidWords(err.message);
  const known = BY_CODE[code] ?? BY_CODE[BY_KIND[err.kind] ?? ''];
  if (known) return known;
  if (err.status >= 500) return BY_CODE.INTERNAL!;
  return { text: 'Something went wrong. Try again.' };
}
