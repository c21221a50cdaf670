// The one phone formatter: every place that shows a number shows it the same way (international,
// grouped as the country writes it). WhatsApp ids are digits with the country code and no "+".
import { AsYouType, parsePhoneNumberFromString } from 'libphonenumber-js/min';

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

/** A number being typed, grouped as it grows ("+55 11 9123"); the country code always comes first. */
export function formatTyping(raw: string): string {
  const digits = raw.replace(/\D/g, '').slice(0, 15);
  if (!digits) return raw.trim().startsWith('+') ? '+' : '';
  return new AsYouType().input(`+${digits}`);
}

/**
 * What the server accepts for a new chat: 8 to 15 digits, country code first (no leading 0). A
 * sentence when the typed text is not that, else null.
 */
export function phoneProblem(raw: string): string | null {
  const digits = raw.replace(/\D/g, '');
  if (/[^\d\s\-().+]/.test(raw)) return 'Use digits only, with the country code first, like +55 11 91234 5678.';
  if (digits.length === 0) return 'Enter the phone number, with the country code first.';
  if (digits.startsWith('0')) return 'Start with the country code (like 55 for Brazil), not with 0.';
  if (digits.length < 8) return 'This number is too short: enter it with the country code.';
  if (digits.length > 15) return 'This number is too long: a phone number has at most 15 digits.';
  return null;
}

/** The digits the API takes for a typed number. */
export function phoneDigits(raw: string): string {
  return raw.replace(/\D/g, '');
}
