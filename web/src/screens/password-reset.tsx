// /forgot-password (an email, the same answer whether an account exists or not) and
// /reset-password?token=… (a new password, once; every session of the user ends).
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { confirmPasswordReset, requestPasswordReset } from '../api/auth.ts';
import { AuthFrame, NewPasswordField, PASSWORD_MIN } from './auth.tsx';
import { Button, ErrorLine, TextField } from '../components/ui.tsx';

const EMAIL_RULE = 'Enter a valid email address, like name@company.com.';

const backToLogin = (
  <Link to="/login" className="font-medium text-brand-700 hover:underline">
    Back to log in
  </Link>
);

export function ForgotPasswordScreen() {
  const [email, setEmail] = useState('');
  const [invalid, setInvalid] = useState(false);
  const send = useMutation({ mutationFn: () => requestPasswordReset(email.trim()) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ok = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim());
    setInvalid(!ok);
    if (ok) send.mutate();
  };
  return (
    <AuthFrame title="Reset your password" subtitle="We email you a link to choose a new one." footer={backToLogin}>
      {send.isSuccess ? (
        <p role="status" data-testid="reset-sent" className="text-sm">
          If <b>{email.trim()}</b> has a Queunir account, a link is on its way. It works once, for one hour.
        </p>
      ) : (
        <form noValidate onSubmit={submit} aria-label="Reset your password" className="space-y-4">
          <TextField id="reset-email" data-testid="reset-email" label="Email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={invalid ? EMAIL_RULE : undefined} autoFocus />
          <ErrorLine error={send.error} testId="form-error" />
          <Button type="submit" data-testid="reset-submit" disabled={send.isPending} className="w-full py-2">
            {send.isPending ? 'Sending…' : 'Email me a link'}
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}

export function ResetPasswordScreen() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const reset = useMutation({ mutationFn: () => confirmPasswordReset(token, password) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTooShort(password.length < PASSWORD_MIN);
    if (password.length >= PASSWORD_MIN) reset.mutate();
  };
  return (
    <AuthFrame title="Choose a new password" footer={backToLogin}>
      {reset.isSuccess ? (
        <p role="status" data-testid="reset-done" className="text-sm">
          Your password is changed and every device was logged out.{' '}
          <Link to="/login" className="font-medium text-brand-700 underline">
            Log in
          </Link>
        </p>
      ) : (
        <form noValidate onSubmit={submit} aria-label="Choose a new password" className="space-y-4">
          <NewPasswordField id="new-password" value={password} onChange={setPassword} tooShort={tooShort} autoFocus />
          <ErrorLine error={reset.error} testId="form-error" />
          <Button type="submit" data-testid="reset-confirm" disabled={reset.isPending || !token} className="w-full py-2">
            Set the new password
          </Button>
        </form>
      )}
    </AuthFrame>
  );
}
