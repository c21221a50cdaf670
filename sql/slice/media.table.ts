import type { ColumnType, Generated, Selectable } from 'kysely';

export type MediaRowState = 'pending' | 'stored' | 'failed' | 'too_large';

/** A message's file, location or contact card: one row per message. */
export interface MediaTable {
  id: Generated<string>;
  message_id: string;
  kind: string;
  mime_type: string | null;
  size: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  file_name: string | null;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  /** The whole file's sha256 (its name in the store), once stored. */
  sha256: string | null;
  /** The thumbnail the page showed before WhatsApp had the file. */
  thumb_sha256: string | null;
  state: ColumnType<MediaRowState, MediaRowState | undefined, MediaRowState>;
  error_code: string | null;
  error_message: string | null;
  details: ColumnType<unknown | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type MediaRow = Selectable<MediaTable>;

/** One row per file on disk: the quota is the sum of their sizes. */
export interface MediaBlobsTable {
  sha256: string;
  size: ColumnType<string, number | string, number | string>;
  created_at: ColumnType<Date, never, never>;
}
