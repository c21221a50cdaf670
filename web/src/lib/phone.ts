// The one phone formatter: every place that shows a number shows it the same way (international,
// grouped as the country writes it). WhatsApp ids are digits with the country code and no "+".
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

const PHONE_LIKE = /^\+?[\d\s\-().]{7,20}$/;

export function formatPhone(raw: string | null | undefined): string {
  if (!raw) return '';
  const text = raw.trim();
  if (!PHONE_LIKE.test(text)) return text;
  const digits = text.replace(/[^\d]/g, '');
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  return parsed && parsed.isPossible() ? parsed.formatInternational() : text;
}

/** A chat's name, which WhatsApp sets to the bare number for someone not in the phone's contacts. */
export function displayName(name: string): string {
  return PHONE_LIKE.test(name.trim()) ? formatPhone(name) : name;
}

/**
 * WhatsApp's own name for a chat whose shown name is a saved one ("~Ana S." under "Ana (florist)"),
 * or '' when there is nothing else to show. WhatsApp marks a name that is not in the phone's
 * contacts with a tilde; the CRM does the same for the name WhatsApp gave.
 */
export function otherName(chat: { name: string; waName?: string | null | undefined }): string {
  const wa = chat.waName?.trim();
  if (!wa || wa === chat.name.trim()) return '';
  return `~${displayName(wa)}`;
}
