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
