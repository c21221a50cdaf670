// The webhooks part of the Integrations page: endpoints (create, enable/disable, delete, send a
// test event) and each endpoint's delivery log (status, attempts, the answer, redeliver).
import { useState, type FormEvent } from 'react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  createWebhook,
  DELIVERIES_PAGE,
  deleteWebhook,
  EVENT_WORDS,
  listDeliveries,
  listWebhooks,
  redeliver,
  sendTestEvent,
  updateWebhook,
  WEBHOOK_EVENTS,
  type CreatedWebhook,
  type Delivery,
  type Webhook,
  type WebhookEvent,
} from '../api/integrations.ts';
import { keys } from '../api/keys.ts';
import { stampTime } from '../lib/dates.ts';
import { InputError } from '../lib/error-words.ts';
import { Chips, Section, Toggle } from '../components/page.tsx';
import { ShownOnce } from '../components/shown-once.tsx';
import { Button, ConfirmButton, cx, ErrorLine, ErrorState, LoadingState, TextField } from '../components/ui.tsx';

export function WebhooksSection() {
  const list = useQuery({ queryKey: keys.webhooks, queryFn: ({ signal }) => listWebhooks(signal) });
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  return (
    <Section title="Webhooks" testId="webhooks">
      <p className="text-sm text-stone-600">
        Queunir posts each event to your URL as JSON, signed with the endpoint’s secret (the <code className="text-xs">Queunir-Signature</code> header). Without a 2xx answer within 10 seconds it tries again, for 24 hours, in order per chat; an endpoint that fails for a whole day is turned off and the owners are told.
      </p>
      {created ? (
        <ShownOnce id="new-webhook-secret" testId="new-secret" title={`The signing secret of ${created.url}`} label={`The signing secret of ${created.url}`} value={created.secret} onDone={() => setCreated(null)}>
          Your receiving side checks each delivery’s signature with it.
        </ShownOnce>
      ) : null}
      <CreateWebhookForm onCreated={setCreated} />
      {list.isPending ? (
        <LoadingState label="Loading the webhooks…" />
      ) : list.isError ? (
        <ErrorState title="Could not load the webhooks" error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <p data-testid="no-webhooks" className="text-sm text-stone-500">
          No webhooks yet.
        </p>
      ) : (
        <ul aria-label="Webhook endpoints" className="divide-y divide-stone-100">
          {list.data.map((w) => (
            <WebhookRow key={w.id} hook={w} />
          ))}
        </ul>
      )}
    </Section>
  );
}

/** What the browser can tell before asking: an absolute http(s) URL. The server checks the address. */
function urlProblem(url: string): InputError | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : new InputError('Use a URL that starts with https:// (or http://).');
  } catch {
    return new InputError('Enter the whole URL, starting with https://.');
  }
}

function CreateWebhookForm({ onCreated }: { onCreated: (w: CreatedWebhook) => void }) {
  const qc = useQueryClient();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['message.received']);
  const [problem, setProblem] = useState<InputError | null>(null);
  const create = useMutation({
    // The secret goes to the caller's state and nowhere else (not the mutation's data either).
    mutationFn: async () => onCreated(await createWebhook({ url: url.trim(), events: WEBHOOK_EVENTS.filter((e) => events.includes(e)), ...(description.trim() ? { description: description.trim() } : {}) })),
    onSuccess: () => {
      setUrl('');
      setDescription('');
      void qc.invalidateQueries({ queryKey: keys.webhooks });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = urlProblem(url.trim());
    setProblem(p);
    if (!p && events.length > 0) create.mutate();
  };
  const toggle = (ev: WebhookEvent, on: boolean) => setEvents((cur) => (on ? [...cur.filter((x) => x !== ev), ev] : cur.filter((x) => x !== ev)));
  return (
    <form onSubmit={submit} noValidate aria-label="Add a webhook" className="space-y-3 rounded-lg border border-stone-200 p-3">
      <TextField id="webhook-url" data-testid="webhook-url" label="URL" type="url" inputMode="url" autoComplete="off" placeholder="https://" value={url} onChange={(e) => setUrl(e.target.value)} />
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-stone-700">Events</legend>
        <div className="grid gap-2 sm:grid-cols-2">
          {WEBHOOK_EVENTS.map((ev) => (
            <Toggle key={ev} testId={`event-${ev}`} checked={events.includes(ev)} onChange={(on) => toggle(ev, on)} hint={EVENT_WORDS[ev]}>
              <span className="font-mono">{ev}</span>
            </Toggle>
          ))}
        </div>
        {events.length === 0 ? <p className="text-xs text-stone-500">Choose at least one event.</p> : null}
      </fieldset>
      <TextField id="webhook-description" data-testid="webhook-description" label="Description (optional)" autoComplete="off" value={description} onChange={(e) => setDescription(e.target.value)} />
      <Button type="submit" data-testid="create-webhook" disabled={create.isPending || !url.trim() || events.length === 0}>
        {create.isPending ? 'Adding…' : 'Add webhook'}
      </Button>
      <ErrorLine error={problem ?? create.error} testId="webhook-create-error" />
    </form>
  );
}

/** Why an endpoint is off, in words; the reason is the server's short text, null when a member turned it off. */
export function disabledWords(reason: string | null): string {
  if (!reason) return 'Disabled.';
  if (/fail/i.test(reason)) return 'Disabled by Queunir: its deliveries failed for a day. Fix the receiving side, then enable it again.';
  if (/manual|member|user|admin|owner/i.test(reason)) return 'Disabled by a member of the team.';
  const s = reason.replace(/[_.]+/g, ' ').trim();
  return `Disabled: ${s.charAt(0).toLowerCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`;
}

function WebhookRow({ hook }: { hook: Webhook }) {
  const qc = useQueryClient();
  const [logOpen, setLogOpen] = useState(false);
  const changed = () => void qc.invalidateQueries({ queryKey: keys.webhooks });
  const enable = useMutation({ mutationFn: (enabled: boolean) => updateWebhook(hook.id, { enabled }), onSettled: changed });
  const remove = useMutation({ mutationFn: () => deleteWebhook(hook.id), onSuccess: changed });
  const test = useMutation({
    mutationFn: () => sendTestEvent(hook.id),
    onSuccess: () => {
      setLogOpen(true);
      void qc.invalidateQueries({ queryKey: keys.deliveries(hook.id) });
    },
  });
  const logId = `deliveries-${hook.id}`;
  return (
    <li data-testid="webhook-row" data-webhook-id={hook.id} data-enabled={hook.enabled ? 'true' : 'false'} className="space-y-2 py-3 text-sm">
      <div className="min-w-0">
        <div data-testid="webhook-url-text" className="font-medium break-all">
          {hook.url}
        </div>
        {hook.description ? <div className="text-xs text-stone-600">{hook.description}</div> : null}
      </div>
      <Chips items={hook.events} label={`Events sent to ${hook.url}`} />
      <p data-testid="webhook-state" className={cx('text-xs', hook.enabled ? (hook.failingSince ? 'text-amber-800' : 'text-stone-600') : 'text-red-700')}>
        {hook.enabled ? (hook.failingSince ? `Enabled, but its deliveries have failed since ${stampTime(hook.failingSince)}.` : 'Enabled.') : disabledWords(hook.disabledReason)}
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <Toggle testId="webhook-enabled" checked={hook.enabled} disabled={enable.isPending} onChange={(on) => enable.mutate(on)}>
          Enabled<span className="sr-only">: {hook.url}</span>
        </Toggle>
        <Button variant="secondary" data-testid="send-test-event" disabled={test.isPending} onClick={() => test.mutate()}>
          Send test event
        </Button>
        <Button variant="secondary" data-testid="toggle-deliveries" aria-expanded={logOpen} aria-controls={logOpen ? logId : undefined} onClick={() => setLogOpen((o) => !o)}>
          {logOpen ? 'Hide the delivery log' : 'Delivery log'}
        </Button>
        <ConfirmButton
          testId="delete-webhook"
          label={
            <>
              Delete<span className="sr-only"> {hook.url}</span>
            </>
          }
          confirmLabel="Delete it and its log"
          disabled={remove.isPending}
          onConfirm={() => remove.mutate()}
        />
      </div>
      {test.isSuccess ? (
        <p role="status" data-testid="test-event-sent" className="text-xs text-brand-700">
          Test event queued: it shows in the log below.
        </p>
      ) : null}
      <ErrorLine error={enable.error ?? test.error ?? remove.error} testId="webhook-error" className="text-xs" />
      {logOpen ? <DeliveryLog id={logId} webhookId={hook.id} /> : null}
    </li>
  );
}

const STATUS_STYLE: Record<Delivery['status'], string> = {
  delivered: 'bg-emerald-50 text-emerald-800',
  pending: 'bg-amber-50 text-amber-900',
  failed: 'bg-red-50 text-red-800',
};

export function statusWords(d: Pick<Delivery, 'status' | 'attempts'>): string {
  if (d.status === 'delivered') return 'Delivered';
  if (d.status === 'failed') return 'Failed';
  return d.attempts > 0 ? 'Retrying' : 'Queued';
}

function DeliveryLog({ id, webhookId }: { id: string; webhookId: string }) {
  const log = useInfiniteQuery({
    queryKey: keys.deliveries(webhookId),
    queryFn: ({ pageParam, signal }) => listDeliveries(webhookId, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => (last.length === DELIVERIES_PAGE ? last[last.length - 1]!.id : undefined),
    // Deliveries still under way change by themselves: look again while there are some.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.some((d) => d.status === 'pending')) ? 5_000 : false),
  });
  const rows = log.data?.pages.flat() ?? [];
  return (
    <div id={id} data-testid="delivery-log" className="space-y-2">
      {log.isPending ? (
        <LoadingState label="Loading the deliveries…" />
      ) : log.isError ? (
        <ErrorState title="Could not load the deliveries" error={log.error} onRetry={() => void log.refetch()} />
      ) : rows.length === 0 ? (
        <p data-testid="no-deliveries" className="text-xs text-stone-500">
          Nothing sent yet. “Send test event” sends one now.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-stone-200">
          <table className="w-full min-w-[36rem] text-left text-xs">
            <caption className="sr-only">Deliveries to this endpoint, newest first</caption>
            <thead className="bg-stone-50 text-stone-600">
              <tr>
                <th scope="col" className="px-2 py-1.5 font-medium">Event</th>
                <th scope="col" className="px-2 py-1.5 font-medium">Status</th>
                <th scope="col" className="px-2 py-1.5 font-medium">Answer</th>
                <th scope="col" className="px-2 py-1.5 font-medium">Next attempt</th>
                <th scope="col" className="px-2 py-1.5 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-100">
              {rows.map((d) => (
                <DeliveryRow key={d.id} webhookId={webhookId} delivery={d} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {log.hasNextPage ? (
        <Button variant="secondary" data-testid="deliveries-more" disabled={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
          {log.isFetchingNextPage ? 'Loading…' : 'Older deliveries'}
        </Button>
      ) : null}
    </div>
  );
}

function DeliveryRow({ webhookId, delivery: d }: { webhookId: string; delivery: Delivery }) {
  const qc = useQueryClient();
  const again = useMutation({ mutationFn: () => redeliver(webhookId, d.id), onSuccess: () => void qc.invalidateQueries({ queryKey: keys.deliveries(webhookId) }) });
  return (
    <tr data-testid="delivery-row" data-delivery-id={d.id} data-status={d.status} className="align-top">
      <td className="px-2 py-1.5">
        <span className="block font-mono">{d.type}</span>
        <time dateTime={d.createdAt} className="text-stone-600">
          {stampTime(d.createdAt)}
        </time>
      </td>
      <td className="px-2 py-1.5 whitespace-nowrap">
        <span data-testid="delivery-status" className={cx('rounded-full px-2 py-0.5 font-medium', STATUS_STYLE[d.status])}>
          {statusWords(d)}
        </span>
        <span className="block text-stone-600">{d.attempts === 1 ? '1 attempt' : `${d.attempts} attempts`}</span>
      </td>
      <td className="max-w-72 px-2 py-1.5">
        {d.responseStatus !== null ? (
          <span data-testid="delivery-response" className="block">
            HTTP {d.responseStatus}
            {d.responseMs !== null ? ` in ${d.responseMs} ms` : ''}
          </span>
        ) : d.responseMs !== null ? (
          <span className="block">No answer after {d.responseMs} ms</span>
        ) : null}
        {d.responseBody ? (
          <code data-testid="delivery-body" title={d.responseBody} className="line-clamp-4 font-mono break-all text-stone-700">
            {d.responseBody}
          </code>
        ) : null}
        {d.error ? (
          <span data-testid="delivery-error" className="block break-all text-red-700">
            {d.error}
          </span>
        ) : null}
        {d.responseStatus === null && d.responseMs === null && !d.responseBody && !d.error ? <span className="text-stone-500">Not tried yet</span> : null}
      </td>
      <td className="px-2 py-1.5 whitespace-nowrap text-stone-600">{d.status === 'pending' && d.nextAttemptAt ? <time dateTime={d.nextAttemptAt}>{stampTime(d.nextAttemptAt)}</time> : '—'}</td>
      <td className="px-2 py-1.5">
        <Button variant="ghost" data-testid="redeliver" aria-label={`Redeliver ${d.type} of ${stampTime(d.createdAt)}`} disabled={again.isPending} onClick={() => again.mutate()}>
          Redeliver
        </Button>
        <ErrorLine error={again.error} testId="redeliver-error" className="text-xs" />
      </td>
    </tr>
  );
}
