// Whom a send goes to when the client names a number or a WhatsApp id instead of a chat
// (POST /api/messages, POST /api/chats): the stored chat, or one started from "New chat" in
// WhatsApp Web, as a person starts a chat with a number there, and stored at once.
import type { FastifyInstance } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { AppError } from '../../lib/errors.ts';
import { findChatByPhone, upsertChats } from '../store/chats.ts';
import { upsertContacts } from '../store/contacts.ts';

/** A recipient as parsed: the chat's WhatsApp id, and the number (E.164) a chat can be started with (null: none, a group's id or one that is no valid number). */
export interface Recipient {
  waId: string;
  e164: string | null;
}

const JID = /^([0-9]{5,20})@(c\.us|s\.whatsapp\.net)$|^[0-9]{5,20}(-[0-9]{5,20})?@g\.us$/;

/**
 * `to` as a client writes it: a number in international form however formatted ("+55 11
 * 91234-5678", "5511912345678", "00 55 11 …", with dots, dashes or parentheses), or a jid
 * ("5511912345678@c.us", "…@s.whatsapp.net", a group's "…@g.us"). `field` names it in errors.
 */
export function parseRecipient(to: string, field: string): Recipient {
  const text = to.trim();
  if (text.includes('@')) {
    const m = JID.exec(text);
    if (!m) throw new AppError('INVALID_ARGUMENT', `${field} ${JSON.stringify(to)} is not a WhatsApp id (digits@c.us, digits@s.whatsapp.net or a group's …@g.us)`);
    if (!m[1]) return { e164: null, waId: text };
    // An id names a stored chat whatever its digits; only a valid number may start one.
    const number = parsePhoneNumberFromString(`+${m[1]}`);
    return { e164: number?.isValid() ? number.number : null, waId: `${m[1]}@c.us` };
  }
  if (!/^[+0-9][0-9 ().\-/]*$/.test(text)) throw new AppError('INVALID_ARGUMENT', `${field} ${JSON.stringify(to)} is not a phone number or a WhatsApp id`);
  // No national formats: a slice has no country to read them in, so the country code comes first.
  const international = text.startsWith('+') ? text : `+${text.replace(/^00/, '')}`;
  const number = parsePhoneNumberFromString(international);
  if (!number?.isValid()) throw new AppError('INVALID_ARGUMENT', `${field} ${JSON.stringify(to)} is not a valid phone number (country code first, e.g. +5511912345678)`);
  return { e164: number.number, waId: `${number.number.slice(1)}@c.us` };
}

/** The stored chat's id of a recipient (by its WhatsApp id, else by its number), or null. */
export async function storedChatOf(app: FastifyInstance, to: Recipient): Promise<string | null> {
  const db = app.store.db;
  const byId = await db.selectFrom('chats').select('id').where('wa_id', '=', to.waId).executeTakeFirst();
  if (byId) return String(byId.id);
  if (to.e164 === null) return null;
  const byPhone = await findChatByPhone(db, to.e164.slice(1));
  return byPhone ? String(byPhone.id) : null;
}

/** Starts the chat with `e164` in WhatsApp Web ("New chat"; WA_NUMBER_NOT_FOUND when WhatsApp knows no such account) and stores it. */
export async function startChat(app: FastifyInstance, e164: string): Promise<{ id: string; wa_id: string }> {
  const opened = await app.session.openChatByPhone(e164);
  return app.store.change(async (trx) => {
    const contacts = opened.isGroup ? { ids: new Map<string, string>(), changed: [] } : await upsertContacts(trx, [{ waId: opened.waId, name: null, phone: opened.phone }]);
    const up = await upsertChats(trx, [opened], contacts.ids);
    const row = await trx.selectFrom('chats').select('id').where('wa_id', '=', opened.waId).executeTakeFirstOrThrow();
    return { result: { id: String(row.id), wa_id: opened.waId }, chatIds: up.changed, contactIds: contacts.changed };
  });
}
