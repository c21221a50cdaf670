// The audit log of the account (owners): who did what, when, newest first, a page at a time.
import { useInfiniteQuery } from '@tanstack/react-query';
import { listAudit, type AuditEntry } from '../api/account.ts';
import { keys } from '../api/keys.ts';
import { stampTime } from '../lib/dates.ts';
import { Page } from '../components/page.tsx';
import { Button, EmptyState, ErrorState, LoadingState } from '../components/ui.tsx';

/** "member.removed" → "Member removed". */
export function actionWords(action: string): string {
  const s = action.replace(/[._]/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function detailWords(details: AuditEntry['details']): string {
  if (!details) return '';
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ');
}

export function AuditScreen() {
  const audit = useInfiniteQuery({
    queryKey: keys.audit,
    queryFn: ({ pageParam, signal }) => listAudit(pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const rows = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Page title="Audit log">
      {audit.isPending ? (
        <LoadingState label="Loading the audit log…" />
      ) : audit.isError ? (
        <ErrorState title="Could not load the audit log" error={audit.error} onRetry={() => void audit.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState title="Nothing recorded yet" />
      ) : (
        <div className="overflow-x-auto rounded-xl border border-stone-200 bg-white">
          <table data-testid="audit-table" className="w-full text-left text-sm">
            <caption className="sr-only">Who did what, when</caption>
            <thead className="bg-stone-50 text-xs text-stone-500">
              <tr>
                <th scope="col" className="px-4 py-2 font-medium">When</th>
                <th scope="col" className="px-4 py-2 font-medium">Who</th>
                <th scope="col" className="px-4 py-2 font-medium">What</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-100">
              {rows.map((r) => (
                <tr key={r.id} data-testid="audit-row" data-action={r.action}>
                  <td className="px-4 py-2 whitespace-nowrap text-stone-600">
                    <time dateTime={r.at}>{stampTime(r.at)}</time>
                  </td>
                  <td className="px-4 py-2">{r.actor.kind === 'system' ? 'Queunir' : (r.actor.name ?? 'A former member')}</td>
                  <td className="px-4 py-2">
                    {actionWords(r.action)}
                    {detailWords(r.details) ? <span className="block text-xs text-stone-500">{detailWords(r.details)}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {audit.hasNextPage ? (
        <Button variant="secondary" data-testid="audit-more" disabled={audit.isFetchingNextPage} onClick={() => void audit.fetchNextPage()}>
          {audit.isFetchingNextPage ? 'Loading…' : 'Older entries'}
        </Button>
      ) : null}
    </Page>
  );
}
