// Billing: a placeholder the billing issue fills (Stripe Checkout and the Customer Portal).
import { Link } from 'react-router';
import { useMe } from '../session.ts';

export function BillingScreen() {
  const me = useMe();
  return (
    <div className="h-full overflow-y-auto bg-stone-50">
      <div className="mx-auto max-w-2xl space-y-4 px-4 py-6">
        <h1 className="text-lg font-semibold">Billing</h1>
        <div data-testid="billing" className="rounded-xl border border-stone-200 bg-white px-5 py-4 text-sm text-stone-600">
          <p>
            Your plan: <b className="text-stone-900">{me.data?.plan.status ?? '…'}</b>
          </p>
          <p className="mt-2">Subscriptions and invoices will be managed here.</p>
          <Link to="/settings" className="mt-3 inline-block font-medium text-brand-700 hover:underline">
            Back to settings
          </Link>
        </div>
      </div>
    </div>
  );
}
