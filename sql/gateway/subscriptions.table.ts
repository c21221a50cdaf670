import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

type Time = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface SubscriptionsTable {
  account_id: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  status: ColumnType<string, string | undefined, string>;
  price_id: string | null;
  current_period_end: Time;
  cancel_at_period_end: ColumnType<boolean, boolean | undefined, boolean>;
  trial_end: Time;
  past_due_since: Time;
  canceled_at: Time;
  last_event_at: Time;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date | string>;
}
export type Subscription = Selectable<SubscriptionsTable>;
export type NewSubscription = Insertable<SubscriptionsTable>;
export type SubscriptionUpdate = Updateable<SubscriptionsTable>;
