// The frame of a settings-like page: a title, sections with a heading, label/value rows, switches, chips.
import type { ReactNode } from 'react';

export function Page({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="h-full overflow-y-auto bg-stone-50">
      <div className="mx-auto max-w-2xl space-y-4 px-4 py-6">
        <h1 className="text-lg font-semibold">{title}</h1>
        {children}
      </div>
    </div>
  );
}

export function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section data-testid={testId} className="rounded-xl border border-stone-200 bg-white">
      <h2 className="border-b border-stone-200 px-5 py-3 text-sm font-semibold text-stone-800">{title}</h2>
      <div className="space-y-3 px-5 py-4">{children}</div>
    </section>
  );
}

export function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 text-sm">
      <span className="w-32 shrink-0 text-stone-500">{label}</span>
      <span className="min-w-0 text-stone-900">{children}</span>
    </div>
  );
}

/** A labelled checkbox (its label is the whole line, so it is one click and one Tab stop). */
export function Toggle({ testId, checked, onChange, disabled, children, hint }: { testId: string; checked: boolean; onChange: (on: boolean) => void; disabled?: boolean; children: ReactNode; hint?: ReactNode }) {
  return (
    <label className="flex items-start gap-2 text-sm">
      <input type="checkbox" data-testid={testId} checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} className="mt-0.5 size-4 accent-brand-600" />
      <span>
        {children}
        {hint ? <span className="block text-xs text-stone-500">{hint}</span> : null}
      </span>
    </label>
  );
}

/** Short names ("read", "message.received") as chips, in a list named by `label`. */
export function Chips({ items, label }: { items: readonly string[]; label: string }) {
  return (
    <ul aria-label={label} className="flex flex-wrap gap-1">
      {items.map((s) => (
        <li key={s} className="rounded-full bg-stone-100 px-2 py-0.5 font-mono text-[11px] text-stone-700">
          {s}
        </li>
      ))}
    </ul>
  );
}
