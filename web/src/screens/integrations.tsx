// The Integrations page (owners and admins): API keys for other tools to call Queunir, and
// webhooks for Queunir to call them. The whole key and a webhook's secret come in one answer only
// (the creation) and stay in this page's state, so a reload forgets them.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { API_SCOPES, createApiKey, listApiKeys, revokeApiKey, SCOPE_WORDS, type ApiKey, type ApiScope, type CreatedApiKey } from '../api/integrations.ts';
import { keys } from '../api/keys.ts';
import { stampTime } from '../lib/dates.ts';
import { hasRole } from '../lib/roles.ts';
import { useMember } from '../session.ts';
import { formatDay } from './billing.tsx';
import { WebhooksSection } from './webhooks.tsx';
import { Chips, Page, Section, Toggle } from '../components/page.tsx';
import { ShownOnce } from '../components/shown-once.tsx';
import { Button, ConfirmButton, EmptyState, ErrorLine, ErrorState, LoadingState, TextField } from '../components/ui.tsx';

export function IntegrationsScreen() {
  const { role, me } = useMember();
  if (me.isPending) return <LoadingState />;
  if (!hasRole(role, 'admin')) {
    return (
      <Page title="Integrations">
        <EmptyState testId="integrations-not-allowed" title="Only owners and admins manage integrations.">
          Ask one of them for an API key or a webhook.
        </EmptyState>
      </Page>
    );
  }
  return (
    <Page title="Integrations">
      <p className="text-sm text-stone-600">
        Your other tools call Queunir with an API key, and Queunir calls them with a webhook when something happens. The{' '}
        <a href="/api/docs" className="font-medium text-brand-700 underline">
          API reference
        </a>{' '}
        lists every route and the scope it needs.
      </p>
      <ApiKeysSection />
      <WebhooksSection />
    </Page>
  );
}

function ApiKeysSection() {
  const list = useQuery({ queryKey: keys.apiKeys, queryFn: ({ signal }) => listApiKeys(signal) });
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  return (
    <Section title="API keys" testId="api-keys">
      <p className="text-sm text-stone-600">
        A key works like a member of the team with the admin role, limited to its scopes. Send it as <code className="text-xs">Authorization: Bearer qk_…</code>.
      </p>
      {created ? (
        <ShownOnce id="new-api-key" testId="new-key" title={`Your new key “${created.name}”`} label={`The API key ${created.name}`} value={created.key} onDone={() => setCreated(null)}>
          Queunir keeps only a fingerprint of it; if it is lost, revoke it and create another.
        </ShownOnce>
      ) : null}
      <CreateKeyForm onCreated={setCreated} />
      {list.isPending ? (
        <LoadingState label="Loading the API keys…" />
      ) : list.isError ? (
        <ErrorState title="Could not load the API keys" error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.length === 0 ? (
        <p data-testid="no-api-keys" className="text-sm text-stone-500">
          No API keys yet.
        </p>
      ) : (
        <ul aria-label="API keys" className="divide-y divide-stone-100">
          {list.data.map((k) => (
            <KeyRow key={k.id} apiKey={k} />
          ))}
        </ul>
      )}
    </Section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (k: CreatedApiKey) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['read']);
  const create = useMutation({
    // The key goes to the caller's state and nowhere else (not the mutation's data either).
    mutationFn: async () => onCreated(await createApiKey(name.trim(), API_SCOPES.filter((s) => scopes.includes(s)))),
    onSuccess: () => {
      setName('');
      void qc.invalidateQueries({ queryKey: keys.apiKeys });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && scopes.length > 0) create.mutate();
  };
  const toggle = (s: ApiScope, on: boolean) => setScopes((cur) => (on ? [...cur.filter((x) => x !== s), s] : cur.filter((x) => x !== s)));
  return (
    <form onSubmit={submit} aria-label="Create an API key" className="space-y-3 rounded-lg border border-stone-200 p-3">
      <TextField id="api-key-name" data-testid="api-key-name" label="Name" hint={<span className="text-stone-500">Where it is used, for example “Order system”.</span>} maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-stone-700">Scopes</legend>
        {API_SCOPES.map((s) => (
          <Toggle key={s} testId={`scope-${s}`} checked={scopes.includes(s)} onChange={(on) => toggle(s, on)} hint={SCOPE_WORDS[s]}>
            <span className="font-mono">{s}</span>
          </Toggle>
        ))}
        {scopes.length === 0 ? <p className="text-xs text-stone-500">Choose at least one scope.</p> : null}
      </fieldset>
      <Button type="submit" data-testid="create-api-key" disabled={create.isPending || !name.trim() || scopes.length === 0}>
        {create.isPending ? 'Creating…' : 'Create key'}
      </Button>
      <ErrorLine error={create.error} testId="api-key-error" />
    </form>
  );
}

function KeyRow({ apiKey: k }: { apiKey: ApiKey }) {
  const qc = useQueryClient();
  const revoke = useMutation({ mutationFn: () => revokeApiKey(k.id), onSettled: () => void qc.invalidateQueries({ queryKey: keys.apiKeys }) });
  return (
    <li data-testid="api-key-row" data-key-id={k.id} data-revoked={k.revokedAt ? 'true' : undefined} className="space-y-1 py-3 text-sm">
      <div className="flex flex-wrap items-start gap-x-3 gap-y-2">
        <div className={k.revokedAt ? 'min-w-0 flex-1 text-stone-500' : 'min-w-0 flex-1'}>
          <div className="break-words">
            <span className="font-medium">{k.name}</span> <code data-testid="api-key-prefix" className="text-xs text-stone-600">{k.prefix}…</code>
          </div>
          <Chips items={k.scopes} label={`Scopes of ${k.name}`} />
          <div className="text-xs text-stone-600">
            Created {k.createdBy ? `by ${k.createdBy.name} ` : ''}on {formatDay(k.createdAt)}
          </div>
          <div data-testid="api-key-last-used" className="text-xs text-stone-600">
            {k.lastUsedAt ? `Last used ${stampTime(k.lastUsedAt)}${k.lastUsedAddress ? ` from ${k.lastUsedAddress}` : ''}` : 'Never used'}
          </div>
        </div>
        {k.revokedAt ? (
          <span data-testid="api-key-revoked" className="rounded-full bg-stone-100 px-2 py-0.5 text-xs text-stone-700">
            Revoked {stampTime(k.revokedAt)}
          </span>
        ) : (
          <ConfirmButton
            testId="revoke-api-key"
            label={
              <>
                Revoke<span className="sr-only"> {k.name}</span>
              </>
            }
            confirmLabel={
              <>
                Revoke now<span className="sr-only"> {k.name}</span>: it stops working at once
              </>
            }
            disabled={revoke.isPending}
            onConfirm={() => revoke.mutate()}
          />
        )}
      </div>
      <ErrorLine error={revoke.error} testId="api-key-row-error" className="text-xs" />
    </li>
  );
}
