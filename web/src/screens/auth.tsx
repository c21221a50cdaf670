// Register and log in (SaaS build). Server errors are shown beside the field they concern, in the
// words of lib/error-words.ts; the password rule is shown before it is broken.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { login, register } from '../api/auth.ts';
import { ApiError } from '../api/http.ts';
import { fieldOf } from '../lib/error-words.ts';
import { keys } from '../api/keys.ts';
import type { Me } from '../api/types.ts';
import { Button, ErrorText, TextField } from '../components/ui.tsx';

/** The server's password rule (gateway/routes/auth.ts), shown before it is broken. */
export const PASSWORD_MIN = 10;

export interface FieldErrors {
  email?: ReactNode;
  password?: ReactNode;
  form?: ReactNode;
}

/** Which field a server error concerns (by its code, then the field a schema error names), in words. */
export function fieldErrorsOf(err: unknown): FieldErrors {
  const words = <ErrorText error={err} />;
  if (!(err instanceof ApiError)) return { form: words };
  const code = err.code.toUpperCase();
  if (code === 'EMAIL_TAKEN') return { email: words };
  if (code === 'BAD_CREDENTIALS') return { password: words };
  if (err.kind === 'InvalidArgument') {
    const field = fieldOf(err.message);
    if (field === 'email') return { email: words };
    if (field === 'password') return { password: words };
  }
  return { form: words };
}

/** What the browser can tell before asking the server. */
function validateCredentials(mode: 'login' | 'register', email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!email.trim()) errors.email = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) errors.email = 'Enter a valid email address, like name@company.com.';
  if (!password) errors.password = 'Enter your password.';
  else if (mode === 'register' && password.length < PASSWORD_MIN) errors.password = `Use at least ${PASSWORD_MIN} characters for the password.`;
  return errors;
}

export function AuthForm({ mode, onDone }: { mode: 'login' | 'register'; onDone: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [businessName, setBusinessName] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = validateCredentials(mode, email, password);
    if (local.email || local.password) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const me = mode === 'login' ? await login(email.trim(), password) : await register(email.trim(), password, { name, businessName });
      onDone(me);
    } catch (err) {
      setErrors(fieldErrorsOf(err));
    } finally {
      setBusy(false);
    }
  };

  const isLogin = mode === 'login';
  const ruleMet = password.length >= PASSWORD_MIN;
  return (
    <form noValidate onSubmit={submit} className="space-y-4" aria-label={isLogin ? 'Log in' : 'Create account'}>
      {isLogin ? null : (
        <>
          <TextField id="name" label="Your name" autoComplete="name" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
          <TextField
            id="business-name"
            label="Business name"
            autoComplete="organization"
            maxLength={120}
            value={businessName}
            onChange={(e) => setBusinessName(e.target.value)}
          />
        </>
      )}
      <TextField
        id="email"
        label="Email"
        type="email"
        autoComplete="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={errors.email}
        autoFocus={isLogin}
      />
      <TextField
        id="password"
        label="Password"
        type={showPassword ? 'text' : 'password'}
        autoComplete={isLogin ? 'current-password' : 'new-password'}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.password}
        hint={
          isLogin ? undefined : (
            <span data-testid="password-rule" data-met={ruleMet ? 'true' : 'false'} className={ruleMet ? 'text-brand-700' : 'text-stone-500'}>
              {ruleMet ? '✓ ' : ''}At least {PASSWORD_MIN} characters{ruleMet ? '' : ` (${password.length} so far)`}.
            </span>
          )
        }
        trailing={
          <button
            type="button"
            data-testid="toggle-password"
            aria-pressed={showPassword}
            aria-controls="password"
            onClick={() => setShowPassword((v) => !v)}
            className="rounded px-2 py-1 text-xs font-medium text-stone-600 hover:bg-stone-100"
          >
            {showPassword ? 'Hide' : 'Show'}
            <span className="sr-only"> password</span>
          </button>
        }
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
