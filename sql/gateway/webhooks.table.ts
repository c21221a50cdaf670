import type { ColumnType, Generated, Selectable } from 'kysely';

export interface WebhookEndpointsTable {
  id: Generated<string>;
  account_id: string;
  url: string;
  events: string[];
  description: string | null;
  /** the signing secret (whsec_…): shown once on create, kept to sign, never logged */
  secret: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  disabled_reason: string | null;
  /** since when every attempt failed (null: the last attempt succeeded) */
  failing_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: ColumnType<Date, never, never>;
  created_by_member_id: string | null;
}
export type WebhookEndpoint = Selectable<WebhookEndpointsTable>;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  endpoint_id: string;
  /** the body's `id`: the same across retries and redeliveries */
  event_id: string;
  type: string;
  /** deliveries of one endpoint and key go out one at a time, oldest first (a chat id, or 'account') */
  order_key: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  created_at: ColumnType<Date, never, never>;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  /** when the retry window (24 h) started; reset by a redelivery */
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
  response_status: number | null;
  response_ms: number | null;
  /** the first 512 bytes of the answer */
  response_body: string | null;
  error: string | null;
}
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;

export interface WebhookCursorsTable {
  account_id: string;
  /** the last slice event id turned into deliveries */
  last_event_id: string;
  updated_at: ColumnType<Date, never, Date>;
}
