// Small shared pieces: buttons, fields, and the loading / empty / error states every screen uses.
import { useEffect, useState, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode } from 'react';
import { Link } from 'react-router';
import { errorWords } from '../lib/error-words.ts';

export function cx(...parts: Array<string | false | null | undefined>): string {
  return parts.filter(Boolean).join(' ');
}

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';
const variants: Record<Variant, string> = {
  primary: 'bg-brand-600 text-white hover:bg-brand-700 disabled:bg-brand-600/50',
  secondary: 'bg-white text-stone-800 border border-stone-300 hover:bg-stone-50 disabled:text-stone-400',
  danger: 'bg-white text-red-700 border border-red-200 hover:bg-red-50 disabled:text-red-300',
  ghost: 'text-stone-600 hover:bg-stone-200/60 disabled:text-stone-300',
};

export function Button({ variant = 'primary', className, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  return (
    <button
      type="button"
      {...rest}
      className={cx('inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium transition-colors disabled:cursor-not-allowed', variants[variant], className)}
    />
  );
}

export function Spinner({ className }: { className?: string }) {
  return <span aria-hidden className={cx('inline-block size-4 animate-spin rounded-full border-2 border-stone-300 border-t-brand-600', className)} />;
}

export function LoadingState({ label = 'Loading…' }: { label?: string }) {
  return (
    <div role="status" className="flex h-full min-h-24 items-center justify-center gap-2 p-6 text-sm text-stone-500">
      <Spinner /> {label}
    </div>
  );
}

export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div data-testid={testId} className="flex h-full min-h-24 flex-col items-center justify-center gap-1 p-6 text-center">
      <p className="text-sm font-medium text-stone-700">{title}</p>
      {children ? <div className="text-sm text-stone-500">{children}</div> : null}
    </div>
  );
}

/** An error in words (lib/error-words.ts), with its action as a link; `prefix` says what failed. */
export function ErrorText({ error, prefix }: { error: unknown; prefix?: string }) {
  const w = errorWords(error);
  return (
    <>
      {prefix ? `${prefix} ` : null}
      {w.text}
      {w.action ? (
        <>
          {' '}
          <Link to={w.action.to} className="font-medium underline">
            {w.action.label}
          </Link>
        </>
      ) : null}
    </>
  );
}

/** A small error line under a form or a section. */
export function ErrorLine({ error, prefix, testId, className }: { error: unknown; prefix?: string; testId?: string; className?: string }) {
  if (!error) return null;
  return (
    <p role="alert" data-testid={testId} className={cx('text-sm text-red-700', className)}>
      <ErrorText error={error} prefix={prefix} />
    </p>
  );
}

/** Before WhatsApp is linked: there is nothing to show yet, and one thing to do. */
export function NotLinkedState({ what, children }: { what: string; children?: ReactNode }) {
  return (
    <div data-testid="not-linked" className="flex h-full min-h-24 flex-col items-center justify-center gap-3 p-6 text-center">
      <p className="text-sm font-medium text-stone-700">Link WhatsApp to see {what} here.</p>
      <p className="max-w-xs text-sm text-stone-500">Scan a QR code with WhatsApp on your phone, as for WhatsApp Web. It takes a minute.</p>
      <Link to="/link" data-testid="link-whatsapp" className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">
        Link WhatsApp
      </Link>
      {children}
    </div>
  );
}

export function ErrorState({ error, onRetry, title = 'Something went wrong' }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <div role="alert" className="flex h-full min-h-24 flex-col items-center justify-center gap-2 p-6 text-center">
      <p className="text-sm font-medium text-red-700">{title}</p>
      <p className="max-w-sm text-sm text-stone-600">
        <ErrorText error={error} />
      </p>
      {onRetry ? (
        <Button variant="secondary" onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </div>
  );
}

export function TextField({
  label,
  error,
  hint,
  trailing,
  id,
  className,
  ...rest
}: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: ReactNode; hint?: ReactNode; trailing?: ReactNode; id: string }) {
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={cx('flex flex-col gap-1', className)}>
      <label htmlFor={id} className="text-sm font-medium text-stone-700">
        {label}
      </label>
      <div className="relative flex items-center">
        <input
          id={id}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          {...rest}
          className={cx(
            'w-full rounded-md border bg-white px-3 py-2 text-sm outline-none focus:ring-2',
            trailing ? 'pr-16' : null,
            error ? 'border-red-400 focus:ring-red-200' : 'border-stone-300 focus:border-brand-500 focus:ring-brand-100',
          )}
        />
        {trailing ? <span className="absolute right-1.5">{trailing}</span> : null}
      </div>
      {hint ? (
        <p id={hintId} className="text-xs">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errId} data-testid={`${id}-error`} className="text-xs text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function LabelChip({ name, color, onRemove }: { name: string; color: string; onRemove?: () => void }) {
  return (
    <span className="inline-flex max-w-full items-center gap-1 rounded-full border border-stone-200 bg-white px-2 py-0.5 text-xs text-stone-700">
      <span aria-hidden className="size-2 shrink-0 rounded-full" style={{ backgroundColor: color || '#78716c' }} />
      <span className="truncate">{name}</span>
      {onRemove ? (
        <button type="button" aria-label={`Remove label ${name}`} onClick={onRemove} className="-mr-1 rounded-full px-1 text-stone-400 hover:text-stone-700">
          ×
        </button>
      ) : null}
    </span>
  );
}

/**
 * Initials on a colour. The colour comes from `seed` (the chat's id wherever a chat is shown), so
 * a chat keeps its colour in the list, the header, the panel and the pipeline, whatever its name.
 */
export function Avatar({ name, seed, size = 'md' }: { name: string; seed?: string; size?: 'sm' | 'md' | 'lg' }) {
  const initials = name
    .replace(/[^\p{L}\p{N} ]/gu, '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('') || '#';
  let h = 0;
  for (const ch of seed ?? name) h = (h * 31 + ch.charCodeAt(0)) % 360;
  const dim = size === 'sm' ? 'size-8 text-xs' : size === 'lg' ? 'size-16 text-xl' : 'size-10 text-sm';
  return (
    <span aria-hidden className={cx('inline-flex shrink-0 items-center justify-center rounded-full font-medium text-white', dim)} style={{ backgroundColor: `hsl(${h} 28% 36%)` }}>
      {initials}
    </span>
  );
}

/** A destructive action in two clicks (no window.confirm: it blocks, and automation dismisses it). */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  disabled,
  testId,
  variant = 'danger',
  className,
}: {
  label: ReactNode;
  confirmLabel: ReactNode;
  onConfirm: () => void;
  disabled?: boolean;
  testId?: string;
  variant?: Variant;
  className?: string;
}) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const t = setTimeout(() => setArmed(false), 5000);
    return () => clearTimeout(t);
  }, [armed]);
  return armed ? (
    <span className="inline-flex items-center gap-1">
      <Button
        variant={variant}
        data-testid={testId ? `${testId}-confirm` : undefined}
        className={className}
        disabled={disabled}
        onClick={() => {
          setArmed(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </Button>
      <Button variant="ghost" className={className} onClick={() => setArmed(false)}>
        Cancel
      </Button>
    </span>
  ) : (
    <Button variant={variant} data-testid={testId} className={className} disabled={disabled} onClick={() => setArmed(true)}>
      {label}
    </Button>
  );
}
