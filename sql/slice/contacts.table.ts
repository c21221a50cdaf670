import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface ContactsTable {
  id: Generated<string>;
  /** WhatsApp's id for the person as the page shows it: phone-based jid, or the display name. */
  wa_id: string;
  /** WhatsApp's display name, kept current by the page. */
  name: string | null;
  /** The name a person saved in the CRM; shown instead of WhatsApp's everywhere. */
  saved_name: string | null;
  phone: string | null;
  email: string | null;
  company: string | null;
  custom_fields: ColumnType<Record<string, string>, string | undefined, string>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Contact = Selectable<ContactsTable>;
export type NewContact = Insertable<ContactsTable>;
export type ContactUpdate = Updateable<ContactsTable>;
