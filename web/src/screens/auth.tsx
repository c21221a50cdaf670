// Register and log in (SaaS build). Server errors are shown beside the field they concern.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { login, register } from '../api/auth.ts';
import { ApiError, errorMessage } from '../api/http.ts';
import { keys } from '../api/keys.ts';
import type { Me } from '../api/types.ts';
import { Button, TextField } from '../components/ui.tsx';

export interface FieldErrors {
  email?: string;
  password?: string;
  form?: string;
}

/** Which field a server error concerns, by its code (then its message, for schema errors). */
export function fieldErrorsOf(err: unknown): FieldErrors {
  if (!(err instanceof ApiError)) return { form: errorMessage(err) };
  const code = err.code.toUpperCase();
  const msg = err.message;
  if (code === 'EMAIL_TAKEN') return { email: msg || 'An account with this email already exists.' };
  if (code === 'BAD_CREDENTIALS') return { password: msg || 'Wrong email or password.' };
  if (code.includes('EMAIL')) return { email: msg };
  if (code.includes('PASSWORD')) return { password: msg };
  if (err.kind === 'InvalidArgument' || code === 'INVALID_ARGUMENT') {
    // Schema errors name the field ("/password must NOT have fewer than 10 characters").
    const short = /password must NOT have fewer than (\d+) characters/i.exec(msg);
    if (short) return { password: `Use at least ${short[1]} characters.` };
    if (/password/i.test(msg)) return { password: msg };
    if (/e-?mail/i.test(msg)) return { email: /pattern|format/i.test(msg) ? 'Enter a valid email address, like name@company.com.' : msg };
  }
  if (code === 'RATE_LIMITED') return { form: msg || 'Too many attempts. Wait a minute and try again.' };
  return { form: msg };
}

/** What the browser can tell before asking the server. */
function validateCredentials(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!email.trim()) errors.email = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) errors.email = 'Enter a valid email address, like name@company.com.';
  if (!password) errors.password = 'Enter your password.';
  return errors;
}

export function AuthForm({ mode, onDone }: { mode: 'login' | 'register'; onDone: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = validateCredentials(email, password);
    if (local.email || local.password) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const me = await (mode === 'login' ? login : register)(email.trim(), password);
      onDone(me);
    } catch (err) {
      setErrors(fieldErrorsOf(err));
    } finally {
      setBusy(false);
    }
  };

  const isLogin = mode === 'login';
  return (
    <form noValidate onSubmit={submit} className="space-y-4" aria-label={isLogin ? 'Log in' : 'Create account'}>
      <TextField
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={errors.email}
        autoFocus
      />
      <TextField
        id="password"
        label="Password"
        type="password"
        autoComplete={isLogin ? 'current-password' : 'new-password'}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.password}
      />
      {errors.form ? (
        <p role="alert" data-testid="form-error" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          {errors.form}
        </p>
      ) : null}
      <Button type="submit" data-testid="auth-submit" disabled={busy} className="w-full py-2">
        {busy ? (isLogin ? 'Logging in…' : 'Creating account…') : isLogin ? 'Log in' : 'Create account'}
      </Button>
    </form>
  );
}

function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const isLogin = mode === 'login';
  return (
    <main className="flex min-h-full items-center justify-center bg-stone-100 px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <div className="mx-auto mb-3 flex size-11 items-center justify-center rounded-xl bg-brand-600 text-lg font-semibold text-white">Q</div>
          <h1 className="text-xl font-semibold text-stone-900">{isLogin ? 'Log in to Queunir' : 'Create your Queunir account'}</h1>
          <p className="mt-1 text-sm text-stone-500">Your WhatsApp conversations, organised.</p>
        </div>
        <div className="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
          <AuthForm
            mode={mode}
            onDone={(me) => {
              qc.clear();
              qc.setQueryData(keys.me, me);
              navigate(me.wa?.state === 'READY' ? '/inbox' : '/link', { replace: true });
            }}
          />
        </div>
        <p className="mt-4 text-center text-sm text-stone-600">
          {isLogin ? (
            <>
              New here? <Link className="font-medium text-brand-700 hover:underline" to="/register">Create an account</Link>
            </>
          ) : (
            <>
              Already have an account? <Link className="font-medium text-brand-700 hover:underline" to="/login">Log in</Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}

export const LoginScreen = () => <AuthPage mode="login" />;
export const RegisterScreen = () => <AuthPage mode="register" />;
