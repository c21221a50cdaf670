// Settings: the account, the WhatsApp session (state, log out), notifications (sound; desktop
// notifications asked for from a button, never on load), labels, and billing.
import { useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { SAAS } from '../env.ts';
import { logout } from '../api/auth.ts';
import { setSliceToken } from '../api/http.ts';
import { keys } from '../api/keys.ts';
import { createLabel, deleteLabel, listLabels, updateLabel } from '../api/labels.ts';
import type { Label } from '../api/types.ts';
import { logoutWa } from '../api/wa.ts';
import { describeWaState } from '../lib/wa-state.ts';
import { stampTime } from '../lib/dates.ts';
import { useMe, useNotLinked, useWaStatus } from '../session.ts';
import { PrepareWorkspace } from '../components/prepare-workspace.tsx';
import { Button, ConfirmButton, ErrorLine, ErrorState, LoadingState, NotLinkedState } from '../components/ui.tsx';
import { EditableField } from '../components/editable-field.tsx';
import { Row, Section } from '../components/page.tsx';
import { describePlan } from './billing.tsx';
import { planOf } from '../api/billing.ts';
import { askNotificationPermission, notificationsSupported, readPrefs, writePrefs, type AlertPrefs } from '../events/alerts.ts';

/** A role in words ("Role: user" says nothing to a person). */
export function roleWords(role: string): string {
  if (role === 'user' || role === 'owner') return 'Owner of this account';
  if (role === 'admin') return 'Operator: manages every account on this server';
  if (role === 'agent') return 'Agent: answers chats';
  return role.charAt(0).toUpperCase() + role.slice(1).replace(/_/g, ' ');
}

function useLogout() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: async () => {
      if (SAAS) await logout();
      else setSliceToken(null);
    },
    onSuccess: () => {
      qc.clear();
      navigate(SAAS ? '/login' : '/token', { replace: true });
    },
  });
}

export function SettingsScreen() {
  const me = useMe();
  const { status } = useWaStatus();
  const out = useLogout();
  const qc = useQueryClient();
  const waLogout = useMutation({
    mutationFn: logoutWa,
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.wa }),
  });
  const words = describeWaState(status?.state, status?.detail, status?.cause);

  return (
    <div className="h-full overflow-y-auto bg-stone-50">
      <div className="mx-auto max-w-2xl space-y-4 px-4 py-6">
        <h1 className="text-lg font-semibold">Settings</h1>
        {SAAS ? (
          <Section title="Account" testId="settings-account">
            {me.isPending ? (
              <LoadingState />
            ) : me.isError ? (
              <ErrorState error={me.error} onRetry={() => void me.refetch()} />
            ) : (
              <>
                {me.data.user.name ? (
                  <Row label="Name">
                    <span data-testid="account-name">{me.data.user.name}</span>
                  </Row>
                ) : null}
                {me.data.user.businessName ? (
                  <Row label="Business">
                    <span data-testid="account-business">{me.data.user.businessName}</span>
                  </Row>
                ) : null}
                <Row label="Email">
                  <span data-testid="account-email">{me.data.user.email}</span>
                </Row>
                <Row label="Role">
                  <span data-testid="account-role">{roleWords(me.data.user.role)}</span>
                </Row>
                <Row label="Plan">
                  <span data-testid="account-plan">{describePlan(planOf(me.data)).title}</span>
                </Row>
              </>
            )}
            <Button variant="secondary" data-testid="logout" onClick={() => out.mutate()} disabled={out.isPending}>
              {out.isPending ? 'Logging out…' : 'Log out'}
            </Button>
            <ErrorLine error={out.error} />
          </Section>
        ) : (
          <Section title="This browser">
            <p className="text-sm text-stone-600">The slice token is kept in this browser.</p>
            <Button variant="secondary" onClick={() => out.mutate()}>
              Forget the token
            </Button>
          </Section>
        )}
        <Section title="WhatsApp session" testId="settings-whatsapp">
          <Row label="State">
            <span data-testid="settings-wa-state" data-state={status?.state ?? 'NONE'}>
              {words.title}
            </span>
          </Row>
          {status?.since ? <Row label="Since">{stampTime(status.since)}</Row> : null}
          <p className="text-sm text-stone-500">{words.hint}</p>
          <div className="flex flex-wrap gap-2">
            <Link to="/link" className="inline-flex items-center rounded-md border border-stone-300 px-3 py-1.5 text-sm font-medium text-stone-800 hover:bg-stone-50">
              {status?.state === 'READY' ? 'Linking details' : 'Link WhatsApp'}
            </Link>
            {status?.state === 'READY' ? (
              // Only a linked session can be logged out (the slice answers WA_NOT_READY otherwise).
              <ConfirmButton
                testId="wa-logout"
                disabled={waLogout.isPending}
                label={waLogout.isPending ? 'Logging out…' : 'Log out of WhatsApp'}
                confirmLabel="Unlink: a new QR scan is needed to link again"
                onConfirm={() => waLogout.mutate()}
              />
            ) : null}
          </div>
          <ErrorLine error={waLogout.error} />
        </Section>
        <NotificationSettings />
        <LabelsSettings />
        {SAAS ? (
          <Section title="Billing" testId="settings-billing">
            <p className="text-sm text-stone-600">{me.data ? describePlan(planOf(me.data)).detail : 'Loading your plan…'}</p>
            <Link to="/billing" data-testid="billing-link" className="text-sm font-medium text-brand-700 hover:underline">
              Manage billing
            </Link>
          </Section>
        ) : null}
      </div>
    </div>
  );
}

function LabelsSettings() {
  const qc = useQueryClient();
  const labels = useQuery({ queryKey: keys.labels, queryFn: ({ signal }) => listLabels(signal) });
  const notLinked = useNotLinked(labels.error);
  const [err, setErr] = useState<unknown>(null);
  const save = (id: number, patch: Partial<Label>) =>
    updateLabel(id, patch).then((l) => qc.setQueryData<Label[]>(keys.labels, (ls) => (ls ?? []).map((x) => (x.id === id ? { ...x, ...l } : x))));
  const del = useMutation({
    mutationFn: (id: number) => deleteLabel(id),
    onSuccess: (_r, id) => {
      qc.setQueryData<Label[]>(keys.labels, (ls) => (ls ?? []).filter((x) => x.id !== id));
      void qc.invalidateQueries({ queryKey: keys.chatsAll });
    },
    onError: (e) => setErr(e),
  });
  return (
    <Section title="Labels">
      {labels.isPending ? (
        <LoadingState />
      ) : notLinked ? (
        <NotLinkedState what="your labels">
          <PrepareWorkspace />
        </NotLinkedState>
      ) : labels.isError ? (
        <ErrorState error={labels.error} onRetry={() => void labels.refetch()} />
      ) : labels.data.length === 0 ? (
        <p className="text-sm text-stone-500">No labels yet. Add one below, or from a chat's contact panel.</p>
      ) : (
        <ul className="space-y-2">
          {labels.data.map((l) => (
            <li key={l.id} className="flex items-end gap-3">
              <input type="color" aria-label={`Colour of ${l.name}`} value={l.color || '#78716c'} onChange={(e) => void save(l.id, { color: e.target.value }).catch((x: unknown) => setErr(x))} className="mb-1 h-6 w-8 rounded border border-stone-300" />
              <div className="min-w-0 flex-1">
                <EditableField label="Label" value={l.name} onSave={(name) => save(l.id, { name })} />
              </div>
              <ConfirmButton variant="ghost" label="Delete" confirmLabel={`Delete “${l.name}”`} onConfirm={() => del.mutate(l.id)} />
            </li>
          ))}
        </ul>
      )}
      {labels.isSuccess && !notLinked ? <NewLabel onError={setErr} /> : null}
      <ErrorLine error={err} />
    </Section>
  );
}

const NEW_LABEL_COLOR = '#0ea5e9';

function NewLabel({ onError }: { onError: (e: unknown) => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const add = useMutation({
    mutationFn: (n: string) => createLabel(n, NEW_LABEL_COLOR),
    onSuccess: (l) => {
      qc.setQueryData<Label[]>(keys.labels, (ls) => [...(ls ?? []), l]);
      setName('');
    },
    onError,
  });
  return (
    <form
      className="flex gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) add.mutate(name.trim());
      }}
    >
      <input
        aria-label="New label name"
        data-testid="new-label"
        placeholder="New label"
        maxLength={60}
        value={name}
        onChange={(e) => setName(e.target.value)}
        className="min-w-0 flex-1 rounded border border-stone-300 bg-white px-2 py-1 text-sm"
      />
      <Button type="submit" variant="secondary" disabled={add.isPending || !name.trim()}>
        Add label
      </Button>
    </form>
  );
}

function NotificationSettings() {
  const [prefs, setPrefs] = useState<AlertPrefs>(readPrefs);
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(() => (notificationsSupported() ? Notification.permission : 'unsupported'));
  const update = (next: AlertPrefs) => {
    writePrefs(next);
    setPrefs(next);
  };
  const desktopOn = prefs.desktop && permission === 'granted';
  return (
    <Section title="Notifications" testId="settings-notifications">
      <p className="text-sm text-stone-600">New messages in chats assigned to nobody or to you. Muted chats stay silent.</p>
      <label className="flex items-center gap-2 text-sm text-stone-800">
        <input type="checkbox" data-testid="sound-toggle" checked={prefs.sound} onChange={(e) => update({ ...prefs, sound: e.target.checked })} className="size-4 accent-brand-600" />
        Play a sound
      </label>
      {permission === 'unsupported' ? (
        <p className="text-sm text-stone-500">This browser cannot show desktop notifications.</p>
      ) : permission === 'denied' ? (
        <p data-testid="notifications-blocked" className="text-sm text-stone-500">
          Desktop notifications are blocked for this site. Allow them in the browser's site settings, then reload.
        </p>
      ) : desktopOn ? (
        <div className="flex flex-wrap items-center gap-3">
          <span data-testid="notifications-state" className="text-sm text-stone-800">
            Desktop notifications are on.
          </span>
          <Button variant="secondary" data-testid="notifications-off" onClick={() => update({ ...prefs, desktop: false })}>
            Turn off
          </Button>
        </div>
      ) : (
        <Button
          variant="secondary"
          data-testid="notifications-on"
          onClick={() => {
            if (permission === 'granted') update({ ...prefs, desktop: true });
            else
              void askNotificationPermission().then((p) => {
                setPermission(p);
                setPrefs(readPrefs());
              });
          }}
        >
          Turn on desktop notifications
        </Button>
      )}
    </Section>
  );
}
