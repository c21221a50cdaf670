// Register and log in (SaaS build). Server errors are shown beside the field they concern, in the
// words of lib/error-words.ts; the password rule is shown before it is broken.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { login, register, type SecondFactor } from '../api/auth.ts';
import { ApiError, isApiError } from '../api/http.ts';
import { fieldOf } from '../lib/error-words.ts';
import { keys } from '../api/keys.ts';
import type { Me } from '../api/types.ts';
import { Button, ErrorText, TextField } from '../components/ui.tsx';

/** The server's password rule (gateway/routes/auth.ts), shown before it is broken. */
export const PASSWORD_MIN = 10;

export interface FieldErrors {
  email?: ReactNode;
  password?: ReactNode;
  /** The second factor's field (a code, or a recovery code). */
  code?: ReactNode;
  form?: ReactNode;
}

/** Which field a server error concerns (by its code, then the field a schema error names), in words. */
export function fieldErrorsOf(err: unknown): FieldErrors {
  const words = <ErrorText error={err} />;
  if (!(err instanceof ApiError)) return { form: words };
  const code = err.code.toUpperCase();
  if (code === 'EMAIL_TAKEN') return { email: words };
  if (code === 'BAD_CREDENTIALS' || code === 'WRONG_PASSWORD') return { password: words };
  if (code === 'TOTP_INVALID') return { code: words };
  if (err.kind === 'InvalidArgument') {
    const field = fieldOf(err.message);
    if (field === 'email') return { email: words };
    if (field === 'password') return { password: words };
  }
  return { form: words };
}

export type FactorKind = 'totp' | 'recovery';

export function factorOf(kind: FactorKind | null, code: string): SecondFactor | undefined {
  if (!kind) return undefined;
  return kind === 'totp' ? { totp: code.trim() } : { recoveryCode: code.trim() };
}

/** The second step of a login: a code from the authenticator app, or (lost phone) a recovery code. */
export function SecondFactorField({ kind, value, onChange, onSwitch, error }: { kind: FactorKind; value: string; onChange: (v: string) => void; onSwitch: (k: FactorKind) => void; error?: ReactNode }) {
  const totp = kind === 'totp';
  return (
    <div className="space-y-1">
      <TextField
        id="totp-code"
        data-testid="totp-code"
        label={totp ? 'Code from your authenticator app' : 'Recovery code'}
        inputMode={totp ? 'numeric' : 'text'}
        autoComplete="one-time-code"
        maxLength={totp ? 6 : 32}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        error={error}
        hint={totp ? 'Two-factor login is on for this account.' : 'Each recovery code works once.'}
        autoFocus
      />
      <button type="button" data-testid="use-recovery-code" onClick={() => onSwitch(totp ? 'recovery' : 'totp')} className="text-xs font-medium text-brand-700 hover:underline">
        {totp ? 'Use a recovery code instead' : 'Use a code from the app instead'}
      </button>
    </div>
  );
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
  /** Asked for once the password was right and the account has two-factor login on. */
  const [factor, setFactor] = useState<FactorKind | null>(null);
  const [code, setCode] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = validateCredentials(mode, email, password);
    if (factor && !code.trim()) local.code = factor === 'totp' ? 'Enter the 6-digit code.' : 'Enter one of your recovery codes.';
    if (local.email || local.password || local.code) {
      setErrors(local);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const me = mode === 'login' ? await login(email.trim(), password, factorOf(factor, code)) : await register(email.trim(), password, { name, businessName });
      onDone(me);
    } catch (err) {
      if (isApiError(err, 'TOTP_REQUIRED')) setFactor((f) => f ?? 'totp');
      else setErrors(fieldErrorsOf(err));
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
      {factor ? <SecondFactorField kind={factor} value={code} onChange={setCode} onSwitch={(k) => { setFactor(k); setCode(''); setErrors({}); }} error={errors.code} /> : null}
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

/** A new password's field: the rule as a hint, said as an error once a submit found it too short. */
export function NewPasswordField({ id, value, onChange, tooShort, label = 'New password', autoFocus }: { id: string; value: string; onChange: (v: string) => void; tooShort: boolean; label?: string; autoFocus?: boolean }) {
  return (
    <TextField
      {...{ id, label, value, autoFocus, 'data-testid': id }}
      type="password"
      autoComplete="new-password"
      onChange={(e) => onChange(e.target.value)}
      error={tooShort ? `Use at least ${PASSWORD_MIN} characters for the password.` : undefined}
      hint={`At least ${PASSWORD_MIN} characters.`}
    />
  );
}

/** The centred card every signed-out screen shows. */
export function AuthFrame({ title, subtitle = 'Your WhatsApp conversations, organised.', children, footer }: { title: string; subtitle?: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-full items-center justify-center bg-stone-100 px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <div className="mx-auto mb-3 flex size-11 items-center justify-center rounded-xl bg-brand-600 text-lg font-semibold text-white">Q</div>
          <h1 className="text-xl font-semibold text-stone-900">{title}</h1>
          <p className="mt-1 text-sm text-stone-500">{subtitle}</p>
        </div>
        <div className="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">{children}</div>
        {footer ? <p className="mt-4 text-center text-sm text-stone-600">{footer}</p> : null}
      </div>
    </main>
  );
}

/** Signed in (log in, accept an invitation): a fresh cache for this account, then its first screen. */
export function useSignedIn() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  return (me: Me) => {
    qc.clear();
    qc.setQueryData(keys.me, me);
    navigate(me.wa?.state === 'READY' ? '/inbox' : '/link', { replace: true });
  };
}

function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const signedIn = useSignedIn();
  const isLogin = mode === 'login';
  return (
    <AuthFrame
      title={isLogin ? 'Log in to Queunir' : 'Create your Queunir account'}
      footer={
        isLogin ? (
          <>
            New here? <Link className="font-medium text-brand-700 hover:underline" to="/register">Create an account</Link>
            <span className="mt-2 block">
              <Link data-testid="forgot-password" className="font-medium text-brand-700 hover:underline" to="/forgot-password">
                Forgot your password?
              </Link>
            </span>
          </>
        ) : (
          <>
            Already have an account? <Link className="font-medium text-brand-700 hover:underline" to="/login">Log in</Link>
          </>
        )
      }
    >
      <AuthForm mode={mode} onDone={signedIn} />
    </AuthFrame>
  );
}

export const LoginScreen = () => <AuthPage mode="login" />;
export const RegisterScreen = () => <AuthPage mode="register" />;
