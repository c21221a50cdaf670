// The Account page: the account's name (owners), the password, two-factor login, the sessions of
// this user, and deleting the account (owners, with the password).
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { changePassword, disableTotp, enableTotp, endOtherSessions, endSession, listSessions, newRecoveryCodes, setupTotp } from '../api/auth.ts';
import { deleteAccount, renameAccount } from '../api/account.ts';
import { keys } from '../api/keys.ts';
import type { Me } from '../api/types.ts';
import { stampTime } from '../lib/dates.ts';
import { useMe } from '../session.ts';
import { NewPasswordField, PASSWORD_MIN } from './auth.tsx';
import { Page, Section } from '../components/page.tsx';
import { QrImage } from '../components/qr-image.tsx';
import { Button, ConfirmButton, ErrorLine, ErrorState, LoadingState, TextField } from '../components/ui.tsx';

export function AccountScreen() {
  const me = useMe();
  const owner = me.data?.member?.role === 'owner';
  return (
    <Page title="Account">
      <Section title="You" testId="account-you">
        <p className="text-sm">
          Signed in as <b data-testid="account-email">{me.data?.user.email}</b>
          {me.data?.account ? (
            <>
              {' '}
              in <b>{me.data.account.name}</b>
            </>
          ) : null}
          .
        </p>
        {owner ? <AccountName /> : null}
        {owner ? (
          <Link to="/account/audit" data-testid="open-audit" className="inline-block text-sm font-medium text-brand-700 underline">
            Audit log: who did what, when
          </Link>
        ) : null}
      </Section>
      <PasswordSection />
      <TwoFactorSection />
      <SessionsSection />
      {owner ? <DeleteSection /> : null}
    </Page>
  );
}

function AccountName() {
  const me = useMe();
  const qc = useQueryClient();
  const [name, setName] = useState(me.data?.account?.name ?? '');
  const save = useMutation({
    mutationFn: () => renameAccount(name.trim()),
    onSuccess: (account) => qc.setQueryData<Me>(keys.me, (m) => (m ? { ...m, account: { id: String(account.id), name: account.name } } : m)),
  });
  return (
    <form
      aria-label="Account name"
      className="flex items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) save.mutate();
      }}
    >
      <TextField id="account-name" label="Account name" maxLength={120} value={name} onChange={(e) => setName(e.target.value)} className="flex-1" />
      <Button type="submit" variant="secondary" data-testid="save-account-name" disabled={save.isPending || !name.trim()} className="py-2">
        {save.isSuccess && !save.isPending ? 'Saved' : 'Save'}
      </Button>
      <ErrorLine error={save.error} className="text-xs" />
    </form>
  );
}

function PasswordSection() {
  const qc = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const change = useMutation({
    mutationFn: () => changePassword(current, next),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      void qc.invalidateQueries({ queryKey: keys.sessions });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTooShort(next.length < PASSWORD_MIN);
    if (next.length >= PASSWORD_MIN && current) change.mutate();
  };
  return (
    <Section title="Password" testId="account-password">
      <form aria-label="Change password" noValidate onSubmit={submit} className="space-y-3">
        <TextField id="current-password" label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        <NewPasswordField id="next-password" value={next} onChange={setNext} tooShort={tooShort} />
        <Button type="submit" data-testid="change-password" disabled={change.isPending || !current || !next}>
          Change password
        </Button>
        {change.isSuccess ? (
          <p role="status" data-testid="password-changed" className="text-sm text-brand-700">
            Password changed. Your other devices were logged out.
          </p>
        ) : null}
        <ErrorLine error={change.error} testId="password-change-error" />
      </form>
    </Section>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="space-y-2">
      <p className="text-sm">Keep these recovery codes somewhere safe. Each one logs you in once without the app. They are shown only now.</p>
      <ul data-testid="recovery-codes" aria-label="Recovery codes" className="grid grid-cols-2 gap-1 rounded-md bg-stone-100 p-3 font-mono text-sm">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <Button variant="secondary" data-testid="recovery-codes-done" onClick={onDone}>
        I have saved them
      </Button>
    </div>
  );
}

function TwoFactorSection() {
  const me = useMe();
  const qc = useQueryClient();
  const enabled = me.data?.user.totpEnabled === true;
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const refreshMe = () => void qc.invalidateQueries({ queryKey: keys.me });
  const setup = useMutation({ mutationFn: setupTotp });
  const enable = useMutation({
    mutationFn: () => enableTotp(code.trim()),
    onSuccess: (r) => {
      setCodes(r.recoveryCodes);
      setup.reset();
      setCode('');
      refreshMe();
    },
  });
  const disable = useMutation({
    mutationFn: () => disableTotp(password),
    onSuccess: () => {
      setPassword('');
      refreshMe();
    },
  });
  const regenerate = useMutation({
    mutationFn: () => newRecoveryCodes(password),
    onSuccess: (r) => {
      setPassword('');
      setCodes(r.recoveryCodes);
    },
  });
  return (
    <Section title="Two-factor login" testId="account-2fa">
      {codes ? (
        <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
      ) : enabled ? (
        <>
          <p data-testid="totp-state" data-enabled="true" className="text-sm">
            On: logging in asks for a code from your authenticator app.
          </p>
          <TextField id="totp-password" label="Password (to turn it off or get new recovery codes)" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          <div className="flex flex-wrap gap-2">
            <Button variant="danger" data-testid="totp-disable" disabled={!password || disable.isPending} onClick={() => disable.mutate()}>
              Turn off
            </Button>
            <Button variant="secondary" data-testid="totp-new-codes" disabled={!password || regenerate.isPending} onClick={() => regenerate.mutate()}>
              New recovery codes
            </Button>
          </div>
        </>
      ) : setup.data ? (
        <form
          aria-label="Turn on two-factor login"
          className="space-y-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (code.trim()) enable.mutate();
          }}
        >
          <p className="text-sm">Scan this with an authenticator app, then enter the 6-digit code it shows.</p>
          <QrImage value={setup.data.otpauthUrl} size={200} testId="totp-qr" alt="Two-factor QR code: scan it with your authenticator app" />
          <p className="text-xs text-stone-500">
            Or type this key: <code data-testid="totp-secret" className="break-all">{setup.data.secret}</code>
          </p>
          <TextField id="totp-enable-code" data-testid="totp-enable-code" label="Code from the app" inputMode="numeric" autoComplete="one-time-code" maxLength={6} value={code} onChange={(e) => setCode(e.target.value)} />
          <Button type="submit" data-testid="totp-enable" disabled={!code.trim() || enable.isPending}>
            Turn on
          </Button>
        </form>
      ) : (
        <>
          <p data-testid="totp-state" data-enabled="false" className="text-sm">
            Off. With it on, logging in also asks for a code from an app on your phone.
          </p>
          <Button variant="secondary" data-testid="totp-setup" disabled={setup.isPending} onClick={() => setup.mutate()}>
            Set up two-factor login
          </Button>
        </>
      )}
      <ErrorLine error={setup.error ?? enable.error ?? disable.error ?? regenerate.error} testId="totp-error" />
    </Section>
  );
}

function SessionsSection() {
  const sessions = useQuery({ queryKey: keys.sessions, queryFn: ({ signal }) => listSessions(signal) });
  const qc = useQueryClient();
  const refresh = () => void qc.invalidateQueries({ queryKey: keys.sessions });
  const others = useMutation({ mutationFn: endOtherSessions, onSuccess: refresh });
  const one = useMutation({ mutationFn: endSession, onSuccess: refresh });
  return (
    <Section title="Where you are logged in" testId="account-sessions">
      {sessions.isPending ? (
        <LoadingState />
      ) : sessions.isError ? (
        <ErrorState title="Could not load your sessions" error={sessions.error} onRetry={() => void sessions.refetch()} />
      ) : (
        <>
          <ul className="divide-y divide-stone-100">
            {sessions.data.map((s) => (
              <li key={s.id} data-testid="session-row" data-current={s.current ? 'true' : undefined} className="flex items-center gap-3 py-2 text-sm">
                <span className="min-w-0 flex-1">
                  <span className="block truncate">
                    {s.device || 'Unknown device'}
                    {s.current ? <b className="ml-1 text-brand-700">(this device)</b> : null}
                  </span>
                  <span className="block text-xs text-stone-500">
                    {[s.ip, `last used ${stampTime(s.lastUsedAt ?? s.createdAt)}`].filter(Boolean).join(' · ')}
                  </span>
                </span>
                {s.current ? null : (
                  <Button variant="secondary" data-testid="end-session" aria-label={`Log out ${s.device || 'this session'}`} disabled={one.isPending} onClick={() => one.mutate(s.id)}>
                    Log out
                  </Button>
                )}
              </li>
            ))}
          </ul>
          <Button variant="secondary" data-testid="logout-others" disabled={others.isPending || sessions.data.every((s) => s.current)} onClick={() => others.mutate()}>
            Log out everywhere else
          </Button>
        </>
      )}
      <ErrorLine error={others.error ?? one.error} />
    </Section>
  );
}

function DeleteSection() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const remove = useMutation({
    mutationFn: () => deleteAccount(password),
    onSuccess: () => {
      qc.clear();
      navigate('/login', { replace: true });
    },
  });
  return (
    <Section title="Delete the account" testId="account-delete">
      <p className="text-sm text-stone-700">Deletes the WhatsApp workspace with every chat, contact and file, cancels the subscription, and removes every member who is in no other account. This cannot be undone.</p>
      <TextField id="delete-password" label="Your password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <ConfirmButton testId="delete-account" label="Delete account" confirmLabel="Delete everything now" disabled={!password || remove.isPending} onConfirm={() => remove.mutate()} />
      <ErrorLine error={remove.error} testId="delete-error" />
    </Section>
  );
}
