// /invite?token=…: who invites you to what, then your password (and name, for a new user). An
// account with two-factor login also gives its code. Accepting signs in to that account.
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { acceptInvitation, previewInvitation } from '../api/auth.ts';
import { isApiError } from '../api/http.ts';
import { ROLE_LABELS } from '../lib/roles.ts';
import { NO_TOKEN } from '../lib/error-words.ts';
import { AuthFrame, factorOf, fieldErrorsOf, PASSWORD_MIN, SecondFactorField, useSignedIn, type FactorKind, type FieldErrors } from './auth.tsx';
import { Button, ErrorState, LoadingState, TextField } from '../components/ui.tsx';
import { formatDay } from './billing.tsx';

export function InviteScreen() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const preview = useQuery({ queryKey: ['invitation', token], queryFn: ({ signal }) => previewInvitation(token, signal), enabled: !!token, retry: false });
  if (!token || preview.isError) {
    return (
      <AuthFrame title="Invitation">
        <div data-testid="invite-invalid">
          <ErrorState title="This invitation cannot be used" error={preview.error ?? NO_TOKEN} />
        </div>
      </AuthFrame>
    );
  }
  if (preview.isPending) return <LoadingState label="Opening the invitation…" />;
  const p = preview.data;
  return (
    <AuthFrame title={`Join ${p.accountName}`} subtitle={`You are invited as ${ROLE_LABELS[p.role] ?? p.role}. The invitation works until ${formatDay(p.expiresAt)}.`}>
      <AcceptForm token={token} email={p.email} existingUser={p.existingUser} />
    </AuthFrame>
  );
}

function AcceptForm({ token, email, existingUser }: { token: string; email: string; existingUser: boolean }) {
  const signedIn = useSignedIn();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [factor, setFactor] = useState<FactorKind | null>(null);
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!password) return setErrors({ password: 'Enter your password.' });
    if (!existingUser && password.length < PASSWORD_MIN) return setErrors({ password: `Use at least ${PASSWORD_MIN} characters for the password.` });
    setBusy(true);
    setErrors({});
    try {
      signedIn(await acceptInvitation(token, password, { name: existingUser ? undefined : name, ...factorOf(factor, code) }));
    } catch (err) {
      if (isApiError(err, 'TOTP_REQUIRED')) setFactor((f) => f ?? 'totp');
      else setErrors(fieldErrorsOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form noValidate onSubmit={submit} aria-label="Accept the invitation" className="space-y-4">
      <p className="text-sm">
        {existingUser ? 'Log in with your Queunir password to join as ' : 'Choose a password for '}
        <b data-testid="invite-preview-email">{email}</b>.
      </p>
      {existingUser ? null : <TextField id="accept-name" data-testid="accept-name" label="Your name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoFocus />}
      <TextField
        id="accept-password"
        data-testid="accept-password"
        label={existingUser ? 'Your password' : 'New password'}
        type="password"
        autoComplete={existingUser ? 'current-password' : 'new-password'}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.password}
        hint={existingUser ? undefined : `At least ${PASSWORD_MIN} characters.`}
        autoFocus={existingUser}
      />
      {factor ? <SecondFactorField kind={factor} value={code} onChange={setCode} onSwitch={(k) => { setFactor(k); setCode(''); }} error={errors.code} /> : null}
      {errors.form || errors.email ? (
        <p role="alert" data-testid="form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {errors.form ?? errors.email}
        </p>
      ) : null}
      <Button type="submit" data-testid="accept-submit" disabled={busy} className="w-full py-2">
        {busy ? 'Joining…' : 'Join the team'}
      </Button>
      {existingUser ? (
        <p className="text-center text-xs text-stone-500">
          Forgot it? <Link to="/forgot-password" className="font-medium text-brand-700 underline">Reset your password</Link>, then open this link again.
        </p>
      ) : null}
    </form>
  );
}
